// The logistic family on f64x2 lanes: σ(t) = 1/(1 + e^-t) from e = e^-|t| only (no overflow, no
// cancellation), and the x·σ(…) products (SiLU, QuickGELU, tanh-GELU) in one rounding-free form.
// Evaluated in float64 (exp64: relative error < 2^-39), so the one rounding to float32 at the end
// dominates: these kernels are within 1 ulp.
import { madd64 } from '../simd';
import { exp64 } from './exp';

const ZERO64 = f64x2.splat(0.0);
const ONE64 = f64x2.splat(1.0);
const FOUR64 = f64x2.splat(4.0);

/** σ(x) = (x ≥ 0 ? 1 : e)/(1 + e), e = e^-|x|. σ(+∞) = 1, σ(-∞) = 0, NaN → NaN. */
@inline export function sigmoid64(x: v128): v128 {
  const e = exp64(f64x2.neg(f64x2.abs(x)));
  return f64x2.div(v128.bitselect(ONE64, e, f64x2.ge(x, ZERO64)), f64x2.add(ONE64, e));
}

/**
 * x·σ(z) for z = z(x) an odd, increasing function of x given as z(|x|) = zAbs ≥ 0 (computed from
 * the clamped |x| = ac): x/(1 + e) for x ≥ 0 and -ac·e/(1 + e) below, e = e^-zAbs. Using ac on the
 * negative side makes x = -∞ give -0 (and NaN stays NaN through ac).
 */
@inline export function xSigmoid64(x: v128, ac: v128, zAbs: v128): v128 {
  const e = exp64(f64x2.neg(zAbs));
  const num = v128.bitselect(x, f64x2.neg(f64x2.mul(ac, e)), f64x2.ge(x, ZERO64));
  return f64x2.div(num, f64x2.add(ONE64, e));
}

/** σ'(x) = e/(1 + e)², e = e^-|x|. */
@inline export function sigmoidGrad64(x: v128): v128 {
  const e = exp64(f64x2.neg(f64x2.abs(x)));
  const d = f64x2.add(ONE64, e);
  return f64x2.div(e, f64x2.mul(d, d));
}

/** 4e/(1 + e)² for e = e^-|2x|: tanh'(x) = 1 - tanh²(x) without cancellation. */
@inline export function tanhGrad64(x: v128): v128 {
  const e = exp64(f64x2.mul(f64x2.abs(x), f64x2.splat(-2.0)));
  const d = f64x2.add(ONE64, e);
  return f64x2.div(f64x2.mul(FOUR64, e), f64x2.mul(d, d));
}

/**
 * σ(z)·(1 + m·σ(-z)) for a signed z: the derivative of x·σ(z(x)) with m = x·z'(x)
 * (SiLU: z = x, m = x; QuickGELU: z = m = 1.702x; tanh-GELU: z = 2u(x), m = x·2u'(x)).
 */
@inline export function xSigmoidGrad64(z: v128, m: v128): v128 {
  const e = exp64(f64x2.neg(f64x2.abs(z)));
  const inv = f64x2.div(ONE64, f64x2.add(ONE64, e));
  const big = inv; // σ(|z|)
  const small = f64x2.mul(e, inv); // σ(-|z|)
  const pos = f64x2.ge(z, ZERO64);
  const sp = v128.bitselect(big, small, pos); // σ(z)
  const sn = v128.bitselect(small, big, pos); // σ(-z)
  return f64x2.mul(sp, madd64(m, sn, ONE64));
}

// ---- float32, |x| ≤ 3: the throughput path of the tanh-form GELU, x·σ(2u(x)), built like
// math/erf.ts's geluNear. With S(a) = σ(-2u(a)), a = |x|: log(2S(a)) = -a·(K·a + S0) + λ(a),
// λ = N(v)/D(v), v = a - 3/2, |λ| ≤ 0.034 on [0, 3] (abs. error 1.2e-8 = 2^-26.3 with these
// float32 values; scripts/fit_coefficients.py). a·(K·a + S0) is formed exactly as head + tail from
// a split a = ah + al with 9-bit ah (K = 7/16, S0 = 175/256: the head has ≤ 24 bits), so the exponent
// carries only λ's and the small tail's roundings, and a·S(a) = (a/2)·2^n·(1 - v) as in geluNear.
import { madd as madd32 } from '../simd';
import { expNeg, expRound, pow2 } from './exp';

const GT_K = f32x4.splat(0.4375);
const GT_S0 = f32x4.splat(0.68359375);
const GT_C = f32x4.splat(1.5);
const GT_N0 = f32x4.splat(-0.0008623130270279944);
const GT_N1 = f32x4.splat(0.05775802582502365);
const GT_N2 = f32x4.splat(0.003641377203166485);
const GT_N3 = f32x4.splat(-0.022430919110774994);
const GT_N4 = f32x4.splat(-0.0054410346783697605);
const GT_N5 = f32x4.splat(-0.004101679660379887);
const GT_D1 = f32x4.splat(0.010599534958600998);
const GT_D2 = f32x4.splat(0.08545809239149094);
const GT_D3 = f32x4.splat(-0.0020018017385154963);
const GT_D4 = f32x4.splat(-0.00031420073355548084);
const GT_D5 = f32x4.splat(0.00010914928134297952);
const GT_HEAD_MASK = i32x4.splat(0xffff8000); // 9 significant bits
const GT_ABS = i32x4.splat(0x7fffffff);
const GT_HALF = f32x4.splat(0.5);
const GT_ONE = f32x4.splat(1.0);
const GT_NEG_ZERO = f32x4.splat(-0.0);
const GT_NEAR = f32x4.splat(3.0);

/** Every lane has |x| ≤ 3 (so none is NaN): geluTanhNear applies. */
@inline export function geluTanhIsNear(x: v128): bool {
  return i32x4.all_true(geluTanhNearLanes(x));
}

/** All ones on the lanes of x that geluTanhNear accepts (|x| ≤ 3). */
@inline export function geluTanhNearLanes(x: v128): v128 {
  return f32x4.le(v128.and(x, GT_ABS), GT_NEAR);
}

/** geluTanhIsNear of both vectors. */
@inline export function geluTanhIsNear2(x: v128, y: v128): bool {
  return i32x4.all_true(v128.and(f32x4.le(v128.and(x, GT_ABS), GT_NEAR), f32x4.le(v128.and(y, GT_ABS), GT_NEAR)));
}

/** 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) for |x| ≤ 3: max(x, -0) - a·S(a), S(a) = σ(-2u(a)). */
@inline export function geluTanhNear(x: v128): v128 {
  const a = v128.and(x, GT_ABS);
  const ah = v128.and(a, GT_HEAD_MASK);
  const al = f32x4.sub(a, ah);
  const head = f32x4.mul(ah, madd32(ah, GT_K, GT_S0)); // exact
  const tail = f32x4.mul(al, madd32(f32x4.add(a, ah), GT_K, GT_S0));
  const u = f32x4.sub(a, GT_C);
  const num = madd32(madd32(madd32(madd32(madd32(GT_N5, u, GT_N4), u, GT_N3), u, GT_N2), u, GT_N1), u, GT_N0);
  const den = madd32(madd32(madd32(madd32(madd32(GT_D5, u, GT_D4), u, GT_D3), u, GT_D2), u, GT_D1), u, GT_ONE);
  const rest = f32x4.sub(tail, f32x4.div(num, den));
  const t = expRound(f32x4.add(head, rest));
  const v = expNeg(t, head, rest);
  const hs = f32x4.mul(f32x4.mul(a, GT_HALF), pow2(t));
  const base = f32x4.sub(f32x4.pmax(x, GT_NEG_ZERO), hs);
  return v128.or(madd32(hs, v, base), v128.and(x, GT_NEG_ZERO));
}
