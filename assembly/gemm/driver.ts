// The driver: y[batch, outF] = act(x[batch, inF] · Wᵀ + b) over packed panels (see pack.ts), cut
// into microkernel tiles (see microkernel.ts).
//
// Rows of x go in strips of 4 through the 4×8 tile. A chunk of strips is first interleaved into a
// static scratch (packRows) so the tile reads 4 rows through one pointer; then, for each block of
// BLOCK panels, panel by panel, every strip of the chunk runs against the panel (the panel stays
// in L1/L2 while the strips stream past it), and after the last chunk the 1 … 3 leftover rows run
// the wide tiles over the same block while it is still in cache. Batch 1 … 3 is only that last
// step (the GEMV path): one row runs the 1×24 tile, three panels in flight, which streams the
// weights at ≈ 60–70 GB/s here; two rows run 2×16. Every tile covers all of K (K blocking measured
// nothing at transformer sizes), so each output is written once, bias included. The activation then
// runs over each chunk of finished rows while they are in L1/L2, by the elementwise kernels (3–7 %
// faster on the FFN than activating each tile, and the same bits as the elementwise call).
//
// Measured on the FFN 8×512→2048→512 / 128×… / 512³ (Node 20, Zen 4, medians, GFLOP/s simd |
// relaxed): 4×8 on packed x 42–44 | 49–51; 4×8 on x in place 34–36 | 43–48; 2×16 in place
// 37–39 | 46–50; 2×16 on packed x 38–40 | 46–48. Hence 4×8 on packed x for both builds.
//
// Not reentrant: the scratch is static (a threads build needs one per thread).
import { finishRows } from './epilogue';
import { tile } from './microkernel';
import { NR, packRows, panelCount, panelStride } from './pack';

/** Panels per block: a multiple of the leftover tiles' widths (3 for one row, 2 for two). */
const BLOCK = 6;
/**
 * Packed x strips live here: 16·K bytes per strip, so x packs up to K = 4096 (longer rows are read
 * in place, 2×16). 32 KiB … 256 KiB measured alike; more than 64 KiB needs asconfig's initialMemory
 * raised (static data must fit the initial pages).
 */
const SCRATCH_BYTES: usize = 64 << 10;
const scratch = memory.data(<i32>SCRATCH_BYTES, 64);

// One function per tile shape: each k loop gets its registers to itself (binaryen may inline one
// back into its only caller; checked with node --no-liftoff --print-wasm-code: no spills either way).
function tile4x8packed(a: usize, b: usize, ldb: usize, K: i32, y: usize, ldy: usize, nc: i32): void {
  tile(4, 1, true, a, 0, b, ldb, K, y, ldy, nc);
}
function tile2x16(a: usize, lda: usize, b: usize, ldb: usize, K: i32, y: usize, ldy: usize, nc: i32): void {
  tile(2, 2, false, a, lda, b, ldb, K, y, ldy, nc);
}
function tile2x8(a: usize, lda: usize, b: usize, ldb: usize, K: i32, y: usize, ldy: usize, nc: i32): void {
  tile(2, 1, false, a, lda, b, ldb, K, y, ldy, nc);
}
function tile1x24(a: usize, b: usize, ldb: usize, K: i32, y: usize, nc: i32): void {
  tile(1, 3, false, a, 0, b, ldb, K, y, 0, nc);
}
function tile1x16(a: usize, b: usize, ldb: usize, K: i32, y: usize, nc: i32): void {
  tile(1, 2, false, a, 0, b, ldb, K, y, 0, nc);
}
function tile1x8(a: usize, b: usize, ldb: usize, K: i32, y: usize, nc: i32): void {
  tile(1, 1, false, a, 0, b, ldb, K, y, 0, nc);
}

/**
 * The last `rows` (1 … 3) rows of x against `panels` (1 … BLOCK) panels at b, columns from y on
 * (nc of them valid): tiles as wide as the register budget allows, so several panels are streamed
 * in one pass over the row(s).
 */
function leftover(rows: i32, panels: i32, x: usize, lda: usize, b: usize, ldb: usize, K: i32, y: usize, ldy: usize, nc: i32): void {
  if (rows == 1) {
    for (let j = 0; j < panels; j += 3, b += ldb * 3, y += NR * 4 * 3, nc -= NR * 3) {
      const n = panels - j;
      if (n >= 3) tile1x24(x, b, ldb, K, y, nc);
      else if (n == 2) tile1x16(x, b, ldb, K, y, nc);
      else tile1x8(x, b, ldb, K, y, nc);
    }
  } else if (rows == 2) {
    for (let j = 0; j < panels; j += 2, b += ldb << 1, y += NR * 4 * 2, nc -= NR * 2) {
      if (panels - j >= 2) tile2x16(x, lda, b, ldb, K, y, ldy, nc);
      else tile2x8(x, lda, b, ldb, K, y, ldy, nc);
    }
  } else {
    // Two rows 2×16 and one 1×24 while the block is in cache: 8–10% faster than a 3×8 tile, whose
    // 6 accumulator chains cannot cover the multiply-add latency.
    leftover(2, panels, x, lda, b, ldb, K, y, ldy, nc);
    leftover(1, panels, x + (lda << 1), lda, b, ldb, K, y + (ldy << 1), ldy, nc);
  }
}

/**
 * y[batch, outF] = act(x[batch, inF] · Wᵀ + b) + residual with W, b packed by `pack(…, inF, outF, …)`.
 * act is an Activation id, param its parameter (the leaky_relu slope); residual is batch·outF floats
 * added after the activation, or 0 for none (it may overlap x, not y). Reads exactly
 * batch·inF floats of x and packedBytes(inF, outF) bytes of packed, writes exactly batch·outF floats
 * of y; y must not overlap x or packed. Any alignment works (64 bytes is best). Never grows memory.
 */
export function linear(x: usize, packed: usize, y: usize, batch: i32, inF: i32, outF: i32, act: i32, param: f32, residual: usize): void {
  gemm(x, packed, y, batch, inF, outF, act, param, residual, 0);
}

/**
 * The gated MLP's first half, h[batch, hidden] = act(x·Gᵀ + b_g) ⊙ (x·Uᵀ + b_u), as one GEMM over
 * `packed` = the gate's panels then the up projection's (two `pack(…, inF, hidden, …)` back to back,
 * so each half is 8·⌈hidden/8⌉ columns wide). y is its workspace: batch · 2·8⌈hidden/8⌉ floats, the
 * [gate | up] rows, finished into h chunk by chunk while they are in cache. h must not overlap y, x
 * or packed.
 */
export function gatedLinear(x: usize, packed: usize, y: usize, h: usize, batch: i32, inF: i32, hidden: i32, act: i32, param: f32): void {
  gemm(x, packed, y, batch, inF, panelCount(hidden) * NR * 2, act, param, h, hidden);
}

/** The GEMM; finishRows (epilogue.ts) says what act, param, extra and hidden do to finished rows. */
function gemm(x: usize, packed: usize, y: usize, batch: i32, inF: i32, outF: i32, act: i32, param: f32, extra: usize, hidden: i32): void {
  if (batch <= 0 || inF <= 0 || outF <= 0) return;
  const lda = <usize>inF << 2;
  const ldb = panelStride(inF);
  const ldy = <usize>outF << 2;
  const panels = panelCount(outF);
  const strips = batch >> 2;
  const rows = batch & 3;
  const xRest = x + <usize>(strips << 2) * lda;
  const yRest = y + <usize>(strips << 2) * ldy;

  // Strips per chunk of packed x; 0 when one strip does not fit (K > 4096): then x is read in place.
  const fit = <i32>(SCRATCH_BYTES / (lda << 2));
  const packX = fit > 0;
  const chunk = packX ? min(fit, strips) : strips;
  let s0 = 0;
  do {
    const n = min(chunk, strips - s0);
    const xc = x + <usize>(s0 << 2) * lda;
    const yc = y + <usize>(s0 << 2) * ldy;
    if (packX && n > 0) packRows(xc, lda, scratch, n, inF);
    const last = s0 + n >= strips;
    for (let j0 = 0; j0 < panels; j0 += BLOCK) {
      const block = min(BLOCK, panels - j0);
      const col = j0 * NR;
      if (packX) {
        for (let j = j0; j < j0 + block; j++) {
          const b = packed + <usize>j * ldb;
          const nc = min(NR, outF - j * NR);
          let xi = scratch;
          let yi = yc + (<usize>(j * NR) << 2);
          for (let i = 0; i < n; i++, xi += lda << 2, yi += ldy << 2) tile4x8packed(xi, b, ldb, inF, yi, ldy, nc);
        }
      } else {
        // Rows too long to pack: pairs of rows in place, 2×16 (faster than an in-place 4×8).
        const b = packed + <usize>j0 * ldb;
        let xi = xc;
        let yi = yc + (<usize>col << 2);
        for (let i = 0; i < n << 1; i++, xi += lda << 1, yi += ldy << 1) leftover(2, block, xi, lda, b, ldb, inF, yi, ldy, outF - col);
      }
      if (last && rows) {
        leftover(rows, block, xRest, lda, packed + <usize>j0 * ldb, ldb, inF, yRest + (<usize>col << 2), ldy, outF - col);
      }
    }
    finishRows(y, s0 << 2, n << 2, outF, act, param, extra, hidden);
    s0 += n;
  } while (s0 < strips);
  if (rows) finishRows(y, strips << 2, rows, outF, act, param, extra, hidden);
}
