// The raw GEMM ABI (assembly/gemm/): packedBytes, pack, linear, against a float64 matmul computed
// here, on shapes that exercise every tile and edge of the driver, plus guards that nothing outside
// the buffers is read or written.
import { describe, expect, it } from 'vitest';
import type { KernelExports } from '../src/exports.js';
import { BUILDS, instance } from './builds.js';
import { Guarded } from './guarded.js';
import { filled, random, reference, sameBits, SLOPE, type Act } from './matmul.js';

const ACT = { identity: 0, relu: 1, leaky_relu: 2 } as const;

/**
 * Packs w (and b) and runs linear with a scratch of linearScratchBytes(K) bytes (or none: x read in
 * place); returns y (a copy) after checking every canary.
 */
function run(e: KernelExports, x: Float32Array, w: Float32Array, b: Float32Array | null, M: number, K: number, N: number, act: Act | number, misalign = 0, withScratch = true) {
  const bytes = e.packedBytes(K, N) >>> 0;
  expect(bytes).toBe(Math.ceil(N / 8) * (K + 1) * 32);
  const gw = new Guarded(e, N * K).set(w);
  const gb = b ? new Guarded(e, N).set(b) : null;
  const gp = new Guarded(e, bytes / 4);
  const gx = new Guarded(e, M * K, misalign).set(x);
  const gy = new Guarded(e, M * N, misalign);
  const gs = withScratch ? new Guarded(e, (e.linearScratchBytes(K) >>> 0) / 4, misalign) : null;
  e.pack(gw.ptr, gb ? gb.ptr : 0, gp.ptr, K, N, false);
  const packed = gp.data.slice();
  e.linear(gx.ptr, gp.ptr, gy.ptr, M, K, N, typeof act === 'number' ? act : ACT[act], SLOPE, 0, gs ? gs.ptr : 0);
  for (const g of [gw, gb, gp, gx, gy, gs]) if (g) expect(g.canariesIntact()).toBe(true);
  expect(sameBits(gx.data, x), 'x is left as it was').toBe(true);
  expect(sameBits(gp.data, packed), 'packed is left as it was').toBe(true);
  const y = gy.data.slice();
  for (const g of [gw, gb, gp, gx, gy, gs]) g?.free();
  return y;
}

function check(y: Float32Array, ref: { y: Float64Array; bound: Float64Array }, what: string) {
  let ratio = 0;
  let at = 0;
  for (let i = 0; i < y.length; i++) {
    const r = Math.abs(y[i] - ref.y[i]) / ref.bound[i];
    if (!(r <= ratio)) [ratio, at] = [r, i];
  }
  expect(ratio, `${what}: output ${at} is ${y[at]}, float64 gives ${ref.y[at]} (error / bound = ${ratio})`).toBeLessThanOrEqual(1);
}

// [batch, inF, outF]: every tile (4×8 strips, leftover 1/2/3 rows over 1 … 6+ panels), edge columns
// 1 … 7, panel groups (6 panels: N = 47, 48, 49), chunks of 32 strips (batch 129, 263, 4093), and
// the K blocks (driver.ts: a chunk's K block holds at most 512 KiB of x, so kb ≤ 32768 / strips for
// chunks under 32 strips, 1024 from 32 on): K just below, at and above one block for 1, 2, 15, 16
// and 32 strips, with 0 … 3 leftover rows. Batch 1 over P panels (tiles a third of them apart):
// P mod 3 = 0, 1, 2, with a partial last panel. Large K with tiny N, large N (50257) with tiny K.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 7], [2, 1, 9], [4, 1, 1], [5, 2, 3], [7, 8, 8], [6, 9, 17], [1, 33, 49], [2, 17, 57],
  [3, 31, 50], [8, 64, 64], [9, 100, 41], [1, 512, 2048], [8, 512, 2048], [13, 771, 3079],
  [70, 1000, 13], [5, 4099, 11], [4096, 3, 5], [4093, 17, 9], [129, 16, 130], [4, 5, 47], [6, 7, 48], [11, 3, 49],
  [1, 32768, 3], [3, 32769, 2], [5, 32768, 9], [7, 32769, 3], [8, 16384, 5], [9, 16385, 3], [11, 16386, 2],
  [63, 2184, 3], [62, 2185, 2], [64, 2048, 3], [65, 2049, 9], [67, 4097, 2], [128, 1024, 3], [130, 1025, 5],
  [129, 3073, 3], [66, 2049, 7], [263, 1100, 11], [1, 7, 40], [1, 5, 71], [1, 3, 50257], [2, 2, 50257], [5, 1, 50257], [3, 1, 32768],
];

describe.each(BUILDS)('gemm ABI (%s build)', (build) => {
  const exportsOf = async () => (await instance(build)).heap.exports;

  it.each(SHAPES)('batch %i, %i → %i matches float64 within γ(K+1)·Σ|x·w| (identity+bias, relu, leaky_relu+bias)', async (M, K, N) => {
    const e = await exportsOf();
    const next = random(M * 7919 + K * 31 + N);
    const x = filled(M * K, next);
    const w = filled(N * K, next, 1 / Math.sqrt(K));
    const b = filled(N, next, 0.5);
    for (const [act, bias] of [['identity', b], ['relu', null], ['leaky_relu', b]] as const) {
      const y = run(e, x, w, bias, M, K, N, act);
      check(y, reference(x, w, bias, M, K, N, act), `${act}${bias ? '+bias' : ''}`);
    }
  });

  it('handles 30 random shapes, unaligned buffers included', async () => {
    const e = await exportsOf();
    const shape = random(2024);
    const int = (lo: number, hi: number) => lo + Math.floor(((shape() + 1) / 2) * (hi - lo + 1));
    for (let t = 0; t < 30; t++) {
      const [M, K, N] = [int(1, 40), int(1, 300), int(1, 90)];
      const next = random(t);
      const x = filled(M * K, next);
      const w = filled(N * K, next);
      const b = t % 2 ? filled(N, next) : null;
      const act = (['identity', 'relu', 'leaky_relu'] as const)[t % 3];
      const y = run(e, x, w, b, M, K, N, act, t % 4);
      check(y, reference(x, w, b, M, K, N, act), `shape ${M}×${K}→${N} ${act}`);
    }
  });

  it('is exact where float32 is exact, and a missing bias means zeros', async () => {
    const e = await exportsOf();
    const [M, K, N] = [6, 37, 19];
    const x = Float32Array.from({ length: M * K }, (_, i) => (i % 7) - 3);
    const w = Float32Array.from({ length: N * K }, (_, i) => (i % 5) - 2);
    const b = Float32Array.from({ length: N }, (_, i) => i - 9);
    for (const bias of [b, null]) {
      const y = run(e, x, w, bias, M, K, N, 'identity');
      expect(Array.from(y)).toEqual(Array.from(reference(x, w, bias, M, K, N, 'identity').y));
      if (!bias) expect(Array.from(run(e, x, w, new Float32Array(N), M, K, N, 'identity'))).toEqual(Array.from(y));
    }
  });

  it('gives every row the same bits whether it runs in a 4-row strip, a leftover tile or alone (leaky_relu, gelu)', async () => {
    const e = await exportsOf();
    const [M, K, N] = [11, 300, 70];
    const next = random(11);
    const x = filled(M * K, next);
    const w = filled(N * K, next);
    const b = filled(N, next);
    const gelu = (e as unknown as Record<string, WebAssembly.Global | undefined>)['Activation.Gelu'];
    for (const act of [ACT.leaky_relu, ...(gelu ? [gelu.value as number] : [])]) {
      const all = run(e, x, w, b, M, K, N, act);
      for (let m = 0; m < M; m++) {
        const alone = run(e, x.subarray(m * K, (m + 1) * K), w, b, 1, K, N, act);
        expect(sameBits(alone, all.subarray(m * N, (m + 1) * N)), `activation ${act}, row ${m}`).toBe(true);
      }
    }
  });

  // K blocks resume from the partial sums stored in y, in the order of k: the bits of an unblocked
  // tile over the whole of K. Batch 1 is never blocked, batch 65 cuts K = 2100 into 2 blocks (16
  // strips), batch 131 into 3 (32 strips, 2 chunks), batch 9 not at all (2 strips); x in place
  // (no scratch) runs other tiles over the same blocks.
  it('gives a row the same bits whatever the K blocks of its batch, with or without a scratch', async () => {
    const e = await exportsOf();
    const [K, N] = [2100, 21];
    const next = random(65);
    const x = filled(131 * K, next);
    const w = filled(N * K, next, 1 / Math.sqrt(K));
    const b = filled(N, next);
    const rowsOf = (y: Float32Array, rows: number[]) => rows.map((m) => y.subarray(m * N, (m + 1) * N));
    for (const act of [ACT.identity, ACT.leaky_relu]) {
      const probe = [0, 3, 8, 63, 64, 127, 128, 130];
      const alone = probe.map((m) => run(e, x.subarray(m * K, (m + 1) * K), w, b, 1, K, N, act));
      for (const [M, withScratch] of [[9, true], [65, true], [131, true], [65, false], [131, false]] as const) {
        const y = run(e, x.subarray(0, M * K), w, b, M, K, N, act, 0, withScratch);
        if (M === 131 && withScratch) check(y, reference(x.subarray(0, M * K), w, b, M, K, N, act === ACT.identity ? 'identity' : 'leaky_relu'), `batch ${M}`);
        probe.forEach((m, i) => {
          if (m < M) expect(sameBits(rowsOf(y, [m])[0], alone[i]), `act ${act}, batch ${M}${withScratch ? '' : ' in place'}, row ${m}`).toBe(true);
        });
      }
    }
  });

  // The GEMM runs the elementwise kernels over its finished rows, several rows per call, while this
  // test calls them one row at a time, so vectors group different elements. relu and leaky_relu are
  // exact, so their results must match bit for bit. The others may pick a cheaper path when all
  // lanes of a group are in an easy range, so an element's last bits can depend on its neighbours:
  // for them the test allows 4 ulp, far below any wrong-column, wrong-activation or missed-element
  // error.
  it('applies every activation id as its elementwise kernel does (the epilogue, edges included)', async () => {
    const e = await exportsOf();
    const raw = e as unknown as Record<string, unknown>;
    const ids = Object.keys(raw).filter((k) => k.startsWith('Activation.') && k !== 'Activation.Identity');
    expect(ids.length).toBeGreaterThanOrEqual(2);
    for (const [M, K, N] of [[7, 13, 11], [5, 33, 37], [1, 20, 30], [2, 9, 19]]) {
      const next = random(M + K + N);
      const x = filled(M * K, next, 2);
      const w = filled(N * K, next);
      const b = filled(N, next);
      const plain = run(e, x, w, b, M, K, N, 'identity');
      for (const id of ids) {
        const name = id[11].toLowerCase() + id.slice(12); // Activation.GeluTanh → geluTanh
        const kernel = raw[name] as (x: number, y: number, n: number, param?: number) => void;
        expect(typeof kernel, `elementwise kernel ${name}`).toBe('function');
        const code = (raw[id] as WebAssembly.Global).value as number;
        const g = new Guarded(e, M * N).set(plain);
        for (let m = 0; m < M; m++) kernel(g.ptr + m * N * 4, g.ptr + m * N * 4, N, SLOPE);
        const want = g.data.slice();
        g.free();
        const gx = new Guarded(e, M * K).set(x);
        const gp = new Guarded(e, (e.packedBytes(K, N) >>> 0) / 4);
        const gw = new Guarded(e, N * K).set(w);
        const gb = new Guarded(e, N).set(b);
        const gy = new Guarded(e, M * N);
        const gs = new Guarded(e, (e.linearScratchBytes(K) >>> 0) / 4);
        e.pack(gw.ptr, gb.ptr, gp.ptr, K, N, false);
        e.linear(gx.ptr, gp.ptr, gy.ptr, M, K, N, code, SLOPE, 0, gs.ptr);
        expect(gy.canariesIntact() && gs.canariesIntact(), `${name}: canaries around y and scratch`).toBe(true);
        const exact = name === 'relu' || name === 'leakyRelu';
        const got = gy.data;
        for (let i = 0; i < got.length; i++) {
          const ulp = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(want[i]) || 2 ** -126)), -126) - 23);
          const err = Object.is(got[i], want[i]) ? 0 : Math.abs(got[i] - want[i]) / ulp;
          expect(exact ? Object.is(got[i], want[i]) : err <= 4, `${name} on ${M}×${K}→${N} at ${i}: ${got[i]} vs ${want[i]}`).toBe(true);
        }
        for (const q of [gx, gp, gw, gb, gy, gs]) q.free();
      }
    }
  });

  it('reads and writes nothing past its buffers (scratch included), even at the very end of memory', async () => {
    const e = await exportsOf();
    // Every edge: a strip + 3 leftover rows, K odd, a 3-column edge panel; then 16 strips + 3 rows
    // over two K blocks (2049 = 1025 + 1024) and a full and an edge panel group.
    for (const [M, K, N] of [[7, 13, 11], [67, 2049, 51]]) {
      const next = random(M + K);
      const x = filled(M * K, next);
      const w = filled(N * K, next);
      const b = filled(N, next);
      const want = run(e, x, w, b, M, K, N, 'relu');
      const sizes = { x: M * K * 4, packed: e.packedBytes(K, N) >>> 0, y: M * N * 4, scratch: e.linearScratchBytes(K) >>> 0 };
      const names = Object.keys(sizes) as (keyof typeof sizes)[];
      // Place one buffer so that it ends exactly where memory ends: any access past it traps.
      for (const last of names) {
        const block = e.alloc(Object.values(sizes).reduce((s, n) => s + n + 64, 0)) >>> 0;
        const wp = e.alloc(N * K * 4) >>> 0;
        const bp = e.alloc(N * 4) >>> 0;
        e.memory.grow(Math.ceil(sizes[last] / 65536) + 1); // pages above everything allocated: nothing else lives there
        const end = e.memory.buffer.byteLength;
        let at = block;
        const ptrs = { x: 0, packed: 0, y: 0, scratch: 0 };
        for (const name of names) {
          if (name === last) ptrs[name] = end - sizes[last];
          else { ptrs[name] = at; at += sizes[name] + 64; }
        }
        new Float32Array(e.memory.buffer, wp, N * K).set(w);
        new Float32Array(e.memory.buffer, bp, N).set(b);
        new Float32Array(e.memory.buffer, ptrs.x, M * K).set(x);
        e.pack(wp, bp, ptrs.packed, K, N, false);
        e.linear(ptrs.x, ptrs.packed, ptrs.y, M, K, N, ACT.relu, 0, 0, ptrs.scratch);
        expect(sameBits(new Float32Array(e.memory.buffer, ptrs.y, M * N), want), `${M}×${K}→${N}: ${last} at the end of memory`).toBe(true);
        for (const p of [wp, bp, block]) e.free(p);
      }
    }
  });

  it('asks for a scratch of 512 KiB at most, less for short rows', async () => {
    const e = await exportsOf();
    expect(e.linearScratchBytes(1) >>> 0).toBe(512);
    expect(e.linearScratchBytes(1000) >>> 0).toBe(512 * 1000);
    expect(e.linearScratchBytes(1024) >>> 0).toBe(512 << 10);
    expect(e.linearScratchBytes(1 << 20) >>> 0).toBe(512 << 10);
  });

  it('reports 0 bytes when the packed weight would not fit 32-bit memory', async () => {
    const e = await exportsOf();
    expect(e.packedBytes(1, 1) >>> 0).toBe(64);
    expect(e.packedBytes(512, 2048) >>> 0).toBe(256 * 513 * 32);
    expect(e.packedBytes(65536, 65536) >>> 0).toBe(0);
  });
});
