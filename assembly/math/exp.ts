// Exponentials. Coefficients from scripts/fit_coefficients.py (minimax, Lawson's algorithm).
//
// f32x4: e^(-Y) for Y = hi + lo given as an exact head and a small tail (the callers form Y exactly,
// e.g. -x²/2 via a split product), reduced as Y = -n·ln2 + ρ with n·C1 exact (Cody–Waite) and
// returned as 2^n·(1 - v): v = 1 - e^(-ρ) keeps full relative accuracy, so callers can fold the last
// multiply-add (m - m·v) into one rounding.
// f64x2: e^y for |y| ≤ 700 with relative error < 2^-39, used where a kernel evaluates in float64.
import { madd, madd64, nmadd } from '../simd';

const MAGIC = f32x4.splat(12582912.0); // 1.5·2^23: adding it rounds to an integer held in the low bits
const LOG2E = f32x4.splat(1.4426950408889634);
const LN2_HI = f32x4.splat(0.693359375); // 355/512: n·LN2_HI is exact for |n| < 2^15
const LN2_LO = f32x4.splat(-2.12194440e-4); // ln2 - LN2_HI
export const ONE_BITS = i32x4.splat(0x3f800000);

// e^-r = 1 - r + r²·s(r) on |r| ≤ 0.36: relative error 5.2e-9 (2^-27.5) with these float32 values.
const EXP_S0 = f32x4.splat(0.49999991059303284);
const EXP_S1 = f32x4.splat(-0.1666649729013443);
const EXP_S2 = f32x4.splat(0.041668668389320374);
const EXP_S3 = f32x4.splat(-0.008371495641767979);
const EXP_S4 = f32x4.splat(0.001380884787067771);

/**
 * e^(-Y) in two steps, Y = head + tail with 0 ≤ head ≤ 87 exact and a small tail:
 *   const t = expRound(approx);      // approx ≈ Y (within ±0.01), picks n = round(Y/ln2)
 *                                    // (an approx without the tail would let |r| exceed the fit)
 *   const v = expNeg(t, head, tail); // e^(-Y) = pow2(t)·(1 - v)
 * The reduction head - n·LN2_HI is exact (n·LN2_HI has at most 24 bits and the difference is
 * small), the tail and n·LN2_LO are summed apart, so the only roundings that matter are the one
 * addition that forms r (≤ 2^-26 absolute) and the polynomial's.
 */
@inline export function expRound(approx: v128): v128 {
  return madd(approx, f32x4.neg(LOG2E), MAGIC);
}

/** v = 1 - e^(-(head + tail))/2^n (so e^(-Y) = 2^n·(1 - v)) for the n that expRound chose
 *  (|head + tail - n·ln2| ≤ 0.36). */
@inline export function expNeg(t: v128, head: v128, tail: v128): v128 {
  const n = f32x4.sub(t, MAGIC); // -round(Y/ln2), ≤ 0
  // exact head - |n|·LN2_HI, plus the small terms summed first: one rounding at the size of r
  const r = f32x4.add(madd(n, LN2_HI, head), madd(n, LN2_LO, tail));
  const s = madd(madd(madd(madd(EXP_S4, r, EXP_S3), r, EXP_S2), r, EXP_S1), r, EXP_S0);
  return nmadd(f32x4.mul(r, r), s, r);
}

/** expNeg with an extra constant `shift` (a multiple of 2^-12, |shift| < 1/4) in the exponent,
 *  added right after the exact reduction, where the sum is still exact. */
@inline export function expNegShifted(t: v128, head: v128, shift: v128, tail: v128): v128 {
  const n = f32x4.sub(t, MAGIC);
  const r = f32x4.add(f32x4.add(madd(n, LN2_HI, head), shift), madd(n, LN2_LO, tail));
  const s = madd(madd(madd(madd(EXP_S4, r, EXP_S3), r, EXP_S2), r, EXP_S1), r, EXP_S0);
  return nmadd(f32x4.mul(r, r), s, r);
}

// e^-r = 1 - r + r²·s(r) with s of degree 3 on |r| ≤ 0.36: relative error 1.3e-7 (for gelu_erf_fast).
const EXP3_S0 = f32x4.splat(0.49999111890792847);
const EXP3_S1 = f32x4.splat(-0.16667190194129944);
const EXP3_S2 = f32x4.splat(0.041907329112291336);
const EXP3_S3 = f32x4.splat(-0.008310646750032902);

/** A cheaper expNeg (relative error 1.3e-7, no tail): v = 1 - e^(-y)/2^n for the n of expRound(y);
 *  y itself rounded (its error ≤ ulp(y)/2 becomes a relative error of e^-y). */
@inline export function expNegShort(t: v128, y: v128): v128 {
  const n = f32x4.sub(t, MAGIC);
  const r = madd(n, LN2_LO, madd(n, LN2_HI, y));
  const s = madd(madd(madd(EXP3_S3, r, EXP3_S2), r, EXP3_S1), r, EXP3_S0);
  return nmadd(f32x4.mul(r, r), s, r);
}

/** 2^n·2^bias for the t of expRound, n = t - MAGIC (≤ 0), exact while n + bias ≥ -126. */
@inline export function pow2Biased(t: v128, bias: v128): v128 {
  return i32x4.add(i32x4.shl(t, 23), bias);
}

/** 2^n for the t of expRound, n = t - MAGIC (≤ 0), exact (the caller keeps n ≥ -126). */
@inline export function pow2(t: v128): v128 {
  return i32x4.add(i32x4.shl(t, 23), ONE_BITS);
}

const MAGIC64 = f64x2.splat(6755399441055744.0); // 1.5·2^52
const LOG2E64 = f64x2.splat(1.4426950408889634);
const NLN2_HI64 = f64x2.splat(-6.93147180369123816490e-01); // fdlibm's split of ln2: n·HI exact
const NLN2_LO64 = f64x2.splat(-1.90821492927058770002e-10);
const ONE_BITS64 = i64x2.splat(0x3ff0000000000000);
const LIMIT64 = f64x2.splat(700.0);
// e^r = 1 + r + r²·s(r) on |r| ≤ 0.3466: relative error 1.1e-12 (2^-39.7).
const EXP_D0 = f64x2.splat(0.5000000000427072);
const EXP_D1 = f64x2.splat(0.16666666784495693);
const EXP_D2 = f64x2.splat(0.04166666440403832);
const EXP_D3 = f64x2.splat(0.008333281792380664);
const EXP_D4 = f64x2.splat(0.0013889197225370185);
const EXP_D5 = f64x2.splat(0.000199089492577322);
const EXP_D6 = f64x2.splat(2.470827392511899e-05);

/** e^y on f64x2 lanes, y clamped to [-700, 700] (NaN stays NaN): relative error < 2^-39. */
@inline export function exp64(y: v128): v128 {
  y = f64x2.pmax(f64x2.pmin(y, LIMIT64), f64x2.neg(LIMIT64));
  const t = madd64(y, LOG2E64, MAGIC64);
  const n = f64x2.sub(t, MAGIC64);
  let r = madd64(n, NLN2_HI64, y);
  r = madd64(n, NLN2_LO64, r);
  let s = madd64(madd64(madd64(EXP_D6, r, EXP_D5), r, EXP_D4), r, EXP_D3);
  s = madd64(madd64(madd64(s, r, EXP_D2), r, EXP_D1), r, EXP_D0);
  const p = f64x2.add(madd64(f64x2.mul(r, r), s, r), f64x2.splat(1.0));
  return f64x2.mul(p, i64x2.add(i64x2.shl(t, 52), ONE_BITS64));
}
