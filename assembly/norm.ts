// LayerNorm and RMSNorm over `rows` contiguous rows of n floats, as transformer sublayers use them.
// Both are `normRows`, specialised by literal flags once inlined: `centred` (LayerNorm subtracts the
// mean, RMSNorm does not), `hasWeight` and `hasBias` (a null pointer means none).
//
// Accuracy: the statistics and every output are evaluated in float64 (f64x2 lanes) and each output
// is rounded once to float32, so it lies within about 0.5 ulp of the exact formula. The variance is
// two-pass, Σ(x − mean)² after the mean: a constant row gets exactly 0 and a large mean does not
// cancel. The float64 arithmetic is plain mul/add (no madd64): both builds give the same bits.
// Special values follow the formula, as PyTorch: a NaN or ±∞ in a row makes its statistics NaN or ∞
// (that row only); eps = 0 on a constant row gives 1/√0 = ∞ and (x − mean)·∞ = 0·∞ = NaN.
// A tail of n % 4 floats goes through a zeroed 16-byte scratch (this thread's, scratch.ts): nothing
// past a row, the weight or the bias is read or written.
import { hi64, lo64, narrow } from './math/wide';
import { tailScratch } from './scratch';

const LANES = i32x4(0, 1, 2, 3);
const ZERO = f64x2.splat(0);

/** The `bytes` (< 16) bytes at p, zero-padded to one vector. */
@inline function loadTail(p: usize, bytes: usize): v128 {
  const tail = normTail();
  v128.store(tail, ZERO);
  memory.copy(tail, p, bytes);
  return v128.load(tail);
}

@inline function normTail(): usize { return tailScratch + 32; }

/** What one float64 lane pair adds to the row's sum: x, or with `squared`, (x − centre)². */
@inline function term(x: v128, centre: v128, squared: bool): v128 {
  if (!squared) return x;
  const d = f64x2.sub(x, centre);
  return f64x2.mul(d, d);
}

/** Σ x over the row, or with `squared`, Σ (x − centre)², in float64. */
@inline function rowSum(x: usize, n: i32, centre: f64, squared: bool): f64 {
  const c = f64x2.splat(centre);
  let lo = ZERO;
  let hi = ZERO;
  let lo2 = ZERO;
  let hi2 = ZERO;
  const body = <usize>(n & ~3) << 2;
  // Two vectors per step into four sums: each float64 add waits for the previous one of its sum.
  const body2 = body & ~31;
  let i: usize = 0;
  for (; i < body2; i += 32) {
    const v = v128.load(x + i);
    const u = v128.load(x + i, 16);
    lo = f64x2.add(lo, term(lo64(v), c, squared));
    hi = f64x2.add(hi, term(hi64(v), c, squared));
    lo2 = f64x2.add(lo2, term(lo64(u), c, squared));
    hi2 = f64x2.add(hi2, term(hi64(u), c, squared));
  }
  if (i < body) {
    const v = v128.load(x + i);
    lo = f64x2.add(lo, term(lo64(v), c, squared));
    hi = f64x2.add(hi, term(hi64(v), c, squared));
  }
  const rest = n & 3;
  if (rest) {
    // The padding lanes are 0, but (0 − centre)² is not: mask them out.
    const v = loadTail(x + body, <usize>rest << 2);
    const keep = i32x4.lt_s(LANES, i32x4.splat(rest));
    lo = f64x2.add(lo, v128.and(term(lo64(v), c, squared), i64x2.extend_low_i32x4_s(keep)));
    hi = f64x2.add(hi, v128.and(term(hi64(v), c, squared), i64x2.extend_high_i32x4_s(keep)));
  }
  const s = f64x2.add(f64x2.add(lo, hi), f64x2.add(lo2, hi2));
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/** (x − mean)·rstd·(shift + w) + b on two float64 lanes, with the flags' terms only. */
@inline function normalise2(
  x: v128, w: v128, b: v128, mean: v128, rstd: v128, shift: v128,
  centred: bool, hasWeight: bool, hasBias: bool,
): v128 {
  let t = f64x2.mul(centred ? f64x2.sub(x, mean) : x, rstd);
  if (hasWeight) t = f64x2.mul(t, f64x2.add(w, shift));
  if (hasBias) t = f64x2.add(t, b);
  return t;
}

@inline function normalise4(
  x: v128, w: v128, b: v128, mean: v128, rstd: v128, shift: v128,
  centred: bool, hasWeight: bool, hasBias: bool,
): v128 {
  return narrow(
    normalise2(lo64(x), lo64(w), lo64(b), mean, rstd, shift, centred, hasWeight, hasBias),
    normalise2(hi64(x), hi64(w), hi64(b), mean, rstd, shift, centred, hasWeight, hasBias),
  );
}

/** One row's output from its statistics. */
@inline function writeRow(
  x: usize, y: usize, n: i32, weight: usize, bias: usize, mean: v128, rstd: v128, shift: v128,
  centred: bool, hasWeight: bool, hasBias: bool,
): void {
  const body = <usize>(n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    const w = hasWeight ? v128.load(weight + i) : ZERO;
    const b = hasBias ? v128.load(bias + i) : ZERO;
    v128.store(y + i, normalise4(v128.load(x + i), w, b, mean, rstd, shift, centred, hasWeight, hasBias));
  }
  const rest = <usize>(n & 3) << 2;
  if (rest) {
    const v = loadTail(x + body, rest);
    const w = hasWeight ? loadTail(weight + body, rest) : ZERO;
    const b = hasBias ? loadTail(bias + body, rest) : ZERO;
    const tail = normTail();
    v128.store(tail, normalise4(v, w, b, mean, rstd, shift, centred, hasWeight, hasBias));
    memory.copy(y + body, tail, rest);
  }
}

/** Every row: statistics, then the output (y may be x: each element is read before it is written). */
@inline function normRows(
  x: usize, y: usize, rows: i32, n: i32, weight: usize, bias: usize, eps: f64, shift: f64,
  centred: bool, hasWeight: bool, hasBias: bool,
): void {
  const stride = <usize>n << 2;
  const count = <f64>n;
  for (let r = 0; r < rows; r++) {
    const mean = centred ? rowSum(x, n, 0, false) / count : 0.0;
    const variance = rowSum(x, n, mean, true) / count; // RMSNorm (mean 0): the mean square
    const rstd = 1.0 / Math.sqrt(variance + eps);
    writeRow(x, y, n, weight, bias, f64x2.splat(mean), f64x2.splat(rstd), f64x2.splat(shift), centred, hasWeight, hasBias);
    x += stride;
    y += stride;
  }
}

// Adding −0 is the identity (−0 + w = w for every w, −0 included), so it is the shift of a plain weight.
const NO_SHIFT = -0.0;

/** torch.nn.LayerNorm over rows of n: y = (x − mean)/√(var + eps)·w + b, var the biased variance.
 *  weight = 0: no weight (ones); bias = 0: no bias. */
export function layerNorm(x: usize, y: usize, rows: i32, n: i32, weight: usize, bias: usize, eps: f64): void {
  if (weight != 0 && bias != 0) normRows(x, y, rows, n, weight, bias, eps, NO_SHIFT, true, true, true);
  else if (weight != 0) normRows(x, y, rows, n, weight, 0, eps, NO_SHIFT, true, true, false);
  else if (bias != 0) normRows(x, y, rows, n, 0, bias, eps, NO_SHIFT, true, false, true);
  else normRows(x, y, rows, n, 0, 0, eps, NO_SHIFT, true, false, false);
}

/** RMSNorm over rows of n: y = x/√(mean(x²) + eps)·(offset + w); offset 0 (LLaMA, T5) or 1 (Gemma's 1 + w).
 *  weight = 0: no weight (the factor is 1 whatever the offset). */
export function rmsNorm(x: usize, y: usize, rows: i32, n: i32, weight: usize, eps: f64, offset: f32): void {
  const shift = offset == 0 ? NO_SHIFT : <f64>offset;
  if (weight != 0) normRows(x, y, rows, n, weight, 0, eps, shift, false, true, false);
  else normRows(x, y, rows, n, 0, 0, eps, shift, false, false, false);
}
