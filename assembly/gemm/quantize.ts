// Run-time quantisation of the rows of x for the integer GEMM (WeightDtype.INT8_DOT, integer.ts):
// per row, asymmetric int8 as XNNPACK's qd8, exactly:
//
//   lo = min(0, min_k x[k]),  hi = max(0, max_k x[k])          (float32, so the range holds 0)
//   scale = float32((float64(hi) − float64(lo)) / 255)          (one float64 division, rounded once
//                                                                to float32: no overflow for any
//                                                                finite row; JS: Math.fround((hi − lo) / 255))
//   inv = float32(1 / scale)
//   zp = clamp(−128 − roundHalfEven(float32(lo · inv)), −128, 127)
//   xq[k] = clamp(roundHalfEven(float32(x[k] · inv)) + zp, −128, 127)
//
// so that x[k] ≈ scale · (xq[k] − zp), 0 maps to zp exactly and lo to −128. Edge cases:
//   - scale = 0 (every x is ±0, or so tiny that (hi − lo)/255 underflows): zp = 0 and every xq = 0;
//     the layer's outputs are then exactly its bias (the dropped contributions are below 2^-141·Σ|w|);
//   - a row with a NaN or ±∞: scale = NaN, zp = 0 and every xq = 0, so that all of that row's outputs
//     are NaN, as a float32 layer gives NaN or ±∞ there (the other rows are unaffected).
// roundHalfEven(v) for |v| < 2^22 is float32(v + 1.5·2^23) − 1.5·2^23 read from the bits (the sum's
// ulp is 1): one add and one integer subtract, which also takes the zero point. In a finite row
// |x · inv| ≤ 256, and the two edge cases use inv = 0 on a row of zeros instead of x.
//
// x is read in groups of 4 floats; a row's last K mod 4 floats are read one by one into a vector
// (never past the row: x is exactly rows·K floats). Plain float32 multiplies and adds (never fused):
// the same bits in both builds and every engine.
//
// Layouts written: `quantizeRows` (exported, for tests and tools) writes the canonical int8 rows,
// K bytes a row; the GEMM writes, per group of 4 k's, either 4 bytes (the relaxed dot: xq, or
// xq ^ 0x80 = xq + 128 as u8) or 4 int16 (the dot_i16x8 path), at a stride of its choosing, and the
// group past the row's end padded with the quantised 0 (the packed weights there are 0).

/** Where a row's parameters go: 8 bytes, float32 scale then int32 zero point. */
export const PARAM_BYTES: usize = 8;

/** How the quantised groups are stored (see the header). */
export const enum QFormat { INT8 = 0, UINT8 = 1, INT16 = 2 }

const MAGIC: f32 = 12582912; // 1.5·2^23
const MAGIC_BITS: i32 = 0x4b40_0000;

/**
 * lo and hi of the row (x, K floats, K ≥ 1) → its scale and zero point at params (float32, int32).
 * Returns inv, or 0 for the edge cases (scale 0, or NaN for a row that is not finite).
 */
@inline function rowParams(x: usize, K: i32, params: usize): f32 {
  let lo = f32x4.splat(0);
  let hi = f32x4.splat(0);
  const body = <usize>(K & ~3) << 2;
  let nan = f32x4.splat(0);
  let k: usize = 0;
  for (; k < body; k += 16) {
    // pmin/pmax are one instruction each on x64 (min/max take 7 to propagate NaN): ±∞ reach lo
    // and hi, a NaN is caught by the compare
    const v = v128.load(x + k);
    lo = f32x4.pmin(v, lo);
    hi = f32x4.pmax(v, hi);
    nan = v128.or(nan, f32x4.ne(v, v));
  }
  if (v128.any_true(nan)) lo = f32x4.splat(NaN);
  let l = min(min(f32x4.extract_lane(lo, 0), f32x4.extract_lane(lo, 1)), min(f32x4.extract_lane(lo, 2), f32x4.extract_lane(lo, 3)));
  let h = max(max(f32x4.extract_lane(hi, 0), f32x4.extract_lane(hi, 1)), max(f32x4.extract_lane(hi, 2), f32x4.extract_lane(hi, 3)));
  const end = <usize>K << 2;
  for (; k < end; k += 4) {
    const v = load<f32>(x + k);
    l = min(l, v);
    h = max(h, v);
  }
  const range = <f64>h - <f64>l;
  let scale: f32 = NaN;
  let zp: i32 = 0;
  let inv: f32 = 0;
  if (isFinite(range)) {
    scale = <f32>(range / 255);
    if (scale != 0) {
      inv = <f32>1 / scale;
      zp = max(-128, min(127, -128 - (reinterpret<i32>(l * inv + MAGIC) - MAGIC_BITS)));
    }
  }
  store<f32>(params, scale);
  store<i32>(params, zp, 4);
  return inv;
}

/**
 * 4 floats → their 4 quantised values in lanes 0 … 3 of an i8x16 (saturating narrows clamp to int8);
 * bias = MAGIC_BITS − zp.
 */
@inline function quantize4(v: v128, inv: v128, bias: v128): v128 {
  const t = i32x4.sub(f32x4.add(f32x4.mul(v, inv), f32x4.splat(MAGIC)), bias);
  const h = i16x8.narrow_i32x4_s(t, t);
  return i8x16.narrow_i16x8_s(h, h);
}

/** Stores a group of 4 quantised values (lanes 0 … 3 of q) in format f. */
@inline function storeGroup(dst: usize, q: v128, f: QFormat): void {
  if (f == QFormat.INT16) v128.store64_lane(dst, i16x8.extend_low_i8x16_s(q), 0);
  else if (f == QFormat.UINT8) v128.store32_lane(dst, v128.xor(q, i8x16.splat(-128)), 0);
  else v128.store32_lane(dst, q, 0);
}

/** The last K mod 4 (1 … 3) floats of a row as a vector, zeros after them; reads only those floats. */
@inline function loadTail(src: usize, n: i32): v128 {
  let v = v128.load32_zero(src);
  if (n > 1) v = v128.load32_lane(src, v, 1, 4);
  if (n > 2) v = v128.load32_lane(src, v, 2, 8);
  return v;
}

/**
 * Quantises one row (x, K ≥ 1 floats) with its parameters written at params: group g (k = 4g … 4g+3)
 * at dst + g·step in format f (the last group padded with the quantised 0: ⌈K/4⌉ groups in all).
 */
@inline export function quantizeRow(x: usize, K: i32, params: usize, dst: usize, step: usize, f: QFormat): void {
  const s = rowParams(x, K, params);
  const finite = load<f32>(params) == load<f32>(params); // (scale is NaN for a row that is not)
  const inv = f32x4.splat(s);
  const bias = i32x4.splat(MAGIC_BITS - load<i32>(params, 4));
  const groups = K >> 2;
  const zero = f32x4.splat(0);
  for (let g = 0; g < groups; g++, x += 16, dst += step) storeGroup(dst, quantize4(finite ? v128.load(x) : zero, inv, bias), f);
  const rest = K & 3;
  if (rest) storeGroup(dst, quantize4(finite ? loadTail(x, rest) : zero, inv, bias), f);
}

/** quantizeRow's INT16 and UINT8/INT8 formats for the GEMM, chosen at run time (integer.ts). */
export function quantizeRowAs(x: usize, K: i32, params: usize, dst: usize, step: usize, f: QFormat): void {
  if (f == QFormat.INT16) quantizeRow(x, K, params, dst, step, QFormat.INT16);
  else if (f == QFormat.UINT8) quantizeRow(x, K, params, dst, step, QFormat.UINT8);
  else quantizeRow(x, K, params, dst, step, QFormat.INT8);
}

/**
 * The integer GEMM's quantisation of x (rows·K floats, row-major) as the header defines it: xq into q
 * (rows·K bytes, int8, row-major) and each row's scale (float32) and zero point (int32) into params
 * (rows·8 bytes). The very values `linear(…, WeightDtype.INT8_DOT)` multiplies. Writes nothing past
 * q's rows·K bytes (a row's last group is stored lane by lane).
 */
export function quantizeRows(x: usize, rows: i32, K: i32, q: usize, params: usize): void {
  if (K <= 0) return;
  for (let r = 0; r < rows; r++, x += <usize>K << 2, q += <usize>K, params += PARAM_BYTES) {
    const s = rowParams(x, K, params);
    const finite = load<f32>(params) == load<f32>(params);
    const inv = f32x4.splat(s);
    const bias = i32x4.splat(MAGIC_BITS - load<i32>(params, 4));
    const zero = f32x4.splat(0);
    const groups = K >> 2;
    let src = x;
    let dst = q;
    for (let g = 0; g < groups; g++, src += 16, dst += 4) v128.store32_lane(dst, quantize4(finite ? v128.load(src) : zero, inv, bias), 0);
    const rest = K & 3;
    if (rest) {
      const v = quantize4(finite ? loadTail(src, rest) : zero, inv, bias);
      v128.store8_lane(dst, v, 0);
      if (rest > 1) v128.store8_lane(dst, v, 1, 1);
      if (rest > 2) v128.store8_lane(dst, v, 2, 2);
    }
  }
}
