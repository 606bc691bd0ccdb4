// Float64 reference functions for judging the float32 kernels. Plain ESM JavaScript so that Vitest
// tests (TypeScript) and plain `node` scripts (bench, exhaustive sweeps) can both import it. It
// shares no code and no coefficients with assembly/: it is an independent implementation.
//
// Accuracy, measured against mpmath at 80 significant digits (test/reference/mp_values.py; the
// committed sample is checked by test/reference.test.ts, a 64k-point sweep gave the figures below):
//   erf, erfc, Phi, phi and every forward activation: relative error ≤ 4 ulp of 1 (2^-50 ≈ 8.9e-16;
//   measured max 7e-16) on every input whose result is a normal double, including the far tails
//   (erfc up to x ≈ 26.5, Phi down to x ≈ -37.5, sigmoid and silu down to x ≈ -700).
//   Derivatives: |error| ≤ 2^-50·|f'(x)| + 1.5e-16 (measured max: 1e-15 relative where
//   |f'| ≥ 0.05, 1.4e-16 absolute below). The absolute part matters only near a derivative's zero
//   crossing (GELU's at x ≈ -0.7518, gelu_tanh's ≈ -0.7522, SiLU's ≈ -1.2785, QuickGELU's
//   ≈ -0.7511), where two O(0.3) terms cancel. For a float32 argument the derivative there is still
//   ≳ 5e-9 in magnitude, so the error stays below 0.04 float32 ulp (measured).
//   Everywhere else the error is < 3e-7 of a float32 ulp, far below what a ulp test can see.
// The figures assume the engine's Math.exp and Math.tanh are faithful (< 1 ulp): V8, hence Node,
// uses ports of fdlibm for both.
// Results that underflow to double subnormals (erfc beyond ≈ 26.55, Phi below ≈ -37.5) lose
// relative accuracy as subnormals must; none of them is a float32-relevant value.
//
// How the tails are kept accurate:
//   * erfc(x) for x > 0.46875 is exp(-x²)·R(x) (W. J. Cody, "Rational Chebyshev approximations for
//     the error function", Math. Comp. 23 (1969) 631-638; coefficients from his CALERF, double
//     precision set). exp(-x²) is evaluated as exp(-hi)·(1 - lo) where x² = hi + lo exactly (Dekker's
//     product), so the large exponent carries no rounding error. (Cody's CALERF splits instead as
//     x² = s² + (x-s)(x+s) with s = trunc(16x)/16; the exact product is a little more accurate.)
//   * Phi(x) = erfc(-x/√2)/2 with -x/√2 formed as a double-double t = th + tl and erfc(th + tl)
//     = exp(-th²)·(R(th) - 2/√π·tl): the rounding of x/√2 would otherwise cost ≈ x²·ε relative.
//   * sigmoid-like functions take exp of -|t| only, σ(t) = e^t/(1+e^t) for t < 0; where the
//     argument t is a product (1.702·x, the tanh-GELU polynomial) it is formed in double-double and
//     its low part applied as a first-order correction, σ(th + tl) = σ(th)·(1 + tl·σ(-th)).
//   * Tiny arguments of x·σ(…)-shaped functions (gelu, gelu_tanh, silu, quick_gelu): the exact
//     value is x/2 + c·x² (c > 0), which for a float32 subnormal x with an odd mantissa sits just
//     beside a float32 rounding tie that float64 cannot resolve (c·x² ≪ 2^-1074). For |x| < 2^-60
//     the reference returns x/2 moved one double ulp in the direction of c·x², so Math.fround of
//     the result is the correctly rounded float32 value (the error stays below 1 double ulp).
//
// Special values follow the mathematics and the design contract: f(NaN) = NaN for every function
// (derivatives too: reluDerivative(NaN) is NaN, where PyTorch's relu backward passes dy through);
// gelu(-∞) = -0, gelu(+∞) = +∞, likewise gelu_tanh, silu, quick_gelu; sigmoid(±∞) = 1 / 0;
// derivatives at ±∞ are their limits (1 or 0). relu(-0) = -0 and leakyRelu(-0) = -0, as in PyTorch;
// relu'(0) = 0 and leakyRelu'(±0) = slope, as in PyTorch. PyTorch's activations use float32 constants
// (e.g. 0.5·√(2/π) and 1.702 rounded to float32); this reference uses the exact constants.

// ---------------------------------------------------------------- double-double helpers

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp's splitter

let ddHi = 0;
let ddLo = 0;

/** Exact product a·b = ddHi + ddLo (|a|, |b| < 2^995, no underflow in the product's error). */
function twoProd(a, b) {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  ddHi = p;
  ddLo = ah * bh - p + ah * bl + al * bh + al * bl;
}

/** a·(ch + cl) as a normalised double-double in ddHi, ddLo. */
function mulConst(a, ch, cl) {
  twoProd(a, ch);
  const p = ddHi;
  const lo = ddLo + a * cl;
  const s = p + lo;
  ddHi = s;
  ddLo = lo - (s - p);
}

// Constants as double-doubles (high part = the double nearest the constant; low = the rest).
const SQRT1_2_HI = 0.7071067811865476;
const SQRT1_2_LO = -4.833646656726457e-17;
const INV_SQRT_2PI_HI = 0.3989422804014327; // 1/√(2π)
const INV_SQRT_2PI_LO = -2.49232720227773e-17;
const TWO_OVER_SQRTPI = 1.1283791670955126; // 2/√π
const TWO_SQRT_2_OVER_PI_HI = 1.5957691216057308; // 2·√(2/π)
const TWO_SQRT_2_OVER_PI_LO = -9.96930880911092e-17;
const GELU_TANH_C_HI = 0.044715;
const GELU_TANH_C_LO = 2.1960211427085595e-18;
const QUICK_GELU_K_HI = 1.702;
const QUICK_GELU_K_LO = 4.263256414560601e-17;
const ONE_OVER_SQRTPI = 0.5641895835477563; // 1/√π

const TINY = 2 ** -60; // below this, x·σ(…)-shaped functions are x/2 + c·x² (see the header)
const F64 = new Float64Array(1);
const I64 = new BigInt64Array(F64.buffer);

/** x/2 moved one double ulp towards +∞ (towards the sign of the x² term, which is positive). */
function halfPlusTiny(x) {
  const h = x * 0.5; // exact for |x| ≥ 2^-1073; an odd-subnormal x/2 is rounded, still below 1 ulp
  if (h === 0) return h; // x = ±0 (keeps the sign of zero) or ±2^-1074
  F64[0] = h;
  // For x > 0 the next double up is one step away from zero; for x < 0 one step towards zero.
  I64[0] += x > 0 ? 1n : -1n;
  return F64[0];
}

// ---------------------------------------------------------------- erf, erfc (W. J. Cody, 1969)

// |x| ≤ 0.46875: erf(x) = x·A(x²)/B(x²)
const A0 = 3.1611237438705656;
const A1 = 113.864154151050156;
const A2 = 377.485237685302021;
const A3 = 3209.37758913846947;
const A4 = 0.185777706184603153;
const B0 = 23.6012909523441209;
const B1 = 244.024637934444173;
const B2 = 1282.61652607737228;
const B3 = 2844.23683343917062;
// 0.46875 < x ≤ 4: erfc(x) = exp(-x²)·C(x)/D(x)
const C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131,
  881.95222124176909, 1712.04761263407058, 2051.07837782607147, 1230.33935479799725,
  2.15311535474403846e-8,
];
const D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019,
  3290.79923573345963, 4362.61909014324716, 3439.36767414372164, 1230.33935480374942,
];
// x > 4: erfc(x) = exp(-x²)/x·(1/√π - z·P(z)/Q(z)), z = 1/x²
const P = [
  0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766,
  6.58749161529837803e-4, 0.0163153871373020978,
];
const Q = [
  2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191,
  0.00233520497626869185,
];

const THRESH = 0.46875;
const ERFC_ZERO = 27.3; // erfc(x) < 2^-1075 beyond this: rounds to +0

/** erf(x) for |x| ≤ THRESH (also exact-sign zero and subnormals). */
function erfSmall(x) {
  const z = x * x;
  let num = A4 * z;
  let den = z;
  num = (num + A0) * z;
  den = (den + B0) * z;
  num = (num + A1) * z;
  den = (den + B1) * z;
  num = (num + A2) * z;
  den = (den + B2) * z;
  return (x * (num + A3)) / (den + B3);
}

/** exp(y²)·erfc(y) for y > THRESH (finite). */
function erfcxPos(y) {
  if (y <= 4) {
    let num = C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]) * y;
      den = (den + D[i]) * y;
    }
    return (num + C[7]) / (den + D[7]);
  }
  const z = 1 / (y * y);
  let num = P[5] * z;
  let den = z;
  for (let i = 0; i < 4; i++) {
    num = (num + P[i]) * z;
    den = (den + Q[i]) * z;
  }
  const r = (z * (num + P[4])) / (den + Q[4]);
  return (ONE_OVER_SQRTPI - r) / y;
}

/** exp(-y²)·m for 0 ≤ y < ERFC_ZERO, with y² split exactly (the multiplier applied before the
 *  large factor, so a subnormal result is rounded once). */
function expNegSqTimes(y, m) {
  twoProd(y, y);
  return Math.exp(-ddHi) * ((1 - ddLo) * m);
}

/** erfc(th + tl) for th ≥ 0, |tl| ≤ ulp(th)/2. */
function erfcPosDD(th, tl) {
  if (th <= THRESH) {
    return 1 - (erfSmall(th) + TWO_OVER_SQRTPI * tl * Math.exp(-th * th));
  }
  if (th >= ERFC_ZERO) return 0;
  return expNegSqTimes(th, erfcxPos(th) - TWO_OVER_SQRTPI * tl);
}

/** The error function erf(x) = 2/√π ∫₀ˣ e^{-t²} dt. */
export function erf(x) {
  if (x !== x) return NaN;
  const y = Math.abs(x);
  if (y <= THRESH) return erfSmall(x);
  const c = y >= ERFC_ZERO ? 0 : expNegSqTimes(y, erfcxPos(y));
  const r = 0.5 - c + 0.5;
  return x < 0 ? -r : r;
}

/** The complementary error function erfc(x) = 1 - erf(x), relatively accurate for large x. */
export function erfc(x) {
  if (x !== x) return NaN;
  const y = Math.abs(x);
  if (y <= THRESH) return 1 - erfSmall(x);
  const c = y >= ERFC_ZERO ? 0 : expNegSqTimes(y, erfcxPos(y));
  return x < 0 ? 2 - c : c;
}

// ---------------------------------------------------------------- normal distribution

/** Standard normal CDF Φ(x) = erfc(-x/√2)/2, relatively accurate on the negative tail. */
export function Phi(x) {
  if (x !== x) return NaN;
  if (x < -40) return 0; // Φ(-40) ≈ 3.7e-350
  if (x > 40) return 1;
  mulConst(Math.abs(x), SQRT1_2_HI, SQRT1_2_LO);
  const q = 0.5 * erfcPosDD(ddHi, ddLo); // Φ(-|x|)
  return x <= 0 ? q : 1 - q;
}

/** Standard normal density φ(x) = exp(-x²/2)/√(2π). */
export function phi(x) {
  if (x !== x) return NaN;
  const y = Math.abs(x);
  if (y > 40) return 0; // φ(40) ≈ 1.5e-348
  twoProd(y, y);
  const e = Math.exp(-0.5 * ddHi) * (1 - 0.5 * ddLo);
  return e * INV_SQRT_2PI_HI + e * INV_SQRT_2PI_LO;
}

// ---------------------------------------------------------------- sigmoid helpers

let sigP = 0; // σ(t)
let sigN = 0; // σ(-t)

/** σ(t) and σ(-t) into sigP, sigN, each relatively accurate (exp of -|t| only). */
function sigmoidPair(t) {
  const e = Math.exp(-Math.abs(t));
  const d = 1 + e;
  const big = 1 / d;
  const small = e / d;
  if (t >= 0) {
    sigP = big;
    sigN = small;
  } else {
    sigP = small;
    sigN = big;
  }
}

/** σ(±(th + tl)) into sigP, sigN, with the low part as a first-order correction. */
function sigmoidPairDD(th, tl) {
  sigmoidPair(th);
  const p = sigP * (1 + tl * sigN);
  const n = sigN * (1 - tl * sigP);
  sigP = p;
  sigN = n;
}

// ---------------------------------------------------------------- activations

/** GELU, exact form (PyTorch approximate='none'): x·Φ(x). */
export function gelu(x) {
  if (x !== x) return NaN;
  if (x === Infinity) return Infinity;
  if (x === -Infinity) return -0;
  if (Math.abs(x) < TINY) return halfPlusTiny(x);
  return x * Phi(x);
}

/** d/dx gelu(x) = Φ(x) + x·φ(x). */
export function geluDerivative(x) {
  if (x !== x) return NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  return Phi(x) + x * phi(x);
}

// w(x) = 2u(x) = 2√(2/π)·(x + 0.044715·x³), as a double-double in ddHi, ddLo (|x| ≤ 1e4).
function geluTanhArg(x) {
  twoProd(x, x);
  const x2h = ddHi;
  const x2l = ddLo;
  twoProd(x2h, x);
  const x3h = ddHi;
  const x3l = ddLo + x2l * x;
  twoProd(GELU_TANH_C_HI, x3h);
  const cx3h = ddHi;
  const cx3l = ddLo + GELU_TANH_C_HI * x3l + GELU_TANH_C_LO * x3h;
  // s = x + c·x³ (two-sum of x and cx3h, then the low parts)
  const sh = x + cx3h;
  const bb = sh - x;
  const sl = x - (sh - bb) + (cx3h - bb) + cx3l;
  twoProd(TWO_SQRT_2_OVER_PI_HI, sh);
  const wh = ddHi;
  const wl = ddLo + TWO_SQRT_2_OVER_PI_HI * sl + TWO_SQRT_2_OVER_PI_LO * sh;
  const w = wh + wl;
  ddLo = wl - (w - wh);
  ddHi = w;
}

const BIG = 1e4; // beyond this, the x·σ(…) functions are x (x > 0) or -0 (x < 0) in float64

/** GELU, tanh form (PyTorch approximate='tanh'): 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))),
 *  evaluated as x·σ(2u) without cancellation. */
export function geluTanh(x) {
  if (x !== x) return NaN;
  if (Math.abs(x) > BIG) return x > 0 ? x : -0;
  if (Math.abs(x) < TINY) return halfPlusTiny(x);
  geluTanhArg(x);
  sigmoidPairDD(ddHi, ddLo);
  return x * sigP;
}

/** d/dx geluTanh(x) = σ(w) + x·w'·σ(w)·σ(-w), w = 2u, w' = 2√(2/π)(1 + 3·0.044715x²). */
export function geluTanhDerivative(x) {
  if (x !== x) return NaN;
  if (Math.abs(x) > BIG) return x > 0 ? 1 : 0;
  geluTanhArg(x);
  sigmoidPairDD(ddHi, ddLo);
  const dw = TWO_SQRT_2_OVER_PI_HI * (1 + 3 * GELU_TANH_C_HI * x * x);
  return sigP * (1 + x * dw * sigN);
}

/** Logistic sigmoid σ(x) = 1/(1 + e^{-x}), relatively accurate for very negative x. */
export function sigmoid(x) {
  if (x !== x) return NaN;
  sigmoidPair(x);
  return sigP;
}

/** σ'(x) = σ(x)·σ(-x). */
export function sigmoidDerivative(x) {
  if (x !== x) return NaN;
  const e = Math.exp(-Math.abs(x));
  const d = 1 + e;
  return e / d / d;
}

/** Hyperbolic tangent (the engine's Math.tanh, an fdlibm port: < 1 ulp). */
export function tanh(x) {
  return Math.tanh(x);
}

/** tanh'(x) = 1 - tanh²(x), evaluated as 4e^{-2|x|}/(1 + e^{-2|x|})² (no cancellation). */
export function tanhDerivative(x) {
  if (x !== x) return NaN;
  const e = Math.exp(-2 * Math.abs(x));
  const d = 1 + e;
  return (4 * e) / d / d;
}

/** SiLU (swish): x·σ(x). */
export function silu(x) {
  if (x !== x) return NaN;
  if (x === -Infinity) return -0;
  if (Math.abs(x) < TINY) return halfPlusTiny(x);
  sigmoidPair(x);
  return x * sigP;
}

/** silu'(x) = σ(x)·(1 + x·σ(-x)). */
export function siluDerivative(x) {
  if (x !== x) return NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  sigmoidPair(x);
  return sigP * (1 + x * sigN);
}

/** QuickGELU: x·σ(1.702x) (no PyTorch builtin; CLIP's definition). */
export function quickGelu(x) {
  if (x !== x) return NaN;
  if (Math.abs(x) > BIG) return x > 0 ? x : -0;
  if (Math.abs(x) < TINY) return halfPlusTiny(x);
  mulConst(x, QUICK_GELU_K_HI, QUICK_GELU_K_LO);
  sigmoidPairDD(ddHi, ddLo);
  return x * sigP;
}

/** quickGelu'(x) = σ(t)·(1 + t·σ(-t)), t = 1.702x. */
export function quickGeluDerivative(x) {
  if (x !== x) return NaN;
  if (Math.abs(x) > BIG) return x > 0 ? 1 : 0;
  mulConst(x, QUICK_GELU_K_HI, QUICK_GELU_K_LO);
  const t = ddHi;
  sigmoidPairDD(ddHi, ddLo);
  return sigP * (1 + t * sigN);
}

/** ReLU: x for x > 0, else 0; relu(-0) = -0 and relu(NaN) = NaN (as PyTorch). */
export function relu(x) {
  if (x !== x) return NaN;
  return x > 0 || x === 0 ? x : 0;
}

/** relu'(x) = 1 for x > 0, else 0 (0 at x = 0, as PyTorch); NaN at NaN. */
export function reluDerivative(x) {
  if (x !== x) return NaN;
  return x > 0 ? 1 : 0;
}

/** Leaky ReLU: x for x > 0, else slope·x (so -0 → -0 for slope > 0). Pass Math.fround(slope) to
 *  mirror a float32 kernel: the product of two float32 values is exact in float64. */
export function leakyRelu(x, slope = 0.01) {
  if (x !== x) return NaN;
  return x > 0 ? x : x * slope;
}

/** leakyRelu'(x) = 1 for x > 0, else slope (slope at ±0, as PyTorch); NaN at NaN. */
export function leakyReluDerivative(x, slope = 0.01) {
  if (x !== x) return NaN;
  return x > 0 ? 1 : slope;
}

/** Hugging Face's gelu_10: clip(gelu(x), −10, 10). */
export function gelu10(x) {
  return Math.min(Math.max(gelu(x), -10), 10);
}

/** gelu10'(x): gelu'(x) where the clip passes gelu through, else 0 (torch.clip's gradient). */
export function gelu10Derivative(x) {
  const y = gelu(x);
  return y >= -10 && y <= 10 ? geluDerivative(x) : y !== y ? NaN : 0;
}

/**
 * The activations by PyTorch string id: forward and derivative. leaky_relu takes the slope as a
 * second argument (default 0.01). gelu_erf_fast is the throughput kernel of the exact GELU: its
 * reference is gelu (its tolerance differs; that is the kernel tests' business).
 */
export const ACTIVATIONS = Object.freeze({
  gelu: Object.freeze({ forward: gelu, derivative: geluDerivative }),
  gelu_erf_fast: Object.freeze({ forward: gelu, derivative: geluDerivative }),
  gelu_10: Object.freeze({ forward: gelu10, derivative: gelu10Derivative }),
  gelu_tanh: Object.freeze({ forward: geluTanh, derivative: geluTanhDerivative }),
  sigmoid: Object.freeze({ forward: sigmoid, derivative: sigmoidDerivative }),
  tanh: Object.freeze({ forward: tanh, derivative: tanhDerivative }),
  relu: Object.freeze({ forward: relu, derivative: reluDerivative }),
  leaky_relu: Object.freeze({ forward: leakyRelu, derivative: leakyReluDerivative }),
  silu: Object.freeze({ forward: silu, derivative: siluDerivative }),
  quick_gelu: Object.freeze({ forward: quickGelu, derivative: quickGeluDerivative }),
});
