// The driver: y[batch, outF] = act(x[batch, inF] · Wᵀ + b) over packed panels (see pack.ts), cut
// into microkernel tiles (see microkernel.ts), blocked for the caches as BLIS/GotoBLAS do, with the
// weights' panels in the role of BLIS's packed B.
//
// Batch ≥ 4: rows of x go in strips of 4 through the 4×8 tile, a chunk of up to CHUNK_STRIPS strips
// (BLIS's MC: the rows that share one pass over the weights) at a time. K is cut into blocks of
// equal size, as few as let the chunk's slice of x fit the caller's scratch (SCRATCH_BYTES, half of
// L2): one block up to K = 1024 at 32 strips, 2048 at 16, 16384 at 2. For each K block the chunk's
// slice of x is interleaved into the scratch (packRows: the tile reads 4 rows through one pointer);
// then panel by panel, every strip of the chunk runs against the panel's slice (the N block of BLIS
// is one panel: its slice stays in L1/L2 while the chunk's x streams past it from L2), and the 1 … 3
// rows left after the last chunk run the wide tiles over each group of GROUP panels while it is in
// cache. A K block after the first resumes from the partial sums the previous one stored in y: the
// same float ops in the same order as one tile over all of K (microkernel.ts), so the bits do not
// depend on the blocking, nor a row's result on its batch; the error stays within γ(K+1)·(|b| + Σ|x·w|).
//
// Batch 1 … 3 (the GEMV path): each weight is used once, so nothing is blocked: one row runs the 1×24
// tile over all of K, three panels in flight, a third of the weights apart (rowAlone); two rows run
// 2×16. Batch 1 streams the weights at the read bandwidth (bench/gemm-kernel.js with the three-run
// read loop of bench/bandwidth.js in the same rounds, Zen 5): 768→50257 94–99 % (74–78 % of the
// one-run loop with the three panels adjacent), 2048→8192→2048 100–107 %, 11008→4096 105–110 %.
//
// A chunk's rows are finished (all N columns, all of K) after its last K block; the epilogue then
// runs over them while they are in L2/L3 (epilogue.ts finishRows): the activation by the elementwise
// kernels (3–7 % faster on the FFN than activating each tile, and the same bits as the elementwise
// call), then the residual, or a gated MLP's act(gate) ⊙ up.
//
// Blocks measured (bench/gemm-kernel.js, relaxed build, AMD EPYC Zen 5 one core, Node 20, medians of
// 9 interleaved rounds, GFLOP/s; the machine was shared, so ±5 %): capping K blocks at 512 (a panel
// slice of 16 KiB in L1, the textbook choice) against blocks as large as the scratch allows:
// FFN 2048→8192→2048 B=8 14.0 vs 25.2, 11008→4096 B=8 14.6 vs 35.9, FFN 1024→4096→1024 B=64 21.3 vs
// 22.1, FFN 2048/8192 B=64 37.8 vs 35.1 then 38.4 vs 42.4: short blocks cut each panel's stream from
// memory into pieces and reload y, and buy nothing at B ≥ 64 since L2 feeds the tile as fast. Scratch
// 256 KiB / 512 KiB / 1 MiB at 32 strips per chunk: 42.4 / 46.7 / 44.2 (FFN 2048/8192 B=64), 40.2 /
// 42.7 / 44.2 (11008→4096 B=64), 37.6 / 33.6 / 35.6 (FFN 2048/8192 B=8); 64 strips per chunk with
// 1 MiB measured like 32. Running each panel in slices of 128 … 1024 k's, every strip in turn (the
// slice in L1, one stream from memory): 24–38 vs 41 (8×2048→8192), 45–50 vs 51 (FFN 1024/4096 B=64),
// 28–40 vs 45 (FFN 2048/8192 B=8): a tile's start and end cost more than L1 saves over L2. Batch 8
// runs at 48.8 GFLOP/s with its 8 MiB of weights in L3 and 41.3 with 64 MiB streamed from memory
// (2048→1024 vs 2048→8192). The tile's own ceiling, everything in L1 (512×64→2048): 51.8 GFLOP/s
// relaxed, 51.4 simd, as fast as 512×256→2048 and 512³ (50.1, 50.2): tiles as short as 64 k's cost
// nothing, and at B = 64 the blocked FFNs run at 93–98 % of that ceiling. Tile shapes (Zen 4, FFN 8×/128×512→2048→512 and 512³, GFLOP/s simd |
// relaxed): 4×8 on packed x 42–44 | 49–51; 4×8 on x in place 34–36 | 43–48; 2×16 in place 37–39 |
// 46–50. Hence 4×8 on packed x for both builds.
//
// Reentrant: besides y, the only memory written is the scratch the caller passes (a thread passes its own).
import { dequantizeRows, finishRows } from './epilogue';
import { gemmInt8Dot, int8DotScratchBytes } from './integer';
import { tile } from './microkernel';
import { NR, packRows, panelCount, panelStride } from './pack';
import { BIAS_BYTES, Bf16Weights, F16Weights, F32Weights, Int8RowsWeights, Int8Weights, WeightDtype } from './weights';

/** Panels per group of the leftover rows: a multiple of the wide tiles' widths (3 for one row, 2 for two). */
const GROUP = 6;
/** Strips (4 rows) per chunk: the rows that share one pass over the weights. */
const CHUNK_STRIPS = 32;
/** The most bytes of packed x a chunk's K block holds (16·k bytes per strip): half of L2. */
const SCRATCH_BYTES = 512 << 10;
const COLUMNS: usize = NR * 4; // bytes of one panel's columns in a row of y (and of a float32 k-row)
/** The most k-rows of a panel block widened to float32 at once (its bytes: half the packed x's). */
const WIDE_ROWS = <i32>(SCRATCH_BYTES >> 5);

/** Bytes of packed x the scratch holds for rows of inF floats. */
@inline function packedXBytes(inF: i32): usize {
  return <usize>min(<u64>SCRATCH_BYTES, <u64>(CHUNK_STRIPS << 4) * <u64>max(inF, 1));
}

/**
 * Bytes of the scratch `linear` needs for rows of inF floats and weights in `dtype` (64-byte aligned is
 * best): packed x, and for 16-bit and int8 weights one panel's K block widened to float32 (see gemmOf).
 */
export function linearScratchBytes(inF: i32, dtype: i32): i32 {
  if (dtype == WeightDtype.INT8_DOT) return int8DotScratchBytes(inF); // (quantised x, any batch)
  const wide = dtype == WeightDtype.F32 ? 0 : BIAS_BYTES + <usize>min(inF, WIDE_ROWS) * COLUMNS;
  return <i32>(((packedXBytes(inF) + 63) & ~63) + wide);
}

/**
 * Widens a 16-bit or int8 panel's block of kn k-rows (b as tile takes it: a k-row before the first)
 * into float32 rows at wide, when the block is the first its start row first (the bias, or zeros for
 * int8): the layout an F32Weights tile reads from `wide`, so that the strips of a chunk run the
 * float32 tile on it.
 */
function widenPanel<W>(b: usize, wide: usize, kn: i32, first: bool): void {
  const format = changetype<W>(0);
  const rowBytes = format.rowBytes();
  if (first && format.startsAtBias()) memory.copy(wide, b + rowBytes - format.headBytes(), BIAS_BYTES);
  else if (first) memory.fill(wide, 0, BIAS_BYTES);
  let src = b;
  let dst = wide;
  for (let k = 0; k < kn; k++) {
    src += rowBytes;
    dst += COLUMNS;
    const raw = format.raw(src);
    v128.store(dst, format.lo(raw));
    v128.store(dst, format.hi(src, raw), 16);
  }
}

// One function per tile shape: each k loop gets its registers to itself (binaryen may inline one
// back into its only caller; checked with node --no-liftoff --print-wasm-code: no spills either way).
// Panels are adjacent (ldb and 32 bytes apart in packed and y) except for the batch-1 1×24 tile.
function tile4x8packed<W>(a: usize, b: usize, ldb: usize, K: i32, y: usize, ldy: usize, nc: i32, resume: bool): void {
  tile<W>(4, 1, true, a, 0, b, ldb, K, y, ldy, COLUMNS, nc, resume);
}
function tile2x16<W>(a: usize, lda: usize, b: usize, ldb: usize, K: i32, y: usize, ldy: usize, nc: i32, resume: bool): void {
  tile<W>(2, 2, false, a, lda, b, ldb, K, y, ldy, COLUMNS, nc, resume);
}
function tile2x8<W>(a: usize, lda: usize, b: usize, ldb: usize, K: i32, y: usize, ldy: usize, nc: i32, resume: bool): void {
  tile<W>(2, 1, false, a, lda, b, ldb, K, y, ldy, COLUMNS, nc, resume);
}
function tile1x24<W>(a: usize, b: usize, ldb: usize, K: i32, y: usize, ldyp: usize, nc: i32, resume: bool): void {
  tile<W>(1, 3, false, a, 0, b, ldb, K, y, 0, ldyp, nc, resume);
}
function tile1x16<W>(a: usize, b: usize, ldb: usize, K: i32, y: usize, nc: i32, resume: bool): void {
  tile<W>(1, 2, false, a, 0, b, ldb, K, y, 0, COLUMNS, nc, resume);
}
function tile1x8<W>(a: usize, b: usize, ldb: usize, K: i32, y: usize, nc: i32, resume: bool): void {
  tile<W>(1, 1, false, a, 0, b, ldb, K, y, 0, COLUMNS, nc, resume);
}

/**
 * `rows` (1 or 2) rows of x in place against `panels` (1 … GROUP) panels at b, over K k's, columns
 * from y on (nc of them valid): tiles as wide as the register budget allows, so several panels are
 * streamed in one pass over the row(s).
 */
function leftover<W>(rows: i32, panels: i32, x: usize, lda: usize, b: usize, ldb: usize, K: i32, y: usize, ldy: usize, nc: i32, resume: bool): void {
  if (rows == 1) {
    for (let j = 0; j < panels; j += 3, b += ldb * 3, y += NR * 4 * 3, nc -= NR * 3) {
      const n = panels - j;
      if (n >= 3) tile1x24<W>(x, b, ldb, K, y, COLUMNS, nc, resume);
      else if (n == 2) tile1x16<W>(x, b, ldb, K, y, nc, resume);
      else tile1x8<W>(x, b, ldb, K, y, nc, resume);
    }
  } else {
    for (let j = 0; j < panels; j += 2, b += ldb << 1, y += NR * 4 * 2, nc -= NR * 2) {
      if (panels - j >= 2) tile2x16<W>(x, lda, b, ldb, K, y, ldy, nc, resume);
      else tile2x8<W>(x, lda, b, ldb, K, y, ldy, nc, resume);
    }
  }
}

/**
 * The 1 … 3 rows left after the strips, as leftover does: a pair by M's tiles (several rows), a single
 * row by W's; three rows as a pair 2×16 and one 1×24 while the group is in cache (8–10 % faster than
 * a 3×8 tile, whose 6 accumulator chains cannot cover the multiply-add latency).
 */
function leftoverRows<W, M>(rows: i32, panels: i32, x: usize, lda: usize, b: usize, ldb: usize, K: i32, y: usize, ldy: usize, nc: i32, resume: bool): void {
  if (rows >= 2) leftover<M>(2, panels, x, lda, b, ldb, K, y, ldy, nc, resume);
  if (rows != 2) leftover<W>(1, panels, x + (<usize>(rows & 2) * lda), lda, b, ldb, K, y + (<usize>(rows & 2) * ldy), ldy, nc, resume);
}

/**
 * One row (batch 1) against all the panels at b (as tile takes them: a k-row before the first), over all of K: each 1×24 tile takes panels t, t + P/3
 * and t + 2P/3, so the weights stream as three runs a third of them long, where adjacent panels
 * restart three short streams per tile (K·32 bytes each) and the prefetchers ramp up again every
 * time. The last P mod 3 panels run adjacent tiles. Two runs (1×16 tiles half the weights apart)
 * measured +10 % on 768→50257 but −5 … −10 % on 2048/8192 and 11008→4096.
 */
function rowAlone<W>(x: usize, b: usize, ldb: usize, K: i32, y: usize, outF: i32, panels: i32): void {
  const third = panels / 3;
  for (let t = 0; t < third; t++) {
    const last = t + 2 * third; // the tile's panel that may be the partial one
    tile1x24<W>(x, b + <usize>t * ldb, ldb * third, K, y + <usize>t * COLUMNS, <usize>third * COLUMNS, 2 * NR + min(NR, outF - last * NR), false);
  }
  const done = third * 3;
  if (done < panels) leftover<W>(1, panels - done, x, 0, b + <usize>done * ldb, ldb, K, y + <usize>done * COLUMNS, 0, outF - done * NR, false);
}

/**
 * y[batch, outF] = act(x[batch, inF] · Wᵀ + b) + residual with W, b packed by `pack(…, inF, outF, …)`.
 * act is an Activation id, param its parameter (the leaky_relu slope); residual is batch·outF floats
 * added after the activation, or 0 for none (it may overlap x, not y). scratch is
 * linearScratchBytes(inF, dtype) bytes the call may overwrite, or 0 to read x in place (slower for batch ≥ 4;
 * INT8_DOT needs one at every batch: without it every output is NaN, see integer.ts).
 * dtype is the panels' WeightDtype. Reads exactly batch·inF floats of x and packedBytes(inF, outF,
 * dtype) bytes of packed, writes exactly batch·outF floats of y; y must not overlap x, packed or
 * scratch. Any alignment works (64 bytes is best). Never grows memory.
 */
export function linear(x: usize, packed: usize, y: usize, batch: i32, inF: i32, outF: i32, act: i32, param: f32, residual: usize, scratch: usize, dtype: i32): void {
  gemm(x, packed, y, batch, inF, outF, act, param, residual, 0, scratch, dtype);
}

/**
 * The gated MLP's first half, h[batch, hidden] = act(x·Gᵀ + b_g) ⊙ (x·Uᵀ + b_u), as one GEMM over
 * `packed` = the gate's panels then the up projection's (two `pack(…, inF, hidden, …)` back to back,
 * so each half is 8·⌈hidden/8⌉ columns wide). y is its workspace: batch · 2·8⌈hidden/8⌉ floats, the
 * [gate | up] rows, finished into h chunk by chunk while they are in cache. h must not overlap y, x,
 * packed or scratch; scratch as for `linear`.
 */
export function gatedLinear(x: usize, packed: usize, y: usize, h: usize, batch: i32, inF: i32, hidden: i32, act: i32, param: f32, scratch: usize, dtype: i32): void {
  gemm(x, packed, y, batch, inF, panelCount(hidden) * NR * 2, act, param, h, hidden, scratch, dtype);
}

/** The GEMM over panels of weights in `dtype` (a WeightDtype code), one instantiation per format. */
function gemm(x: usize, packed: usize, y: usize, batch: i32, inF: i32, outF: i32, act: i32, param: f32, extra: usize, hidden: i32, scratch: usize, dtype: i32): void {
  if (dtype == WeightDtype.BF16) gemmOf<Bf16Weights, Bf16Weights>(x, packed, y, batch, inF, outF, act, param, extra, hidden, scratch);
  else if (dtype == WeightDtype.INT8) gemmOf<Int8Weights, Int8RowsWeights>(x, packed, y, batch, inF, outF, act, param, extra, hidden, scratch);
  else if (dtype == WeightDtype.INT8_DOT) gemmInt8Dot(x, packed, y, batch, inF, outF, act, param, extra, hidden, scratch);
  else if (dtype == WeightDtype.F16) gemmOf<F16Weights, F16Weights>(x, packed, y, batch, inF, outF, act, param, extra, hidden, scratch);
  else gemmOf<F32Weights, F32Weights>(x, packed, y, batch, inF, outF, act, param, extra, hidden, scratch);
}

/**
 * The GEMM over panels in format W, whose tiles of several rows in place read them as format M (the
 * same panels; weights.ts: int8 widens one way for one row, another for several); finishRows
 * (epilogue.ts) says what act, param, extra and hidden do to finished rows.
 */
function gemmOf<W, M>(x: usize, packed: usize, y: usize, batch: i32, inF: i32, outF: i32, act: i32, param: f32, extra: usize, hidden: i32, scratch: usize): void {
  const format = changetype<W>(0);
  const rowBytes = format.rowBytes();
  if (batch <= 0 || inF <= 0 || outF <= 0) return;
  const lda = <usize>inF << 2;
  const ldb = panelStride<W>(inF);
  const b0 = packed + format.headBytes() - rowBytes; // a k-row before the first panel's first k-row (tile's b)
  const ldy = <usize>outF << 2;
  const panels = panelCount(outF);
  const strips = batch >> 2;
  const rows = batch & 3;
  const xRest = x + <usize>(strips << 2) * lda;
  const yRest = y + <usize>(strips << 2) * ldy;

  // A chunk's packed x slice fills at most the scratch: K is cut into blocks of equal size (no
  // short last block) when the chunk's whole rows do not fit.
  const chunk = max(1, min(strips, CHUNK_STRIPS));
  const kMax = min(SCRATCH_BYTES / (chunk << 4), format.widenFrom() <= chunk ? WIDE_ROWS : i32.MAX_VALUE);
  const kBlocks = strips > 0 ? (inF + kMax - 1) / kMax : 1;
  const kb = (inF + kBlocks - 1) / kBlocks;
  const packX = scratch != 0;
  const wide = scratch + ((packedXBytes(inF) + 63) & ~63);
  let s0 = 0;
  do {
    const n = min(chunk, strips - s0);
    const last = s0 + n >= strips;
    const xc = x + <usize>(s0 << 2) * lda;
    const yc = y + <usize>(s0 << 2) * ldy;
    const widen = n >= format.widenFrom(); // (weights.ts says from how many strips)
    for (let k0 = 0; k0 < inF; k0 += kb) {
      const kn = min(kb, inF - k0);
      const resume = k0 > 0;
      const koff = <usize>k0 << 2; // x columns before the block, in bytes
      const bk = b0 + <usize>k0 * rowBytes; // a k-row before the block's first k-row in panel 0
      if (batch == 1) {
        rowAlone<W>(x, b0, ldb, inF, y, outF, panels); // one chunk, one K block
        continue;
      }
      if (packX && n > 0) packRows(xc + koff, lda, scratch, n, kn);
      for (let j0 = 0; j0 < panels; j0 += GROUP) {
        const group = min(GROUP, panels - j0);
        const col = j0 * NR;
        if (packX) {
          for (let j = j0; j < j0 + group; j++) {
            const b = bk + <usize>j * ldb;
            const nc = min(NR, outF - j * NR);
            let xi = scratch;
            let yi = yc + (<usize>(j * NR) << 2);
            if (widen) {
              // 16-bit or int8 weights for several strips: widen the panel's block once (it stays in L1/L2),
              // then every strip runs the float32 tile: the same products, so the same bits.
              widenPanel<W>(b, wide, kn, !resume);
              for (let i = 0; i < n; i++, xi += <usize>kn << 4, yi += ldy << 2) tile4x8packed<F32Weights>(xi, wide, 0, kn, yi, ldy, nc, resume);
            } else {
              for (let i = 0; i < n; i++, xi += <usize>kn << 4, yi += ldy << 2) tile4x8packed<M>(xi, b, ldb, kn, yi, ldy, nc, resume);
            }
          }
        } else {
          // No scratch: pairs of rows in place, 2×16 (faster than an in-place 4×8).
          let xi = xc + koff;
          let yi = yc + (<usize>col << 2);
          for (let i = 0; i < n << 1; i++, xi += lda << 1, yi += ldy << 1) {
            leftover<M>(2, group, xi, lda, bk + <usize>j0 * ldb, ldb, kn, yi, ldy, outF - col, resume);
          }
        }
        if (last && rows) {
          leftoverRows<W, M>(rows, group, xRest + koff, lda, bk + <usize>j0 * ldb, ldb, kn, yRest + (<usize>col << 2), ldy, outF - col, resume);
        }
      }
    }
    // Finished here: the chunk's rows (s0·4 … (s0+n)·4, and the leftover rows after the last
    // chunk), every column, all of K: contiguous in y from yc. The epilogue runs on them in cache.
    const done = (n << 2) + (last ? rows : 0);
    if (!format.startsAtBias()) {
      // each row's sums are in the units of the format that computed them (weights.ts scale)
      const several = <f32>1 / changetype<M>(0).scale();
      const one = <f32>1 / format.scale();
      dequantizeRows(y, s0 << 2, n << 2, outF, packed, ldb, packX && widen ? one : several);
      if (last && rows) {
        if (rows >= 2) dequantizeRows(y, (strips << 2), 2, outF, packed, ldb, several);
        if (rows != 2) dequantizeRows(y, (strips << 2) + (rows & 2), 1, outF, packed, ldb, one);
      }
    }
    finishRows(y, s0 << 2, done, outF, act, param, extra, hidden);
    s0 += n;
  } while (s0 < strips);
}
