// The weight formats of packed panels (pack.ts): how a k-row of a panel is stored and how the
// microkernel widens it to two f32x4 vectors (columns 0–3 and 4–7) in registers. A panel is a head
// (the float32 bias of its 8 columns; for int8 also their 8 float32 scales) then K k-rows. A float32
// k-row is 8 floats; a 16-bit k-row is 4 words, word j holding column j in its low half and column
// j + 4 in its high half, so that a shift and a mask widen bfloat16, and float16 takes two integer
// steps and a multiply more, all exact. An int8 k-row is 8 bytes, column c in byte c: the tile sums
// x·q from zero and the epilogue applies bias + scale · sum once per output (epilogue.ts).

/** The dtype codes layers pass to pack and linear (exported as `WeightDtype.F32`, …). */
export enum WeightDtype {
  F32 = 0, BF16 = 1, F16 = 2, INT8 = 3,
  /** int8 weights × int8 activations quantised per row at run time, integer dot products (integer.ts). */
  INT8_DOT = 4,
}

/** Bytes of the bias row that starts every panel (the int8 scales follow it). */
export const BIAS_BYTES: usize = 32;

const HIGH_HALVES = i32x4.splat(0xffff0000);
const F16_FIELDS = i32x4.splat(0x8fffe000); // sign, then float16's exponent and mantissa in float32's places
const F16_TO_F32 = f32x4.splat(5.192296858534828e33); // 2^112: rebias the exponent from 15 to 127

/**
 * float16 bit patterns in the high halves of the lanes (the low halves are ignored) → float32, exact
 * for finite values: an arithmetic shift by 3 puts the exponent and mantissa in float32's places and
 * keeps the sign (the copies it smears into bits 30–28 and the low half's bits are masked off), which
 * reads as the value · 2^-112 (a subnormal float16 becomes a subnormal float32); the multiply restores
 * it exactly. Three instructions.
 */
@inline function widenF16(h: v128): v128 {
  return f32x4.mul(v128.and(i32x4.shr_s(h, 3), F16_FIELDS), F16_TO_F32);
}

// widenFrom(): the strips of a chunk from which the driver widens a panel block once into memory
// instead of in registers per tile (bench/dtypes.js, FFN 2048/8192 batch 8 = 2 strips: bfloat16's two
// instructions are cheaper in registers, float16's widening is better done once; int8 from 2 strips,
// one strip running the sign-extending 4×8 tile, below).
@final @unmanaged export class F32Weights {
  @inline rowBytes(): usize { return 32; }
  @inline headBytes(): usize { return BIAS_BYTES; }
  /** Whether the tile starts its sums at the bias (else at zero, the epilogue adding bias + scale · sum). */
  @inline startsAtBias(): bool { return true; }
  /** What a widened weight stands for, over its stored value (int8 widened by a shuffle: 2^24 · q). */
  @inline scale(): f32 { return 1; }
  @inline widenFrom(): i32 { return i32.MAX_VALUE; }
  @inline raw(p: usize): v128 { return v128.load(p); }
  @inline lo(raw: v128): v128 { return raw; }
  @inline hi(p: usize, raw: v128): v128 { return v128.load(p, 16); }
  /** k-rows a panel stores for inF inputs (the int8 dot layout pads them to groups of 4). */
  @inline kRows(inF: i32): i32 { return inF; }
  /** Byte offset of the weight of input k and column c (0 … 7) from the panel's first k-row. */
  @inline position(k: i32, c: i32): usize { return <usize>k * this.rowBytes() + (<usize>c << 2); }
  /** Stores w at dst (scale: its column's, for int8); false when the format cannot hold it (float16: not finite after rounding). */
  @inline put(dst: usize, w: f32, scale: f32): bool { store<f32>(dst, w); return true; }
}

@final @unmanaged export class Bf16Weights {
  @inline rowBytes(): usize { return 16; }
  @inline headBytes(): usize { return BIAS_BYTES; }
  @inline startsAtBias(): bool { return true; }
  @inline scale(): f32 { return 1; }
  @inline widenFrom(): i32 { return 4; }
  @inline raw(p: usize): v128 { return v128.load(p); }
  @inline lo(raw: v128): v128 { return i32x4.shl(raw, 16); }
  @inline hi(p: usize, raw: v128): v128 { return v128.and(raw, HIGH_HALVES); }
  @inline kRows(inF: i32): i32 { return inF; }
  @inline position(k: i32, c: i32): usize { return <usize>k * this.rowBytes() + ((<usize>(c & 3) << 2) | (<usize>(c >> 2) << 1)); }
  /**
   * Rounded to nearest-even (bfloat16 is float32's upper half); NaN stays a quiet NaN and ±∞ stays;
   * false for a finite weight that would round to ±∞ (|w| ≥ 0x7f7f8000 ≈ 3.3961e38).
   */
  @inline put(dst: usize, w: f32, scale: f32): bool {
    const u = reinterpret<u32>(w);
    const h = w != w ? (u >> 16) | 0x40 : (u + 0x7fff + ((u >> 16) & 1)) >> 16;
    if ((h & 0x7fff) == 0x7f80 && (u & 0x7fff_ffff) != 0x7f80_0000) return false;
    store<u16>(dst, <u16>h);
    return true;
  }
}

@final @unmanaged export class F16Weights {
  @inline rowBytes(): usize { return 16; }
  @inline headBytes(): usize { return BIAS_BYTES; }
  @inline startsAtBias(): bool { return true; }
  @inline scale(): f32 { return 1; }
  @inline widenFrom(): i32 { return 2; }
  @inline raw(p: usize): v128 { return v128.load(p); }
  @inline lo(raw: v128): v128 { return widenF16(i32x4.shl(raw, 16)); }
  @inline hi(p: usize, raw: v128): v128 { return widenF16(raw); }
  @inline kRows(inF: i32): i32 { return inF; }
  @inline position(k: i32, c: i32): usize { return <usize>k * this.rowBytes() + ((<usize>(c & 3) << 2) | (<usize>(c >> 2) << 1)); }
  /** Rounded to nearest-even; false for a weight that is not finite or overflows (|w| ≥ 65520 … rounds to ∞). */
  @inline put(dst: usize, w: f32, scale: f32): bool {
    const u = reinterpret<u32>(w);
    const sign = (u >> 16) & 0x8000;
    const a = u & 0x7fff_ffff;
    let h: u32;
    if (a >= 0x3880_0000) { // normal in float16 (≥ 2^-14): drop 13 mantissa bits, ties to even
      h = (a >> 13) - (112 << 10);
      const rest = a & 0x1fff;
      if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) h++;
      if (h >= 0x7c00) return false;
    } else { // zero or subnormal: w·2^24 rounded to an integer, ties to even (exact: a power of two)
      h = <u32>nearest(reinterpret<f32>(a) * 16777216.0);
    }
    store<u16>(dst, <u16>(sign | h));
    return true;
  }
}

/**
 * The int8 scale of a weight row whose largest magnitude is maxAbs: float32(maxAbs / 127), one
 * correctly rounded float32 division (0 for a zero row; not finite when the row is not).
 */
@inline export function int8Scale(maxAbs: f32): f32 {
  return maxAbs / 127;
}

/** q = clamp(roundHalfEven(float32(w / scale)), −127, 127); 0 when scale is 0. */
@inline export function int8Quantize(w: f32, scale: f32): i32 {
  return scale == 0 ? 0 : <i32>max(<f32>-127, min(<f32>127, nearest(w / scale)));
}

// int8 widening, two ways over the same panels. For one row (the GEMV) and for widening a panel block
// into memory, a constant byte shuffle puts q in the top byte of each lane (the others zero), whose
// exact conversion is q·2^24; the epilogue takes the 2^-24 back (exact unless a sum of |x·q| passes
// 2^103, far beyond any activation). Two instructions per 4 weights, where sign-extending
// (load8x8_s, extend_low/high, convert) takes five per 8: FFN 2048→8192→2048 at batch 1, relaxed,
// Zen 5, 2.03 against 2.76 ms (f32 3.89 ms). Both are bound by the vector ALUs, not memory: the 1×24
// tile issues 6 shuffles, 6 conversions and 6 multiply-adds per 24 weights (node --print-wasm-code).
// Tiles of several rows have no registers to spare for the two shuffle masks (the 4×8 and 2×16 tiles
// spill an accumulator every k step), so they sign-extend (Int8RowsWeights). int8 ÷ f32, relaxed,
// Zen 5, shuffles everywhere → this split, at batch 2 / 3 / 4: seed block 0.60 → 0.83–0.87× / 0.71 →
// 0.84–0.89× / 0.67 → 1.00–1.11×; FFN 2048/8192 1.61 → 1.50–1.57× / 1.49 → 1.25–1.28× / 0.86 →
// 0.99–1.10× (two runs each).
const TOP_LO = i8x16(-128, -128, -128, 0, -128, -128, -128, 1, -128, -128, -128, 2, -128, -128, -128, 3);
const TOP_HI = i8x16(-128, -128, -128, 4, -128, -128, -128, 5, -128, -128, -128, 6, -128, -128, -128, 7);

/** Stores q of w at its column's scale; false for a weight that is not finite. */
@inline export function putInt8(dst: usize, w: f32, scale: f32): bool {
  if (!isFinite(w)) return false;
  store<i8>(dst, <i8>int8Quantize(w, scale));
  return true;
}

@final @unmanaged export class Int8Weights {
  @inline rowBytes(): usize { return 8; }
  /** The bias, then the 8 columns' scales. */
  @inline headBytes(): usize { return BIAS_BYTES << 1; }
  @inline startsAtBias(): bool { return false; }
  @inline scale(): f32 { return 16777216; }
  @inline widenFrom(): i32 { return 2; }
  @inline raw(p: usize): v128 { return v128.load64_zero(p); }
  @inline lo(raw: v128): v128 { return f32x4.convert_i32x4_s(i8x16.swizzle(raw, TOP_LO)); }
  @inline hi(p: usize, raw: v128): v128 { return f32x4.convert_i32x4_s(i8x16.swizzle(raw, TOP_HI)); }
  @inline kRows(inF: i32): i32 { return inF; }
  @inline position(k: i32, c: i32): usize { return <usize>k * this.rowBytes() + <usize>c; }
  @inline put(dst: usize, w: f32, scale: f32): bool { return putInt8(dst, w, scale); }
}

/**
 * The same panels, widened by sign extension, for tiles of several rows (see above): only what a
 * tile reads (Int8Weights packs them and widens blocks of them).
 */
@final @unmanaged export class Int8RowsWeights {
  @inline rowBytes(): usize { return 8; }
  @inline headBytes(): usize { return BIAS_BYTES << 1; }
  @inline startsAtBias(): bool { return false; }
  @inline scale(): f32 { return 1; }
  @inline raw(p: usize): v128 { return v128.load8x8_s(p); }
  @inline lo(raw: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(raw)); }
  @inline hi(p: usize, raw: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(raw)); }
}
