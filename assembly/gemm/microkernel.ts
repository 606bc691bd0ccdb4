// The microkernel: one MR×(8·NP) tile of y = x·Wᵀ + b over a block of K, its accumulators kept in
// f32x4 registers from their start to the store (the driver applies the activation afterwards, on
// rows still in cache: epilogue.ts says why not in registers). The first K block starts the
// accumulators at the bias; a later one reloads the partial sums the previous block stored in y.
// float32 stores and loads are exact, so a K-blocked output is the very same sequence of float ops
// (b, then + x_k·w_k for k = 0 … K−1 in order) as one tile over the whole of K: the same bits, and
// the same error bound γ(K+1)·(|b| + Σ|x·w|).
//
// `tile(mr, np, …)` is written once for every shape with mr rows of x and np packed panels
// (mr·np·2 ≤ 8 accumulators). It is `@inline` and every caller passes mr and np as literals, so the
// `mr > r` / `np > p` tests below fold and each instantiation keeps only its own loads and
// multiply-adds. Accumulator i (c0 … c7) belongs to tile row i / V and vector i % V of that row,
// where V = 2·np vectors per row; `pick` selects the matching x broadcast and weight vector.
//
// Register budget (V8 gives wasm about 15 xmm registers on x64). V8 schedules every load of an
// iteration ahead of the arithmetic, so all of them are live at once: accumulators mr·2np + weights
// 2np + broadcasts mr must stay ≤ 15. 4×8 and 2×16 need 14, the 1×24 GEMV tile 13; 1×32 (17),
// 3×16 or 6×8 spill and run up to 2× slower. For the same reason the k loop is not unrolled.
// (Unrolled by two on an Intel Xeon, family 6 model 167: 5–37 % slower, seed's GEMMs, 512³ and
// 2048/8192 batch 8, both builds, bench/gemm-kernel.js --wasm.)
//
// x is read either straight from its rows (lda bytes apart) or, with `packedA`, from a strip that
// pack.ts `packRows` interleaved as [k][mr floats]: one pointer and constant offsets instead of mr
// pointers, four fewer instructions per k step (+18% for mul+add, +5% for relaxed_madd).
// Broadcasting the 4 rows from one v128.load by i32x4 shuffles (3 loads + 4 shuffles per k instead of
// 6 loads) measured slower on Zen 5: 512³ relaxed 46.8 vs 51.0 GFLOP/s, simd 41.8 vs 43.5.
import { madd } from '../simd';
import { storeVector } from './epilogue';

const ZERO = f32x4.splat(0);

@inline function pick4(i: i32, v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  return i == 0 ? v0 : i == 1 ? v1 : i == 2 ? v2 : v3;
}

@inline function pick8(i: i32, v0: v128, v1: v128, v2: v128, v3: v128, v4: v128, v5: v128, v6: v128, v7: v128): v128 {
  return i < 4 ? pick4(i, v0, v1, v2, v3) : pick4(i - 4, v4, v5, v6, v7);
}

@inline function pickPtr(i: i32, p0: usize, p1: usize, p2: usize, p3: usize): usize {
  return i == 0 ? p0 : i == 1 ? p1 : i == 2 ? p2 : p3;
}

/** Where the columns of accumulator i's panel start in its row of y (panels ldyp bytes apart in y). */
@inline function panelRow(i: i32, V: i32, y0: usize, y1: usize, y2: usize, y3: usize, ldyp: usize): usize {
  return pickPtr(i / V, y0, y1, y2, y3) + <usize>((i % V) >> 1) * ldyp;
}

/** The valid columns counted from accumulator i's panel (nc counts them from the tile's first panel). */
@inline function panelCols(i: i32, V: i32, nc: i32): i32 {
  return nc - (((i % V) >> 1) << 3);
}

/**
 * Accumulator `vec` (columns 4·vec … 4·vec+3) of a tile row as the previous K block stored it
 * (epilogue.ts storeVector), reading only the nc valid columns; the others are never stored.
 */
@inline function loadVector(row: usize, vec: i32, nc: i32): v128 {
  const col = vec << 2;
  if (nc <= col) return ZERO;
  const src = row + (<usize>col << 2);
  if (nc >= col + 4) return v128.load(src);
  let v = v128.load32_zero(src);
  if (nc > col + 1) v = v128.load32_lane(src, v, 1, 4);
  if (nc > col + 2) v = v128.load32_lane(src, v, 2, 8);
  return v;
}

/**
 * y[r, c] = start[r, c] + Σ_k a[r, k]·w[c, k] for r < mr, c < nc, k over one block of K k's, where
 *   a      first x row of the block, rows lda bytes apart, k contiguous; or with packedA, [k][mr]
 *          interleaved (lda unused);
 *   b      in the first panel, one k-row (W's rowBytes) before the block's first k-row; np panels
 *          ldb bytes apart, k-rows in the weight format W (weights.ts); for the first block the
 *          float32 bias row starts the head (W's headBytes) before that first k-row;
 *   y      first output element, rows ldy bytes apart, the panels' columns ldyp bytes apart (32 for
 *          adjacent panels); nc ≤ 8·np valid columns counted as if panels were adjacent (the rest
 *          is not stored: only the last panel may be partial);
 *   start  the bias row when `resume` is false (zero for int8, whose epilogue adds bias + scale·sum),
 *          else y itself (the previous block's sums).
 * mr, np and packedA must be literals: 1 ≤ mr ≤ 4, 1 ≤ np ≤ 4, mr·np ≤ 4 (see the register budget).
 */
@inline export function tile<W>(
  mr: i32, np: i32, packedA: bool,
  a: usize, lda: usize, b: usize, ldb: usize, K: i32,
  y: usize, ldy: usize, ldyp: usize, nc: i32, resume: bool,
): void {
  const V = np << 1;
  const n = mr * V;
  const format = changetype<W>(0);
  const RB = format.rowBytes();

  let p0 = b;
  let p1 = b + ldb;
  let p2 = p1 + ldb;
  let p3 = p2 + ldb;

  const y0 = y;
  const y1 = y + ldy;
  const y2 = y1 + ldy;
  const y3 = y2 + ldy;

  let w0 = ZERO, w1 = ZERO, w2 = ZERO, w3 = ZERO, w4 = ZERO, w5 = ZERO, w6 = ZERO, w7 = ZERO;
  let c0 = ZERO, c1 = ZERO, c2 = ZERO, c3 = ZERO, c4 = ZERO, c5 = ZERO, c6 = ZERO, c7 = ZERO;
  if (resume) {
    c0 = loadVector(panelRow(0, V, y0, y1, y2, y3, ldyp), (0 % V) & 1, panelCols(0, V, nc));
    c1 = loadVector(panelRow(1, V, y0, y1, y2, y3, ldyp), (1 % V) & 1, panelCols(1, V, nc));
    if (n > 2) c2 = loadVector(panelRow(2, V, y0, y1, y2, y3, ldyp), (2 % V) & 1, panelCols(2, V, nc));
    if (n > 3) c3 = loadVector(panelRow(3, V, y0, y1, y2, y3, ldyp), (3 % V) & 1, panelCols(3, V, nc));
    if (n > 4) c4 = loadVector(panelRow(4, V, y0, y1, y2, y3, ldyp), (4 % V) & 1, panelCols(4, V, nc));
    if (n > 5) c5 = loadVector(panelRow(5, V, y0, y1, y2, y3, ldyp), (5 % V) & 1, panelCols(5, V, nc));
    if (n > 6) c6 = loadVector(panelRow(6, V, y0, y1, y2, y3, ldyp), (6 % V) & 1, panelCols(6, V, nc));
    if (n > 7) c7 = loadVector(panelRow(7, V, y0, y1, y2, y3, ldyp), (7 % V) & 1, panelCols(7, V, nc));
  } else if (format.startsAtBias()) {
    // The bias rows (float32, the head before the first k-row, which is RB after b) start the accumulators.
    const bias = RB - format.headBytes();
    w0 = v128.load(p0 + bias); w1 = v128.load(p0 + bias, 16);
    if (np > 1) { w2 = v128.load(p1 + bias); w3 = v128.load(p1 + bias, 16); }
    if (np > 2) { w4 = v128.load(p2 + bias); w5 = v128.load(p2 + bias, 16); }
    if (np > 3) { w6 = v128.load(p3 + bias); w7 = v128.load(p3 + bias, 16); }
    c0 = pick8(0 % V, w0, w1, w2, w3, w4, w5, w6, w7);
    c1 = pick8(1 % V, w0, w1, w2, w3, w4, w5, w6, w7);
    if (n > 2) c2 = pick8(2 % V, w0, w1, w2, w3, w4, w5, w6, w7);
    if (n > 3) c3 = pick8(3 % V, w0, w1, w2, w3, w4, w5, w6, w7);
    if (n > 4) c4 = pick8(4 % V, w0, w1, w2, w3, w4, w5, w6, w7);
    if (n > 5) c5 = pick8(5 % V, w0, w1, w2, w3, w4, w5, w6, w7);
    if (n > 6) c6 = pick8(6 % V, w0, w1, w2, w3, w4, w5, w6, w7);
    if (n > 7) c7 = pick8(7 % V, w0, w1, w2, w3, w4, w5, w6, w7);
  }

  let a0 = a;
  let a1 = a + lda; // (dead with packedA)
  let a2 = a1 + lda;
  let a3 = a2 + lda;
  let k = K;
  do {
    p0 += RB; const r0 = format.raw(p0); w0 = format.lo(r0); w1 = format.hi(p0, r0);
    if (np > 1) { p1 += RB; const r1 = format.raw(p1); w2 = format.lo(r1); w3 = format.hi(p1, r1); }
    if (np > 2) { p2 += RB; const r2 = format.raw(p2); w4 = format.lo(r2); w5 = format.hi(p2, r2); }
    if (np > 3) { p3 += RB; const r3 = format.raw(p3); w6 = format.lo(r3); w7 = format.hi(p3, r3); }
    const x0 = v128.load32_splat(a0);
    const x1 = mr > 1 ? (packedA ? v128.load32_splat(a0, 4) : v128.load32_splat(a1)) : ZERO;
    const x2 = mr > 2 ? (packedA ? v128.load32_splat(a0, 8) : v128.load32_splat(a2)) : ZERO;
    const x3 = mr > 3 ? (packedA ? v128.load32_splat(a0, 12) : v128.load32_splat(a3)) : ZERO;
    c0 = madd(pick4(0 / V, x0, x1, x2, x3), pick8(0 % V, w0, w1, w2, w3, w4, w5, w6, w7), c0);
    c1 = madd(pick4(1 / V, x0, x1, x2, x3), pick8(1 % V, w0, w1, w2, w3, w4, w5, w6, w7), c1);
    if (n > 2) c2 = madd(pick4(2 / V, x0, x1, x2, x3), pick8(2 % V, w0, w1, w2, w3, w4, w5, w6, w7), c2);
    if (n > 3) c3 = madd(pick4(3 / V, x0, x1, x2, x3), pick8(3 % V, w0, w1, w2, w3, w4, w5, w6, w7), c3);
    if (n > 4) c4 = madd(pick4(4 / V, x0, x1, x2, x3), pick8(4 % V, w0, w1, w2, w3, w4, w5, w6, w7), c4);
    if (n > 5) c5 = madd(pick4(5 / V, x0, x1, x2, x3), pick8(5 % V, w0, w1, w2, w3, w4, w5, w6, w7), c5);
    if (n > 6) c6 = madd(pick4(6 / V, x0, x1, x2, x3), pick8(6 % V, w0, w1, w2, w3, w4, w5, w6, w7), c6);
    if (n > 7) c7 = madd(pick4(7 / V, x0, x1, x2, x3), pick8(7 % V, w0, w1, w2, w3, w4, w5, w6, w7), c7);
    if (packedA) {
      a0 += mr << 2;
    } else {
      a0 += 4;
      if (mr > 1) a1 += 4;
      if (mr > 2) a2 += 4;
      if (mr > 3) a3 += 4;
    }
  } while (--k);

  storeVector(panelRow(0, V, y0, y1, y2, y3, ldyp), (0 % V) & 1, c0, panelCols(0, V, nc));
  storeVector(panelRow(1, V, y0, y1, y2, y3, ldyp), (1 % V) & 1, c1, panelCols(1, V, nc));
  if (n > 2) storeVector(panelRow(2, V, y0, y1, y2, y3, ldyp), (2 % V) & 1, c2, panelCols(2, V, nc));
  if (n > 3) storeVector(panelRow(3, V, y0, y1, y2, y3, ldyp), (3 % V) & 1, c3, panelCols(3, V, nc));
  if (n > 4) storeVector(panelRow(4, V, y0, y1, y2, y3, ldyp), (4 % V) & 1, c4, panelCols(4, V, nc));
  if (n > 5) storeVector(panelRow(5, V, y0, y1, y2, y3, ldyp), (5 % V) & 1, c5, panelCols(5, V, nc));
  if (n > 6) storeVector(panelRow(6, V, y0, y1, y2, y3, ldyp), (6 % V) & 1, c6, panelCols(6, V, nc));
  if (n > 7) storeVector(panelRow(7, V, y0, y1, y2, y3, ldyp), (7 % V) & 1, c7, panelCols(7, V, nc));
}
