// WeightDtype.INT8_DOT: int8 weights times int8 activations quantised per row at run time
// (quantize.ts), integer dot products (dot.ts), one float epilogue per output. Packing and the
// driver; pack.ts, driver.ts and weights.ts only dispatch here.
//
// Weights: per output row the very q and scale of WeightDtype.INT8 (weights.ts int8Scale and
// int8Quantize, pack.ts rowScales: bit-identical), packed in panels of 8 columns as dot.ts describes:
// a 96-byte head [8 f32 bias][8 f32 scales][8 i32 Σ_k q], then ⌈K/4⌉ groups of 4 k's × 8 columns
// (32 bytes), zero past K and past outF. Each panel is self-contained, all the same stride
// packedBytes(inF, 8, INT8_DOT) = 96 + 32·⌈inF/4⌉, as the threads' panel ranges need.
//
// Exactness bound: |xq − zp| ≤ 255 and |q| ≤ 127, so |Σ (xq − zp)·q| ≤ 32385·K < 2^31 for K ≤ MAX_K
// = 66311. The lanes sum in wrapping int32 arithmetic, so intermediate sums (Σ xq·q, or Σ (xq+128)·q,
// and zp·Σq) may wrap: the final corr is exact whenever it fits, which this bound guarantees. For
// inF > MAX_K, packedBytes is 0 (no such layer can be built), pack writes nothing and returns -1, and
// linear writes NaN to every output before finishing the rows.
//
// Driver: rows of x go in chunks of up to CHUNK_ROWS rows (fewer for long rows, so the chunk's
// quantised rows take at most SCRATCH_BYTES of the scratch: 128 rows up to K = 2048, 32 at K = 8192,
// 4 from K = 32768 on). A chunk's rows are quantised into the scratch, strip (4 rows) by strip, each
// strip's rows interleaved per group of 4 k's (one pointer reaches the tile's rows); then panel by
// panel (the panel's ⌈K/4⌉·32 bytes stay in L1 for K ≤ 4096; on the dot_i16x8 path, for chunks of 8
// rows or more, widened once to int16 in the scratch: dot.ts widenGroups), every strip of the chunk
// runs tiles against it, which store int32 sums in y; then dotEpilogue turns the chunk's rows into
// floats and finishRows (activation, residual or gated product) runs over them while they are in
// cache. No K blocking: the
// integer sums of a whole row stay in registers, so the bits of a row depend on nothing but that
// row and the panels (not on the batch, the chunk, the tile, the build or the DOT_MODE).
//
// Scratch: chunk · 8⌈K/4⌉ bytes of quantised x (int16, the larger format), chunk · 8 bytes of row
// parameters, then 64⌈K/4⌉ bytes for a widened panel: int8DotScratchBytes(inF), enough for any
// batch (batch 1 included): 137 KiB at K = 512, 545 KiB at 2048, 640 KiB at 8192.
//
// Speed (bench/int8-kernel.js, AMD EPYC Zen 5, Node 20.20.2, medians of 9 interleaved rounds, time of
// the float32 layer of the same build / this one, simd | relaxed; DOT_MODE 4 there, so both builds run
// dot_i16x8): FFN 512→2048→GELU→512 batch 1 ×1.41 | ×1.58, 8 ×1.80 | ×1.63, 128 ×2.01 | ×1.80;
// 2048→8192→GELU→2048 batch 1 ×2.98 | ×3.01, 8 ×1.48 | ×1.36, 128 ×2.07 | ×1.77. Relative RMS
// error of the FFN's output against float32 (Gaussian weights): 1.3–1.45 % (512/2048), 1.66 % (2048/8192).
// Without a scratch (0) the call writes NaN like an oversized K: the TS layer always passes one.
import { finishRows } from './epilogue';
import { NR, panelCount, panelStride } from './pack';
import { BIAS_BYTES, putInt8 } from './weights';
import { DOT_HEAD, DOT_MODE, DotMode, dotEpilogue, tileDot1, tileDot2, tileDot3, tileDot4, tileI16x1, tileI16x1h, tileI16x2, tileI16x2h, tileI16x3h, tileI16x4h, useRelaxedDot, widenGroups } from './dot';
import { PARAM_BYTES, QFormat, quantizeRowAs } from './quantize';

/** The largest K whose integer sums are exact in int32 (see the header). */
export const MAX_K: i32 = 66311;
/** Rows per chunk at most. */
const CHUNK_ROWS = 128;
/**
 * Rows of a chunk from which the dot_i16x8 path widens each panel to int16 once (4×4 tiles) instead of
 * widening in registers (2×8 tiles): one strip does not pay for the widening (FFN 2048→8192→2048,
 * simd, Zen 5, int8 compute ÷ f32 at batch 4: 1.20× widened, 1.54× in registers; from batch 8 on the
 * two measure alike, ±10 %).
 */
const WIDEN_FROM_ROWS = 8;
/** The most bytes of quantised x a chunk takes. */
const SCRATCH_BYTES = 512 << 10;

@inline function groupsOf(inF: i32): i32 {
  return (inF + 3) >> 2;
}

/** Whether inF inputs can be packed for INT8_DOT (packedBytes is 0 and pack -1 when not). */
export function int8DotFits(inF: i32): bool {
  return inF > 0 && inF <= MAX_K;
}

/**
 * The INT8_DOT panel layout as a weight format of pack.ts: the very q and scales of weights.ts
 * Int8Weights (rowScales, putInt8), input k of column c at byte 32·(k >> 2) + 4c + (k & 3) of the
 * groups, K padded to groups of 4, and the head's third row Σ_k q per column.
 */
@final @unmanaged export class Int8DotWeights {
  /** (8 bytes per k: a group of 4 k-rows is 32 bytes) */
  @inline rowBytes(): usize { return 8; }
  @inline headBytes(): usize { return DOT_HEAD; }
  @inline startsAtBias(): bool { return false; }
  @inline kRows(inF: i32): i32 { return groupsOf(inF) << 2; }
  @inline position(k: i32, c: i32): usize { return (<usize>(k >> 2) << 5) + (<usize>c << 2) + <usize>(k & 3); }
  @inline put(dst: usize, w: f32, scale: f32): bool { return putInt8(dst, w, scale); }
  /**
   * Σ_k q of each column into the head's third row (after the bias and the scales): per group, the
   * 4 bytes of a column's lane summed pairwise twice (zero past K and past the last column).
   */
  @inline completeHead(panel: usize, inF: i32): void {
    let lo = i32x4.splat(0);
    let hi = lo;
    for (let g = 0, p = panel + DOT_HEAD; g < groupsOf(inF); g++, p += 32) {
      lo = i32x4.add(lo, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v128.load(p))));
      hi = i32x4.add(hi, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v128.load(p, 16))));
    }
    v128.store(panel + (BIAS_BYTES << 1), lo);
    v128.store(panel + (BIAS_BYTES << 1), hi, 16);
  }
}

/** Rows per chunk for rows of inF floats: a multiple of 4, 4 … CHUNK_ROWS (int16 quantised rows). */
@inline function chunkRows(inF: i32): i32 {
  const rowBytes = groupsOf(inF) << 3;
  return max(4, min(CHUNK_ROWS, (SCRATCH_BYTES / rowBytes) & ~3));
}

/** Bytes of scratch `linear` needs for INT8_DOT rows of inF floats, whatever the batch. */
export function int8DotScratchBytes(inF: i32): i32 {
  const rows = chunkRows(max(inF, 1));
  const G = groupsOf(max(inF, 1));
  return rows * (G << 3) + rows * <i32>PARAM_BYTES + (G << 6);
}


/** Every output NaN, then the rows finished: what a call that cannot run gives. */
function refuse(y: usize, batch: i32, outF: i32, act: i32, param: f32, extra: usize, hidden: i32): void {
  memory.fill(y, 0xff, (<usize>batch * <usize>outF) << 2);
  finishRows(y, 0, batch, outF, act, param, extra, hidden);
}

/**
 * The GEMM over INT8_DOT panels, with driver.ts gemm's contract (finishRows says what act, param,
 * extra and hidden do): reads batch·inF floats of x and the panels, writes y (batch·outF floats),
 * extra as finishRows does, and the scratch (int8DotScratchBytes(inF) bytes), nothing else.
 */
export function gemmInt8Dot(x: usize, packed: usize, y: usize, batch: i32, inF: i32, outF: i32, act: i32, param: f32, extra: usize, hidden: i32, scratch: usize): void {
  if (batch <= 0 || inF <= 0 || outF <= 0) return;
  if (inF > MAX_K || scratch == 0) return refuse(y, batch, outF, act, param, extra, hidden);
  const relaxed = useRelaxedDot();
  const format = !relaxed ? QFormat.INT16 : DOT_MODE == DotMode.UNSIGNED ? QFormat.UINT8 : QFormat.INT8;
  const offset = format == QFormat.UINT8 ? 128 : 0;
  const E: usize = relaxed ? 4 : 8; // bytes of one row's group
  const G = groupsOf(inF);
  const lda = <usize>inF << 2;
  const ldb = panelStride<Int8DotWeights>(inF);
  const ldy = <usize>outF << 2;
  const panels = panelCount(outF);
  const chunk = chunkRows(inF);
  const stripBytes = <usize>G * (E << 2); // a full strip's quantised rows
  const params = scratch + <usize>chunk * (<usize>G << 3);
  const wide = params + <usize>chunk * PARAM_BYTES; // a panel's groups as int16 (G·64 bytes)
  for (let r0 = 0; r0 < batch; r0 += chunk) {
    const n = min(chunk, batch - r0);
    const strips = (n + 3) >> 2;
    for (let i = 0; i < n; i++) {
      const s = i >> 2;
      const rows = min(4, n - (s << 2));
      quantizeRowAs(x + <usize>(r0 + i) * lda, inF, params + <usize>i * PARAM_BYTES, scratch + <usize>s * stripBytes + <usize>(i & 3) * E, E * rows, format);
    }
    const yc = y + <usize>r0 * ldy;
    const widen = !relaxed && n >= WIDEN_FROM_ROWS;
    for (let j = 0; j < panels; j++) {
      const b = packed + <usize>j * ldb;
      const nc = min(NR, outF - j * NR);
      if (widen) widenGroups(b, G, wide);
      let a = scratch;
      let yi = yc + (<usize>j << 5);
      for (let s = 0; s < strips; s++, a += stripBytes, yi += ldy << 2) {
        const rows = min(4, n - (s << 2));
        const step = E * rows;
        if (relaxed) {
          if (rows == 4) tileDot4(a, step, b, G, yi, ldy, nc);
          else if (rows == 3) tileDot3(a, step, b, G, yi, ldy, nc);
          else if (rows == 2) tileDot2(a, step, b, G, yi, ldy, nc);
          else tileDot1(a, step, b, G, yi, ldy, nc);
        } else if (widen) {
          // two half panels, 4 columns each (see I16 TILES above)
          for (let h = 0; h < 2; h++) {
            const wh = wide + (<usize>h << 5);
            const yh = yi + (<usize>h << 4);
            const nh = nc - (h << 2);
            if (nh <= 0) break;
            if (rows == 4) tileI16x4h(a, step, wh, G, yh, ldy, nh);
            else if (rows == 3) tileI16x3h(a, step, wh, G, yh, ldy, nh);
            else if (rows == 2) tileI16x2h(a, step, wh, G, yh, ldy, nh);
            else tileI16x1h(a, step, wh, G, yh, ldy, nh);
          }
        } else {
          if (rows >= 2) tileI16x2(a, step, b, G, yi, ldy, nc);
          else tileI16x1(a, step, b, G, yi, ldy, nc);
          if (rows == 4) tileI16x2(a + 16, step, b, G, yi + (ldy << 1), ldy, nc);
          else if (rows == 3) tileI16x1(a + 16, step, b, G, yi + (ldy << 1), ldy, nc);
        }
      }
    }
    dotEpilogue(y, r0, n, outF, packed, ldb, params, offset);
    finishRows(y, r0, n, outF, act, param, extra, hidden);
  }
}
