// The normal distribution's tail for GELU: Φ(-a) = erfc(a/√2)/2, relatively accurate for every a,
// never as 1 - Φ(a) (which cancels). Coefficients from scripts/fit_coefficients.py.
import { madd, madd64 } from '../simd';
import { ONE_BITS, expNeg, expNegShifted, expNegShort, expRound, pow2, pow2Biased } from './exp';

const ABS_MASK = i32x4.splat(0x7fffffff);

// ---- float32, |x| ≤ 3 on the negative side (every x ≥ -3): the throughput path of `gelu`.
// log(2·Φ(-a)) = -a·(a/2 + S0) + λ(a) with λ(a) = a·N(a)/D(a), |λ| ≤ 0.132 on [0, 3] (abs. error
// 1.4e-8 = 2^-26.1 with these float32 values). a·(a/2 + S0) is formed exactly as head + tail from a
// split a = ah + al (ah: 11 significant bits, S0 = 33/64: the head ah·(ah/2 + S0) has ≤ 24 bits),
// so the exponent -(head + tail - λ) carries only the small λ's and the tail's roundings (≤ 0.25 ulp
// of the result together), and Φ(-a) = 2^n·(1 - v)/2 exactly as exp.ts returns it.
const GELU_S0 = f32x4.splat(0.515625);
const GELU_N0 = f32x4.splat(-0.28225940465927124);
const GELU_N1 = f32x4.splat(0.029852714389562607);
const GELU_N2 = f32x4.splat(0.024116704240441322);
const GELU_N3 = f32x4.splat(0.005839025601744652);
const GELU_D1 = f32x4.splat(0.5379297733306885);
const GELU_D2 = f32x4.splat(0.13211211562156677);
const GELU_D3 = f32x4.splat(0.012013867497444153);
const HEAD_MASK = i32x4.splat(0xffffe000); // keeps 11 significant bits
const HALF = f32x4.splat(0.5);
const ONE = f32x4.splat(1.0);
const NEG_ZERO = f32x4.splat(-0.0);
const CLAMP = f32x4.splat(10.0); // a·Φ(-a) < 2^-70 beyond: x - that is x

/**
 * GELU x·Φ(x) for lanes with x ≥ -3 (any x > 3, ±0 and +∞ included): gelu(x) = max(x, -0) - a·Φ(-a)
 * with a = |x|, and a·Φ(-a) = hs·(1 - v), hs = (a/2)·2^n exact, so the negative side is one
 * multiply-add of exact operands, -hs + hs·v, and the positive side (x - hs) + hs·v. Lanes below
 * -3 and NaN must take geluFar (the caller checks).
 */
@inline export function geluNear(x: v128): v128 {
  const a = f32x4.pmin(v128.and(x, ABS_MASK), CLAMP);
  const ah = v128.and(a, HEAD_MASK);
  const al = f32x4.sub(a, ah);
  const head = f32x4.mul(ah, madd(ah, HALF, GELU_S0)); // exact
  const tail = f32x4.mul(al, madd(f32x4.add(a, ah), HALF, GELU_S0)); // a(a/2 + S0) - head, rounded
  const num = madd(madd(madd(GELU_N3, a, GELU_N2), a, GELU_N1), a, GELU_N0);
  const den = madd(madd(madd(GELU_D3, a, GELU_D2), a, GELU_D1), a, ONE);
  const lam = f32x4.mul(a, f32x4.div(num, den));
  const rest = f32x4.sub(tail, lam);
  const t = expRound(f32x4.add(head, rest)); // n from the whole exponent: |r| ≤ ln2/2 + rounding
  const v = expNeg(t, head, rest);
  const hs = f32x4.mul(f32x4.mul(a, HALF), pow2(t));
  const base = f32x4.sub(f32x4.pmax(x, NEG_ZERO), hs);
  // x = -0 and x = -2^-149 give hs = 0, and +0·v + (-0) may be +0: keep the sign of x
  return v128.or(madd(hs, v, base), v128.and(x, NEG_ZERO));
}

// ---- float32, the far negative side x < -3 (used lane by lane with the above by geluFar):
// a·Φ(-a) = e^(-a²/2 - C + μ(a))/2 with C = ln(√(2π)/2) = C_HI + c_lo and
// Λ(a) = μ(a) - c_lo = N(a²)/D(a²) on [3, 14.5] (abs. error 1.3e-9 = 2^-29.5 with these float32
// values, |Λ| ≤ 0.09): μ(a) = ln(√(2π)·a·Φ(-a)·e^(a²/2)) is the log of a Mills-ratio factor that tends
// to 0 like -1/a². The head ah²/2 is exact, C_HI joins the exactly reduced head exactly, and the
// results below 2^-126 (a ≳ 13) are formed as (2^-65)·2^(n+64): rounded once, in the last step.
const FAR_N0 = f32x4.splat(-0.9810169339179993);
const FAR_N1 = f32x4.splat(-0.5765909552574158);
const FAR_N2 = f32x4.splat(-0.05127007141709328);
const FAR_N3 = f32x4.splat(1.985624749067938e-06);
const FAR_D1 = f32x4.splat(2.113518476486206);
const FAR_D2 = f32x4.splat(0.7048725485801697);
const FAR_D3 = f32x4.splat(0.05129770189523697);
const FAR_C_HI = f32x4.splat(0.225830078125); // 925/4096
const FAR_LIMIT = f32x4.splat(-3.0);
const FAR_CLAMP = f32x4.splat(14.5); // |gelu(-14.5)| ≈ 8e-47 < 2^-150: rounds to -0
const FAR_HALF = f32x4.splat(2.710505431213761e-20); // 2^-65
const FAR_BIAS = i32x4.splat(0x3f800000 + (64 << 23));
const ZERO = f32x4.splat(0.0);

/**
 * GELU for any float32 input, lane by lane: lanes below -3 use the far coefficients above, the
 * others those of geluNear; NaN stays NaN. Slower than geluNear by the coefficient selects.
 */
@inline export function geluFar(x: v128): v128 {
  const far = f32x4.lt(x, FAR_LIMIT);
  const a = f32x4.pmin(v128.and(x, ABS_MASK), v128.bitselect(FAR_CLAMP, CLAMP, far));
  const s0 = v128.andnot(GELU_S0, far);
  const ah = v128.and(a, HEAD_MASK);
  const al = f32x4.sub(a, ah);
  const head = f32x4.mul(ah, madd(ah, HALF, s0)); // exact
  const tail = f32x4.mul(al, madd(f32x4.add(a, ah), HALF, s0));
  const u = v128.bitselect(f32x4.mul(a, a), a, far);
  const num = madd(madd(madd(v128.bitselect(FAR_N3, GELU_N3, far), u, v128.bitselect(FAR_N2, GELU_N2, far)), u,
    v128.bitselect(FAR_N1, GELU_N1, far)), u, v128.bitselect(FAR_N0, GELU_N0, far));
  const den = madd(madd(madd(v128.bitselect(FAR_D3, GELU_D3, far), u, v128.bitselect(FAR_D2, GELU_D2, far)), u,
    v128.bitselect(FAR_D1, GELU_D1, far)), u, ONE);
  const lam = f32x4.mul(v128.bitselect(ONE, a, far), f32x4.div(num, den));
  const shift = v128.and(FAR_C_HI, far);
  const rest = f32x4.sub(tail, lam); // the tail reaches 0.1 at a = 14.5: n must include it
  const t = expRound(f32x4.add(f32x4.add(head, shift), rest));
  const v = expNegShifted(t, head, shift, rest);
  const hs = f32x4.mul(v128.bitselect(FAR_HALF, f32x4.mul(a, HALF), far), pow2Biased(t, v128.bitselect(FAR_BIAS, ONE_BITS, far)));
  const base = f32x4.sub(f32x4.pmax(x, NEG_ZERO), hs);
  // an underflowed negative result is -0 (the multiply-add alone could give +0 - 0 = +0)
  return v128.or(madd(hs, v, base), v128.and(x, NEG_ZERO));
}

// ---- float64, every input: R(a) = Φ(-a)·e^(a²/2) ≈ N(a)/D(a) on [0, 15], relative error 8.9e-11.
const PHI_N0 = f64x2.splat(0.49999999995538486);
const PHI_N1 = f64x2.splat(0.5083730970509275);
const PHI_N2 = f64x2.splat(0.2513176935318345);
const PHI_N3 = f64x2.splat(0.07162520824201361);
const PHI_N4 = f64x2.splat(0.011714831028757484);
const PHI_N5 = f64x2.splat(0.0008970141256487228);
const PHI_D1 = f64x2.splat(1.8146307463878284);
const PHI_D2 = f64x2.splat(1.4505013737872514);
const PHI_D3 = f64x2.splat(0.6592284321560667);
const PHI_D4 = f64x2.splat(0.18179161045836476);
const PHI_D5 = f64x2.splat(0.029364549875077355);
const PHI_D6 = f64x2.splat(0.0022484835634006633);
const ONE64 = f64x2.splat(1.0);

/** Φ(-a)·e^(a²/2) for 0 ≤ a ≤ 15 on f64x2 lanes. */
@inline export function phiTailRatio64(a: v128): v128 {
  const num = madd64(madd64(madd64(madd64(madd64(PHI_N5, a, PHI_N4), a, PHI_N3), a, PHI_N2), a, PHI_N1), a, PHI_N0);
  let den = madd64(madd64(madd64(PHI_D6, a, PHI_D5), a, PHI_D4), a, PHI_D3);
  den = madd64(madd64(madd64(den, a, PHI_D2), a, PHI_D1), a, ONE64);
  return f64x2.div(num, den);
}

// ---- gelu_erf_fast: the same decomposition as geluNear, but cheap, because its contract is an absolute
// one (≤ max(4e-7, 2 ulp)): below x ≈ 2 only |error| ≤ 4e-7 counts, and above, a·Φ(-a) < 0.042·x
// needs only ~2^-16 relative accuracy. So the exponent a(a/2 + S0) is formed in plain float32, λ is
// a smaller fit over [0, 4.5] (abs. error 5.8e-8 = 2^-24.0) and e^-r a degree-5 polynomial (relative
// error 1.3e-7); the relative error of a·Φ(-a) stays below ~3e-7, so |error| ≤ 0.17·3e-7 + rounding.
// Below x = -10 the result is -0 (gelu(-∞) = -0; |gelu(x)| < 8e-23 there).
const GFAST_S0 = f32x4.splat(0.44140625);
const GFAST_N0 = f32x4.splat(-0.35647666454315186);
const GFAST_N1 = f32x4.splat(-0.006810709834098816);
const GFAST_N2 = f32x4.splat(0.015591482631862164);
const GFAST_N3 = f32x4.splat(0.0043194470927119255);
const GFAST_D1 = f32x4.splat(0.5287460088729858);
const GFAST_D2 = f32x4.splat(0.12394233047962189);
const GFAST_D3 = f32x4.splat(0.01040803175419569);
const GFAST_MIN = f32x4.splat(-10.0);

/** x·Φ(x) with absolute error ≤ max(4e-7, 2 ulp), branch-free. */
@inline export function geluErfFastF32(x: v128): v128 {
  const a = f32x4.pmin(v128.and(x, ABS_MASK), CLAMP);
  const y = f32x4.mul(a, madd(a, HALF, GFAST_S0));
  const num = madd(madd(madd(GFAST_N3, a, GFAST_N2), a, GFAST_N1), a, GFAST_N0);
  const den = madd(madd(madd(GFAST_D3, a, GFAST_D2), a, GFAST_D1), a, ONE);
  const e = f32x4.sub(y, f32x4.mul(a, f32x4.div(num, den))); // -log(2Φ(-a)), rounded
  const t = expRound(e);
  const v = expNegShort(t, e);
  const hs = f32x4.mul(f32x4.mul(a, HALF), pow2(t));
  const r = madd(hs, v, f32x4.sub(f32x4.pmax(x, NEG_ZERO), hs));
  // -0 below -10, and the sign of x on a zero result (x = -0: +0·v + (-0) may be +0)
  return v128.bitselect(NEG_ZERO, v128.or(r, v128.and(x, NEG_ZERO)), f32x4.lt(x, GFAST_MIN));
}
