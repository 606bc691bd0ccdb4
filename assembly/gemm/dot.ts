// The integer dot products of WeightDtype.INT8_DOT (integer.ts): the engine probe, and the tiles
// that multiply quantised rows of x (quantize.ts) by int8 panels, summing exactly in int32 lanes
// and storing the sums to y; dotEpilogue then turns a chunk's finished rows into floats.
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
// Register budget (microkernel.ts: about 15 xmm registers, every load of an iteration live at once,
// plus one for a dot_i16x8 result before its add):
//   dot_i16x8 on a widened panel, mr×4 (half a panel): 2·mr accumulators + 2 weights + mr
//     broadcasts + 1: 4×4 takes 15, no spill;
//   dot_i16x8 widening in registers, mr×8: 4·mr + 4 + mr + 1: 2×8 takes 15 (V8 spills 3
//     accumulators at their definition: stores only), used for chunks of 1 … 3 rows;
//   relaxed dot, mr×8: 2·mr accumulators + 2 weights + mr broadcasts: 4×8 takes 14.
// Tiles measured (bench/int8-kernel.js, FFN 512→2048→GELU→512, AMD EPYC Zen 5, Node 20.20.2, medians
// of 9 interleaved rounds, ratio to the float32 layer of the same build, simd | relaxed; the relaxed
// build runs dot_i16x8 there, see DotMode): batch 128: 2×8 widening in registers ×1.62 | ×1.41,
// 2×8 on the widened panel ×0.86 | ×0.75 (one accumulator spilled and reloaded every k step: 16
// registers live), 4×4 on the widened panel ×1.75 | ×1.56, then with the quantiser 3× faster ×2.01 |
// ×1.80; batch 8: ×1.60 | ×1.40, ×0.87 | ×0.77, ×1.63 | ×1.42 (×1.80 | ×1.63). Hence 4×4 on a panel
// widened once per chunk from 8 rows (integer.ts WIDEN_FROM_ROWS), 2×8/1×8 in registers below. The relaxed 4×8 (VNNI, Node 24 on
// the same machine): ×3.34 at batch 128, ×3.44 at batch 8.
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

/**
 * The epilogue (see the header) over `rows` finished rows of y from row0, which hold the tiles'
 * int32 sums Σ xq·q (bit patterns, outF a row; panel j's head j·ldb bytes after packed). params: the
 * rows' scales and zero points (8 bytes a row, from row0's); offset: 0, or 128 for UNSIGNED sums.
 * The same float ops for the full panels (vectors) and the last partial one (scalars).
 */
export function dotEpilogue(y: usize, row0: i32, rows: i32, outF: i32, packed: usize, ldb: usize, params: usize, offset: i32): void {
  const ldy = <usize>outF << 2;
  const full = outF >> 3;
  for (let r = 0, row = y + <usize>row0 * ldy; r < rows; r++, row += ldy, params += 8) {
    const s = load<f32>(params);
    const z = load<i32>(params, 4) + offset;
    const sx = f32x4.splat(s);
    const zp = i32x4.splat(z);
    let head = packed;
    let out = row;
    for (let j = 0; j < full; j++, head += ldb, out += 32) {
      const t03 = f32x4.convert_i32x4_s(i32x4.sub(v128.load(out), i32x4.mul(v128.load(head, 64), zp)));
      const t47 = f32x4.convert_i32x4_s(i32x4.sub(v128.load(out, 16), i32x4.mul(v128.load(head, 80), zp)));
      v128.store(out, f32x4.add(v128.load(head), f32x4.mul(f32x4.mul(v128.load(head, 32), sx), t03)));
      v128.store(out, f32x4.add(v128.load(head, 16), f32x4.mul(f32x4.mul(v128.load(head, 48), sx), t47)), 16);
    }
    for (let c = 0; c < (outF & 7); c++) {
      const at = out + (<usize>c << 2);
      const col = head + (<usize>c << 2);
      const t = <f32>(load<i32>(at) - load<i32>(col, 64) * z);
      store<f32>(at, load<f32>(col) + (load<f32>(col, 32) * s) * t);
    }
  }
}

/** Lanes [c0, c0, c1, c1] and [c2, c2, c3, c3] → [c0, c1, c2, c3], each the sum of its two lanes. */
@inline function pairs(s0: v128, s1: v128): v128 {
  return i32x4.add(v128.shuffle<i32>(s0, s1, 0, 2, 4, 6), v128.shuffle<i32>(s0, s1, 1, 3, 5, 7));
}

/**
 * Widens a panel's G groups (at b, the panel's head) to int16 at dst, 64 bytes a group: the four
 * vectors tileI16 makes of it (columns 0–1, 2–3, 4–5, 6–7, 4 k's each), once for all the strips.
 */
export function widenGroups(b: usize, G: i32, dst: usize): void {
  let p = b + DOT_HEAD;
  for (let g = 0; g < G; g++, p += 32, dst += 64) {
    const raw0 = v128.load(p);
    const raw1 = v128.load(p, 16);
    v128.store(dst, i16x8.extend_low_i8x16_s(raw0));
    v128.store(dst, i16x8.extend_high_i8x16_s(raw0), 16);
    v128.store(dst, i16x8.extend_low_i8x16_s(raw1), 32);
    v128.store(dst, i16x8.extend_high_i8x16_s(raw1), 48);
  }
}

/**
 * dot_i16x8 tile: mr (1 … 4) rows × nh half panels (1: columns 0–3, 2: all 8), literals, over G
 * groups; the int32 sums go to y (storeVector, nc valid columns), the epilogue comes after.
 *   a      the first row's group 0: 4 int16 (8 bytes), the tile's rows 8 bytes apart, groups `step` apart;
 *   w      with `wide`, the panel's groups widened (widenGroups, 64 bytes a group, the tile's first
 *          half at w); else the panel itself (its head; the int8 groups follow);
 *   y      the first row's first column, rows ldy bytes apart.
 * Accumulators 2·nh·mr ≤ 8 (2×8 or 4×4), weights 2·nh, broadcasts mr.
 */
@inline function tileI16(mr: i32, nh: i32, wide: bool, a: usize, step: usize, w: usize, G: i32, y: usize, ldy: usize, nc: i32): void {
  let s00 = i32x4.splat(0), s01 = s00, s02 = s00, s03 = s00;
  let s10 = s00, s11 = s00, s12 = s00, s13 = s00;
  let p = wide ? w : w + DOT_HEAD;
  let g = G;
  do {
    let w0: v128, w1: v128, w2 = s00, w3 = s00;
    if (wide) {
      w0 = v128.load(p);
      w1 = v128.load(p, 16);
      if (nh > 1) { w2 = v128.load(p, 32); w3 = v128.load(p, 48); }
    } else {
      const raw0 = v128.load(p);
      w0 = i16x8.extend_low_i8x16_s(raw0);
      w1 = i16x8.extend_high_i8x16_s(raw0);
      if (nh > 1) {
        const raw1 = v128.load(p, 16);
        w2 = i16x8.extend_low_i8x16_s(raw1);
        w3 = i16x8.extend_high_i8x16_s(raw1);
      }
    }
    const x0 = v128.load64_splat(a);
    const x1 = mr > 1 ? v128.load64_splat(a, 8) : s00;
    const x2 = mr > 2 ? v128.load64_splat(a, 16) : s00;
    const x3 = mr > 3 ? v128.load64_splat(a, 24) : s00;
    if (nh > 1) {
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
    } else {
      s00 = i32x4.add(s00, i32x4.dot_i16x8_s(w0, x0));
      s01 = i32x4.add(s01, i32x4.dot_i16x8_s(w1, x0));
      if (mr > 1) { s02 = i32x4.add(s02, i32x4.dot_i16x8_s(w0, x1)); s03 = i32x4.add(s03, i32x4.dot_i16x8_s(w1, x1)); }
      if (mr > 2) { s10 = i32x4.add(s10, i32x4.dot_i16x8_s(w0, x2)); s11 = i32x4.add(s11, i32x4.dot_i16x8_s(w1, x2)); }
      if (mr > 3) { s12 = i32x4.add(s12, i32x4.dot_i16x8_s(w0, x3)); s13 = i32x4.add(s13, i32x4.dot_i16x8_s(w1, x3)); }
    }
    p += wide ? 64 : 32;
    a += step;
  } while (--g);
  if (nh > 1) {
    storeVector(y, 0, pairs(s00, s01), nc);
    storeVector(y, 1, pairs(s02, s03), nc);
    if (mr > 1) { storeVector(y + ldy, 0, pairs(s10, s11), nc); storeVector(y + ldy, 1, pairs(s12, s13), nc); }
  } else {
    storeVector(y, 0, pairs(s00, s01), nc);
    if (mr > 1) storeVector(y + ldy, 0, pairs(s02, s03), nc);
    if (mr > 2) storeVector(y + (ldy << 1), 0, pairs(s10, s11), nc);
    if (mr > 3) storeVector(y + ldy * 3, 0, pairs(s12, s13), nc);
  }
}

/**
 * Relaxed-dot tile: mr (1 … 4, a literal) rows × one panel over G groups, as tileI16 but x in bytes:
 * group g of the tile's row i at a + g·step + 4i (xq for SIGNED, xq ^ 0x80 for UNSIGNED).
 */
@inline function tileDot(mr: i32, a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32): void {
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
  storeVector(y, 0, s00, nc); storeVector(y, 1, s01, nc);
  if (mr > 1) { storeVector(y + ldy, 0, s10, nc); storeVector(y + ldy, 1, s11, nc); }
  if (mr > 2) { storeVector(y + (ldy << 1), 0, s20, nc); storeVector(y + (ldy << 1), 1, s21, nc); }
  if (mr > 3) { storeVector(y + ldy * 3, 0, s30, nc); storeVector(y + ldy * 3, 1, s31, nc); }
}

// One function per shape, so that each k loop has the registers to itself.
export function tileI16x2(a: usize, step: usize, w: usize, G: i32, y: usize, ldy: usize, nc: i32): void {
  tileI16(2, 2, false, a, step, w, G, y, ldy, nc);
}
export function tileI16x1(a: usize, step: usize, w: usize, G: i32, y: usize, ldy: usize, nc: i32): void {
  tileI16(1, 2, false, a, step, w, G, y, ldy, nc);
}
/** mr rows × 4 columns on widened groups (w: the half panel's first vector, groups 64 bytes apart). */
export function tileI16x4h(a: usize, step: usize, w: usize, G: i32, y: usize, ldy: usize, nc: i32): void {
  tileI16(4, 1, true, a, step, w, G, y, ldy, nc);
}
export function tileI16x3h(a: usize, step: usize, w: usize, G: i32, y: usize, ldy: usize, nc: i32): void {
  tileI16(3, 1, true, a, step, w, G, y, ldy, nc);
}
export function tileI16x2h(a: usize, step: usize, w: usize, G: i32, y: usize, ldy: usize, nc: i32): void {
  tileI16(2, 1, true, a, step, w, G, y, ldy, nc);
}
export function tileI16x1h(a: usize, step: usize, w: usize, G: i32, y: usize, ldy: usize, nc: i32): void {
  tileI16(1, 1, true, a, step, w, G, y, ldy, nc);
}
export function tileDot4(a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32): void {
  tileDot(4, a, step, b, G, y, ldy, nc);
}
export function tileDot3(a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32): void {
  tileDot(3, a, step, b, G, y, ldy, nc);
}
export function tileDot2(a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32): void {
  tileDot(2, a, step, b, G, y, ldy, nc);
}
export function tileDot1(a: usize, step: usize, b: usize, G: i32, y: usize, ldy: usize, nc: i32): void {
  tileDot(1, a, step, b, G, y, ldy, nc);
}
