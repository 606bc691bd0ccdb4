// Packed weights: the layout the microkernel streams.
//
// A PyTorch weight [outF, inF] (row-major, y = x·Wᵀ + b) becomes ceil(outF / 8) panels of 8 output
// columns. Panel p holds columns 8p … 8p+7 as
//
//     [b(8p) … b(8p+7)] [W(8p, 0) … W(8p+7, 0)] [W(8p, 1) … W(8p+7, 1)] … [W(8p, inF-1) … W(8p+7, inF-1)]
//
// i.e. the bias row first, then one 8-float row per k (k-major): (inF + 1) · 32 bytes per panel,
// panels back to back. Columns past outF in the last panel are zero, so the kernel always loads full
// 8-wide rows and only its stores look at the edge. The same panels serve every tile shape: an
// MR×8 tile reads one panel, a 1×32 GEMV tile four adjacent ones.

/** Output columns per panel. */
export const NR = 8;

/** Bytes from one panel to the next: a bias row plus inF k-rows of 8 floats. */
@inline export function panelStride(inF: i32): usize {
  return (<usize>inF + 1) * (NR * 4);
}

/** Number of panels for outF output columns. */
@inline export function panelCount(outF: i32): i32 {
  return (outF + NR - 1) / NR;
}

/** Bytes `pack` writes for a [outF, inF] weight plus bias; 0 when that exceeds the 32-bit address space. */
export function packedBytes(inF: i32, outF: i32): usize {
  const bytes = <u64>panelCount(outF) * (<u64>inF + 1) * (NR * 4);
  return bytes > 0xFFFF_FFFF ? 0 : <usize>bytes;
}

/** dst[i·dOuter + j·dInner] = src[i·sOuter + j·sInner] for i < outer, j < inner (f32 elements, byte steps). */
@inline function copyStrided(dst: usize, src: usize, outer: i32, inner: i32, dOuter: usize, dInner: usize, sOuter: usize, sInner: usize): void {
  for (let i = 0; i < outer; i++, dst += dOuter, src += sOuter) {
    for (let j = 0, d = dst, s = src; j < inner; j++, d += dInner, s += sInner) store<f32>(d, load<f32>(s));
  }
}

/**
 * Packs `weight` and `bias` (outF floats, or 0 for none) into `packed` (packedBytes(inF, outF) bytes).
 * `weight` is row-major [outF, inF] as nn.Linear stores it, or with `transposed` [inF, outF] as GPT-2's
 * Conv1D does (y = x·W + b). Either way the copy walks the source contiguously in its inner loop
 * (k for nn.Linear, the panel's 8 columns for Conv1D): the other order measured 2–3× slower.
 * `packed` must not overlap the inputs.
 */
export function pack(weight: usize, bias: usize, packed: usize, inF: i32, outF: i32, transposed: bool): void {
  const stride = panelStride(inF);
  const ROW: usize = NR * 4;
  const panels = panelCount(outF);
  for (let p = 0; p < panels; p++) {
    const dst = packed + <usize>p * stride;
    const first = p * NR;
    const cols = min(NR, outF - first);
    if (cols < NR) memory.fill(dst, 0, stride); // the last panel's columns past outF are zero
    if (bias != 0) memory.copy(dst, bias + (<usize>first << 2), <usize>cols << 2);
    else memory.fill(dst, 0, ROW);
    if (transposed) {
      copyStrided(dst + ROW, weight + (<usize>first << 2), inF, cols, ROW, 4, <usize>outF << 2, 4);
    } else {
      copyStrided(dst + ROW, weight + <usize>first * (<usize>inF << 2), cols, inF, 4, ROW, <usize>inF << 2, 4);
    }
  }
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
