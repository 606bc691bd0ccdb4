// Packed weights: the layout the microkernel streams.
//
// A PyTorch weight [outF, inF] (row-major, y = x·Wᵀ + b) becomes ceil(outF / 8) panels of 8 output
// columns. Panel p holds columns 8p … 8p+7 as
//
//     [b(8p) … b(8p+7)] [W(8p, 0) … W(8p+7, 0)] [W(8p, 1) … W(8p+7, 1)] … [W(8p, inF-1) … W(8p+7, inF-1)]
//
// i.e. the bias row first, then one row of 8 weights per k (k-major): 32 + inF · rowBytes bytes per
// panel, panels back to back, where a k-row takes 32 bytes in float32, 16 in bfloat16 or float16 and
// 8 in int8, whose head also holds the 8 columns' float32 scales after the bias (weights.ts says how
// they are laid out and widened; the bias stays float32). Columns past outF in the last panel are zero, so the kernel always loads full
// 8-wide rows and only its stores look at the edge. The same panels serve every tile shape: an
// MR×8 tile reads one panel, a 1×32 GEMV tile four adjacent ones.

import { Int8DotWeights, int8DotFits } from './integer';
import { BIAS_BYTES, Bf16Weights, F16Weights, F32Weights, Int8Weights, WeightDtype, int8Scale } from './weights';

/** Output columns per panel. */
export const NR = 8;

/** Bytes from one panel to the next in weight format W: its head plus its k-rows for inF inputs. */
@inline export function panelStride<W>(inF: i32): usize {
  const format = changetype<W>(0);
  return format.headBytes() + <usize>format.kRows(inF) * format.rowBytes();
}

/** Number of panels for outF output columns. */
@inline export function panelCount(outF: i32): i32 {
  return (outF + NR - 1) / NR;
}

/** Bytes `pack` writes for a [outF, inF] weight plus bias in `dtype`; 0 when that exceeds the 32-bit address space. */
export function packedBytes(inF: i32, outF: i32, dtype: i32): usize {
  if (dtype == WeightDtype.BF16) return packedBytesAs<Bf16Weights>(inF, outF);
  if (dtype == WeightDtype.F16) return packedBytesAs<F16Weights>(inF, outF);
  if (dtype == WeightDtype.INT8) return packedBytesAs<Int8Weights>(inF, outF);
  if (dtype == WeightDtype.INT8_DOT) return int8DotFits(inF) ? packedBytesAs<Int8DotWeights>(inF, outF) : 0;
  return packedBytesAs<F32Weights>(inF, outF);
}

@inline function packedBytesAs<W>(inF: i32, outF: i32): usize {
  const format = changetype<W>(0);
  const bytes = <u64>panelCount(outF) * (<u64>format.headBytes() + <u64>format.kRows(inF) * <u64>format.rowBytes());
  return bytes > 0xFFFF_FFFF ? 0 : <usize>bytes;
}

/**
 * Packs `weight` and `bias` (outF floats, or 0 for none) into `packed` (packedBytes(inF, outF, dtype)
 * bytes), the weights converted to `dtype` (round to nearest-even). `weight` is row-major [outF, inF] as
 * nn.Linear stores it, or with `transposed` [inF, outF] as GPT-2's Conv1D does (y = x·W + b). Either way
 * the copy walks the source contiguously in its inner loop (k for nn.Linear, the panel's 8 columns for
 * Conv1D): the other order measured 2–3× slower. `packed` must not overlap the inputs. Returns -1, or
 * the index in `weight` of the first weight the dtype cannot hold (float16: not finite, or rounding
 * to ±∞; int8: not finite). int8 quantises each output row symmetrically (weights.ts int8Scale).
 */
export function pack(weight: usize, bias: usize, packed: usize, inF: i32, outF: i32, transposed: bool, dtype: i32): i32 {
  if (dtype == WeightDtype.BF16) return packAs<Bf16Weights>(weight, bias, packed, inF, outF, transposed);
  if (dtype == WeightDtype.F16) return packAs<F16Weights>(weight, bias, packed, inF, outF, transposed);
  if (dtype == WeightDtype.INT8) return packAs<Int8Weights>(weight, bias, packed, inF, outF, transposed);
  if (dtype == WeightDtype.INT8_DOT) return int8DotFits(inF) ? packAs<Int8DotWeights>(weight, bias, packed, inF, outF, transposed) : -1;
  return packAs<F32Weights>(weight, bias, packed, inF, outF, transposed);
}

@inline function packAs<W>(weight: usize, bias: usize, packed: usize, inF: i32, outF: i32, transposed: bool): i32 {
  const format = changetype<W>(0);
  const stride = panelStride<W>(inF);
  const panels = panelCount(outF);
  const scaled = !format.startsAtBias();
  const padded = format.kRows(inF) > inF;
  for (let p = 0; p < panels; p++) {
    const dst = packed + <usize>p * stride;
    const first = p * NR;
    const cols = min(NR, outF - first);
    if (cols < NR || padded) memory.fill(dst, 0, stride); // columns past outF and k-rows past inF are zero
    if (bias != 0) memory.copy(dst, bias + (<usize>first << 2), <usize>cols << 2);
    else memory.fill(dst, 0, BIAS_BYTES);
    const scales = dst + BIAS_BYTES; // (int8: the head's second row)
    if (scaled) rowScales(weight, scales, inF, outF, first, cols, transposed);
    const rows = dst + format.headBytes();
    if (transposed) {
      // W(c, k) at weight[k·outF + c]: each k-row of the panel is 8 contiguous source floats
      for (let k = 0; k < inF; k++) {
        const src = weight + ((<usize>k * <usize>outF + <usize>first) << 2);
        for (let c = 0; c < cols; c++) {
          const scale = scaled ? load<f32>(scales + (<usize>c << 2)) : 0;
          if (!format.put(rows + format.position(k, c), load<f32>(src + (<usize>c << 2)), scale)) return k * outF + first + c;
        }
      }
    } else {
      // W(c, k) at weight[c·inF + k]: each column of the panel is a contiguous source row
      for (let c = 0; c < cols; c++) {
        const src = weight + ((<usize>(first + c) * <usize>inF) << 2);
        const scale = scaled ? load<f32>(scales + (<usize>c << 2)) : 0;
        for (let k = 0; k < inF; k++) {
          if (!format.put(rows + format.position(k, c), load<f32>(src + (<usize>k << 2)), scale)) return (first + c) * inF + k;
        }
      }
    }
    // a format that keeps more per column (int8 dot: Σq) completes its head from the packed rows
    if (isDefined(format.completeHead)) format.completeHead(dst, inF);
  }
  return -1;
}

/**
 * The int8 scales of output rows first … first + cols − 1 (int8Scale of each row's largest |w|) into
 * dst, walking the source in its stored order as pack does.
 */
function rowScales(weight: usize, dst: usize, inF: i32, outF: i32, first: i32, cols: i32, transposed: bool): void {
  memory.fill(dst, 0, <usize>cols << 2); // each row's largest |w| so far (a NaN stays NaN)
  if (transposed) {
    for (let k = 0; k < inF; k++) {
      const src = weight + ((<usize>k * <usize>outF + <usize>first) << 2);
      for (let c = 0; c < cols; c++) {
        const at = dst + (<usize>c << 2);
        store<f32>(at, max(load<f32>(at), abs(load<f32>(src + (<usize>c << 2)))));
      }
    }
  } else {
    for (let c = 0; c < cols; c++) {
      const src = weight + ((<usize>(first + c) * <usize>inF) << 2);
      let maxAbs: f32 = 0;
      for (let k = 0; k < inF; k++) maxAbs = max(maxAbs, abs(load<f32>(src + (<usize>k << 2))));
      store<f32>(dst + (<usize>c << 2), maxAbs);
    }
  }
  for (let c = 0; c < cols; c++) store<f32>(dst + (<usize>c << 2), int8Scale(load<f32>(dst + (<usize>c << 2))));
}

/**
 * Interleaves `strips` strips of 4 rows of x (K floats per row, rows lda bytes apart) as [k][4 rows]
 * into dst (strips · 16·K bytes): the packed-A layout of the 4×8 microkernel, where one pointer and
 * constant offsets reach the 4 rows. Four k at a time through a 4×4 transpose in registers.
 */
export function packRows(x: usize, lda: usize, dst: usize, strips: i32, K: i32): void {
  const body = <usize>(K & ~3) << 2;
  const tail = <usize>K << 2;
  for (let s = 0; s < strips; s++) {
    const r0 = x;
    const r1 = r0 + lda;
    const r2 = r1 + lda;
    const r3 = r2 + lda;
    let k: usize = 0;
    for (; k < body; k += 16, dst += 64) {
      const a = v128.load(r0 + k), b = v128.load(r1 + k), c = v128.load(r2 + k), d = v128.load(r3 + k);
      const ab01 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), ab23 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
      const cd01 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), cd23 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
      v128.store(dst, v128.shuffle<f32>(ab01, cd01, 0, 1, 4, 5));
      v128.store(dst, v128.shuffle<f32>(ab01, cd01, 2, 3, 6, 7), 16);
      v128.store(dst, v128.shuffle<f32>(ab23, cd23, 0, 1, 4, 5), 32);
      v128.store(dst, v128.shuffle<f32>(ab23, cd23, 2, 3, 6, 7), 48);
    }
    for (; k < tail; k += 4, dst += 16) {
      store<f32>(dst, load<f32>(r0 + k));
      store<f32>(dst, load<f32>(r1 + k), 4);
      store<f32>(dst, load<f32>(r2 + k), 8);
      store<f32>(dst, load<f32>(r3 + k), 12);
    }
    x += lda << 2;
  }
}
