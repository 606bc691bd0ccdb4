// Packed weights: the layout the microkernel streams.
//
// A PyTorch weight [outF, inF] (row-major, y = x·Wᵀ + b) becomes ceil(outF / 8) panels of 8 output
// columns. Panel p holds columns 8p … 8p+7 as
//
//     [b(8p) … b(8p+7)] [W(8p, 0) … W(8p+7, 0)] [W(8p, 1) … W(8p+7, 1)] … [W(8p, inF-1) … W(8p+7, inF-1)]
//
// i.e. the bias row first, then one row of 8 weights per k (k-major): 32 + inF · rowBytes bytes per
// panel, panels back to back, where a k-row takes 32 bytes in float32 and 16 in bfloat16 or float16
// (weights.ts says how they are laid out and widened; the bias stays float32). Columns past outF in the last panel are zero, so the kernel always loads full
// 8-wide rows and only its stores look at the edge. The same panels serve every tile shape: an
// MR×8 tile reads one panel, a 1×32 GEMV tile four adjacent ones.

import { BIAS_BYTES, Bf16Weights, F16Weights, F32Weights, WeightDtype } from './weights';

/** Output columns per panel. */
export const NR = 8;

/** Bytes from one panel to the next: a bias row plus inF k-rows of rowBytes. */
@inline export function panelStride(inF: i32, rowBytes: usize): usize {
  return BIAS_BYTES + <usize>inF * rowBytes;
}

/** Number of panels for outF output columns. */
@inline export function panelCount(outF: i32): i32 {
  return (outF + NR - 1) / NR;
}

/** Bytes of one k-row in a dtype (a WeightDtype code). */
@inline function rowBytesOf(dtype: i32): usize {
  return dtype == WeightDtype.F32 ? 32 : 16;
}

/** Bytes `pack` writes for a [outF, inF] weight plus bias in `dtype`; 0 when that exceeds the 32-bit address space. */
export function packedBytes(inF: i32, outF: i32, dtype: i32): usize {
  const bytes = <u64>panelCount(outF) * (<u64>BIAS_BYTES + <u64>inF * <u64>rowBytesOf(dtype));
  return bytes > 0xFFFF_FFFF ? 0 : <usize>bytes;
}

/**
 * Packs `weight` and `bias` (outF floats, or 0 for none) into `packed` (packedBytes(inF, outF, dtype)
 * bytes), the weights converted to `dtype` (round to nearest-even). `weight` is row-major [outF, inF] as
 * nn.Linear stores it, or with `transposed` [inF, outF] as GPT-2's Conv1D does (y = x·W + b). Either way
 * the copy walks the source contiguously in its inner loop (k for nn.Linear, the panel's 8 columns for
 * Conv1D): the other order measured 2–3× slower. `packed` must not overlap the inputs. Returns -1, or
 * the index in `weight` of the first weight float16 cannot hold (not finite, or rounding to ±∞).
 */
export function pack(weight: usize, bias: usize, packed: usize, inF: i32, outF: i32, transposed: bool, dtype: i32): i32 {
  if (dtype == WeightDtype.BF16) return packAs<Bf16Weights>(weight, bias, packed, inF, outF, transposed);
  if (dtype == WeightDtype.F16) return packAs<F16Weights>(weight, bias, packed, inF, outF, transposed);
  return packAs<F32Weights>(weight, bias, packed, inF, outF, transposed);
}

@inline function packAs<W>(weight: usize, bias: usize, packed: usize, inF: i32, outF: i32, transposed: bool): i32 {
  const format = changetype<W>(0);
  const rowBytes = format.rowBytes();
  const stride = panelStride(inF, rowBytes);
  const panels = panelCount(outF);
  for (let p = 0; p < panels; p++) {
    const dst = packed + <usize>p * stride;
    const first = p * NR;
    const cols = min(NR, outF - first);
    if (cols < NR) memory.fill(dst, 0, stride); // the last panel's columns past outF are zero
    if (bias != 0) memory.copy(dst, bias + (<usize>first << 2), <usize>cols << 2);
    else memory.fill(dst, 0, BIAS_BYTES);
    const rows = dst + BIAS_BYTES;
    if (transposed) {
      // W(c, k) at weight[k·outF + c]: each k-row of the panel is 8 contiguous source floats
      for (let k = 0; k < inF; k++) {
        const src = weight + ((<usize>k * <usize>outF + <usize>first) << 2);
        for (let c = 0; c < cols; c++) {
          if (!format.put(rows + <usize>k * rowBytes + format.column(c), load<f32>(src + (<usize>c << 2)))) return k * outF + first + c;
        }
      }
    } else {
      // W(c, k) at weight[c·inF + k]: each column of the panel is a contiguous source row
      for (let c = 0; c < cols; c++) {
        const src = weight + ((<usize>(first + c) * <usize>inF) << 2);
        const out = rows + format.column(c);
        for (let k = 0; k < inF; k++) {
          if (!format.put(out + <usize>k * rowBytes, load<f32>(src + (<usize>k << 2)))) return (first + c) * inF + k;
        }
      }
    }
  }
  return -1;
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
