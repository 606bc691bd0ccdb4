// The integer dot products of WeightDtype.INT8_DOT (integer.ts): the engine probe, and the tiles
// that multiply quantised rows of x (quantize.ts) by int8 panels, summing exactly in int32 lanes,
// then apply the epilogue in registers.
//
// Panels (integer.ts): a 96-byte head [8 f32 bias][8 f32 scales][8 i32 Σq], then ⌈K/4⌉ groups of
// 32 bytes, group g holding column c's q(c, 4g … 4g+3) in bytes 4c … 4c+3 (zero past K). So one
// v128 is 4 columns × 4 k's: exactly what i32x4.relaxed_dot_i8x16_i7x16_add_s sums per i32 lane,
// and for i32x4.dot_i16x8_s, widened by halves, 2 columns × 4 k's (two lanes per column, summed
// after the k loop).
//
// Epilogue, per row r and column c (the same float ops in every build, mode and tile, no fused
// multiply-add, so the bits of an output depend on nothing but its row of x and the panel):
//   corr = Σ_k xq[r,k]·q[c,k] − zp[r]·Σq[c]        int32, exact (see MAX_K in integer.ts)
//   y    = bias[c] + float32(float32(scale_w[c] · scale_x[r]) · float32(corr))
// where float32(corr) rounds to nearest-even (|corr| may exceed 2^24). The relaxed dot in
// UNSIGNED mode sums (xq + 128)·q, so it subtracts (zp + 128)·Σq instead: the same corr.
//
// Register budget (microkernel.ts: about 15 xmm registers, every load of an iteration live at once):
//   dot_i16x8, mr×8: 4·mr accumulators (two lanes per column) + 4 widened weights + mr broadcasts:
//     2×8 takes 14;
//   relaxed dot, mr×8: 2·mr accumulators + 2 weights + mr broadcasts: 4×8 takes 14.
import { storeVector } from './epilogue';

/**
 * What the engine's i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c) computes when b's bytes have their
 * top bit set (probed once at instantiation; exported as DOT_MODE):
 *   NONE       0  the simd build: no relaxed SIMD, the dot_i16x8 path;
 *   SIGNED     1  a·b as int8 × int8, exact (ARM SDOT): the relaxed path on xq;
 *   UNSIGNED   2  b as uint8, exact (x86 VNNI vpdpbusd): the relaxed path on xq ^ 0x80 = xq + 128;
 *   SATURATING 3  b as uint8, each pair of products summed with int16 saturation (x86 pmaddubsw, V8
 *                 without VNNI): the dot_i16x8 path (as fast on such CPUs, and 8-bit exact);
 *   OTHER      4  none of these (Node 20's V8 11.3 in Liftoff overwrites the accumulator with the
 *                 products and returns twice the sum): the dot_i16x8 path.
 */
export enum DotMode { NONE = 0, SIGNED = 1, UNSIGNED = 2, SATURATING = 3, OTHER = 4 }

/**
 * One relaxed dot on vectors the optimiser cannot fold (they depend on memory.size()), compared with
 * what each known lowering gives; lane 0 tells the three apart, lane 2 (no top bits) checks that
 * the accumulator is added.
 */
function probeDotMode(): i32 {
  if (!ASC_FEATURE_RELAXED_SIMD) return DotMode.NONE;
  const zero = <i32>(memory.size() >>> 31); // 0 (at most 65536 pages), unknown before run time
  const a = i8x16.add(i8x16(127, 127, 127, 127, -128, -128, 1, 2, 3, -4, 5, 6, -1, 0, 127, -128), i8x16.splat(<i8>zero));
  const b = i8x16.add(i8x16(-1, -1, -1, -1, -128, -56, 7, -1, 7, 8, 9, 10, -128, 127, -128, 1), i8x16.splat(<i8>zero));
  const c = i32x4.add(i32x4(1000, -7, 123456, -99999), i32x4.splat(zero));
  const r = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c);
  if (i32x4.all_true(i32x4.eq(r, i32x4(492, 23550, 123550, -116255)))) return DotMode.SIGNED;
  if (i32x4.all_true(i32x4.eq(r, i32x4(130540, -41474, 123550, -83999)))) return DotMode.UNSIGNED;
  if (i32x4.all_true(i32x4.eq(r, i32x4(66534, -32258, 123550, -83999)))) return DotMode.SATURATING;
  return DotMode.OTHER;
}

/** The engine's DotMode, probed when the module is instantiated. */
export const DOT_MODE: i32 = probeDotMode();

/** Whether the GEMM uses the relaxed dot (else i32x4.dot_i16x8_s on int16 rows of x). */
@inline export function useRelaxedDot(): bool {
  return ASC_FEATURE_RELAXED_SIMD && (DOT_MODE == DotMode.SIGNED || DOT_MODE == DotMode.UNSIGNED);
}

/** Bytes of a panel's head: bias, scales, Σq. */
export const DOT_HEAD: usize = 96;

/** The epilogue of one row (see the header): c03, c47 the exact sums of columns 0–3, 4–7. */
@inline function finishRow(c03: v128, c47: v128, head: usize, params: usize, offset: i32, row: usize, nc: i32): void {
  const sx = f32x4.splat(load<f32>(params));
  const zp = i32x4.splat(load<i32>(params, 4) + offset);
  const t03 = f32x4.convert_i32x4_s(i32x4.sub(c03, i32x4.mul(v128.load(head, 64), zp)));
  const t47 = f32x4.convert_i32x4_s(i32x4.sub(c47, i32x4.mul(v128.load(head, 80), zp)));
  const y03 = f32x4.add(v128.load(head), f32x4.mul(f32x4.mul(v128.load(head, 32), sx), t03));
  const y47 = f32x4.add(v128.load(head, 16), f32x4.mul(f32x4.mul(v128.load(head, 48), sx), t47));
  storeVector(row, 0, y03, nc);
  storeVector(row, 1, y47, nc);
}

/** Lanes [c0, c0, c1, c1] and [c2, c2, c3, c3] → [c0, c1, c2, c3], each the sum of its two lanes. */
@inline function pairs(s0: v128, s1: v128): v128 {
  return i32x4.add(v128.shuffle<i32>(s0, s1, 0, 2, 4, 6), v128.shuffle<i32>(s0, s1, 1, 3, 5, 7));
}

/**
 * dot_i16x8 tile: mr (1 or 2, a literal) rows × one panel (8 columns, nc valid) over G groups.
 *   a      the first row's group 0: 4 int16 (8 bytes), the tile's rows 8 bytes apart, groups `step` apart;
 *   b      the panel (its head; the groups follow);
 *   y      the first row's first column, rows ldy bytes apart;
 *   params the first row's scale and zero point, rows 8 bytes apart.
 */
@inline function tileI16(mr: i32, a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32, params: usize): void {
  let s00 = i32x4.splat(0), s01 = s00, s02 = s00, s03 = s00;
  let s10 = s00, s11 = s00, s12 = s00, s13 = s00;
  let p = b + DOT_HEAD;
  let g = G;
  do {
    const raw0 = v128.load(p);
    const raw1 = v128.load(p, 16);
    const x0 = v128.load64_splat(a);
    const x1 = mr > 1 ? v128.load64_splat(a, 8) : s00;
    const w0 = i16x8.extend_low_i8x16_s(raw0);
    const w1 = i16x8.extend_high_i8x16_s(raw0);
    const w2 = i16x8.extend_low_i8x16_s(raw1);
    const w3 = i16x8.extend_high_i8x16_s(raw1);
    s00 = i32x4.add(s00, i32x4.dot_i16x8_s(w0, x0));
    s01 = i32x4.add(s01, i32x4.dot_i16x8_s(w1, x0));
    s02 = i32x4.add(s02, i32x4.dot_i16x8_s(w2, x0));
    s03 = i32x4.add(s03, i32x4.dot_i16x8_s(w3, x0));
    if (mr > 1) {
      s10 = i32x4.add(s10, i32x4.dot_i16x8_s(w0, x1));
      s11 = i32x4.add(s11, i32x4.dot_i16x8_s(w1, x1));
      s12 = i32x4.add(s12, i32x4.dot_i16x8_s(w2, x1));
      s13 = i32x4.add(s13, i32x4.dot_i16x8_s(w3, x1));
    }
    p += 32;
    a += step;
  } while (--g);
  finishRow(pairs(s00, s01), pairs(s02, s03), b, params, 0, y, nc);
  if (mr > 1) finishRow(pairs(s10, s11), pairs(s12, s13), b, params + 8, 0, y + ldy, nc);
}

/**
 * Relaxed-dot tile: mr (1 … 4, a literal) rows × one panel over G groups, as tileI16 but x in bytes:
 * group g of the tile's row i at a + g·step + 4i (xq for SIGNED, xq ^ 0x80 for UNSIGNED; `offset`
 * is 0 or 128 to match).
 */
@inline function tileDot(mr: i32, a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32, params: usize, offset: i32): void {
  if (!ASC_FEATURE_RELAXED_SIMD) return;
  let s00 = i32x4.splat(0), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
  let p = b + DOT_HEAD;
  let g = G;
  do {
    const w0 = v128.load(p);
    const w1 = v128.load(p, 16);
    const x0 = v128.load32_splat(a);
    const x1 = mr > 1 ? v128.load32_splat(a, 4) : s00;
    const x2 = mr > 2 ? v128.load32_splat(a, 8) : s00;
    const x3 = mr > 3 ? v128.load32_splat(a, 12) : s00;
    s00 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, x0, s00);
    s01 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, x0, s01);
    if (mr > 1) {
      s10 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, x1, s10);
      s11 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, x1, s11);
    }
    if (mr > 2) {
      s20 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, x2, s20);
      s21 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, x2, s21);
    }
    if (mr > 3) {
      s30 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, x3, s30);
      s31 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, x3, s31);
    }
    p += 32;
    a += step;
  } while (--g);
  finishRow(s00, s01, b, params, offset, y, nc);
  if (mr > 1) finishRow(s10, s11, b, params + 8, offset, y + ldy, nc);
  if (mr > 2) finishRow(s20, s21, b, params + 16, offset, y + (ldy << 1), nc);
  if (mr > 3) finishRow(s30, s31, b, params + 24, offset, y + ldy * 3, nc);
}

// One function per shape, so that each k loop has the registers to itself.
export function tileI16x2(a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32, params: usize): void {
  tileI16(2, a, step, b, G, y, ldy, nc, params);
}
export function tileI16x1(a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32, params: usize): void {
  tileI16(1, a, step, b, G, y, ldy, nc, params);
}
export function tileDot4(a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32, params: usize, offset: i32): void {
  tileDot(4, a, step, b, G, y, ldy, nc, params, offset);
}
export function tileDot3(a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32, params: usize, offset: i32): void {
  tileDot(3, a, step, b, G, y, ldy, nc, params, offset);
}
export function tileDot2(a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32, params: usize, offset: i32): void {
  tileDot(2, a, step, b, G, y, ldy, nc, params, offset);
}
export function tileDot1(a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32, params: usize, offset: i32): void {
  tileDot(1, a, step, b, G, y, ldy, nc, params, offset);
}
