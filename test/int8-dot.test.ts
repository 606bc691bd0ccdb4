// WeightDtype.INT8_DOT (assembly/gemm/integer.ts, dot.ts, quantize.ts): int8 weights × int8 rows of x
// quantised at run time, integer dot products. Checked bit for bit against an integer reference
// computed here on the very same quantised data (the exported quantizeRows for x, the packed panels
// for the weights, which must hold the same q and scales as WeightDtype.INT8), then the documented
// epilogue y = bias + float32(float32(scale_w·scale_x) · float32(Σ xq·q − zp·Σq)) with Math.fround
// in the same order; plus canaries around every buffer, the probe's mode, the K bound and edge rows.
import { describe, expect, it } from 'vitest';
import type { KernelExports } from '../src/exports.js';
import { BUILDS, instance } from './builds.js';
import { Guarded } from './guarded.js';
import { filled, random, sameBits, SLOPE } from './matmul.js';

const INT8 = 3;
const INT8_DOT = 4;
const HEAD = 96;
const ACT = { identity: 0, relu: 1, leaky_relu: 2 } as const;
type Act = keyof typeof ACT;
const f = Math.fround;
const apply = (act: Act, v: number) => (act === 'relu' ? (v > 0 ? v : 0) : act === 'leaky_relu' && v < 0 ? f(v * SLOPE) : v);

type Raw = KernelExports & Record<string, unknown>;
const global = (e: KernelExports, name: string) => ((e as Raw)[name] as WebAssembly.Global).value as number;

/** x quantised by the module's own quantizeRows: xq (int8, rows·K), scales and zero points. */
function quantize(e: KernelExports, x: Float32Array, rows: number, K: number) {
  const gx = new Guarded(e, rows * K).set(x);
  const gq = new Guarded(e, Math.ceil((rows * K) / 4));
  const gp = new Guarded(e, rows * 2);
  (e as Raw as unknown as { quantizeRows: (...a: number[]) => void }).quantizeRows(gx.ptr, rows, K, gq.ptr, gp.ptr);
  expect(gx.canariesIntact() && gq.canariesIntact() && gp.canariesIntact(), 'quantizeRows canaries').toBe(true);
  const xq = new Int8Array(e.memory.buffer, gq.ptr, rows * K).slice();
  const scale = Float32Array.from({ length: rows }, (_, r) => gp.data[2 * r]);
  const zp = Int32Array.from({ length: rows }, (_, r) => new Int32Array(e.memory.buffer, gp.ptr, rows * 2)[2 * r + 1]);
  for (const g of [gx, gq, gp]) g.free();
  return { xq, scale, zp };
}

/** Packs w, b in INT8_DOT, checks the panels hold INT8's q and scales, returns them and the panels. */
function packBoth(e: KernelExports, w: Float32Array, b: Float32Array | null, K: number, N: number) {
  const bytes = e.packedBytes(K, N, INT8_DOT) >>> 0;
  const G = Math.ceil(K / 4);
  expect(bytes).toBe(Math.ceil(N / 8) * (HEAD + 32 * G));
  expect(e.packedBytes(K, 8, INT8_DOT) >>> 0).toBe(HEAD + 32 * G);
  const gw = new Guarded(e, N * K).set(w);
  const gb = b ? new Guarded(e, N).set(b) : null;
  const gp = new Guarded(e, bytes / 4);
  expect(e.pack(gw.ptr, gb ? gb.ptr : 0, gp.ptr, K, N, false, INT8_DOT)).toBe(-1);
  const g3 = new Guarded(e, (e.packedBytes(K, N, INT8) >>> 0) / 4);
  expect(e.pack(gw.ptr, gb ? gb.ptr : 0, g3.ptr, K, N, false, INT8)).toBe(-1);
  for (const g of [gw, gb, gp, g3]) if (g) expect(g.canariesIntact(), 'pack canaries').toBe(true);
  const mem = e.memory.buffer;
  const q = new Int8Array(N * K);
  const sw = new Float32Array(N);
  const bias = new Float32Array(N);
  const stride3 = 64 + 8 * K;
  const stride4 = HEAD + 32 * G;
  for (let c = 0; c < N; c++) {
    const [p, col] = [c >> 3, c & 7];
    const head4 = gp.ptr + p * stride4;
    const head3 = g3.ptr + p * stride3;
    sw[c] = new Float32Array(mem, head4 + 32, 8)[col];
    bias[c] = new Float32Array(mem, head4, 8)[col];
    expect(Object.is(sw[c], new Float32Array(mem, head3 + 32, 8)[col]), `scale of row ${c} as INT8's`).toBe(true);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      q[c * K + k] = new Int8Array(mem, head4 + HEAD + (k >> 2) * 32 + col * 4 + (k & 3), 1)[0];
      expect(q[c * K + k]).toBe(new Int8Array(mem, head3 + 64 + k * 8 + col, 1)[0]);
      sum += q[c * K + k];
    }
    expect(new Int32Array(mem, head4 + 64, 8)[col], `Σq of row ${c}`).toBe(sum);
  }
  for (const g of [gw, gb, g3]) g?.free();
  return { gp, q, sw, bias, bytes };
}

/** The documented epilogue on exact integer sums: pre-activation outputs [M, N]. */
function integerReference(qx: ReturnType<typeof quantize>, qw: { q: Int8Array; sw: Float32Array; bias: Float32Array }, M: number, K: number, N: number) {
  const y = new Float32Array(M * N);
  for (let r = 0; r < M; r++) {
    for (let c = 0; c < N; c++) {
      let acc = 0;
      let sq = 0;
      for (let k = 0; k < K; k++) {
        acc += qx.xq[r * K + k] * qw.q[c * K + k];
        sq += qw.q[c * K + k];
      }
      const corr = acc - qx.zp[r] * sq;
      expect(Math.abs(corr)).toBeLessThan(2 ** 31);
      y[r * N + c] = f(qw.bias[c] + f(f(qw.sw[c] * qx.scale[r]) * f(corr)));
    }
  }
  return y;
}

interface Run { act?: Act; residual?: Float32Array; misalign?: number }

/** linear(…, INT8_DOT) with canaries around x, packed, y, residual and the scratch. */
function linear(e: KernelExports, x: Float32Array, gp: Guarded, M: number, K: number, N: number, { act = 'identity', residual, misalign = 0 }: Run = {}) {
  const packed = gp.data.slice();
  const gx = new Guarded(e, M * K, misalign).set(x);
  const gy = new Guarded(e, M * N, misalign);
  const gr = residual ? new Guarded(e, M * N).set(residual) : null;
  const gs = new Guarded(e, Math.ceil((e.linearScratchBytes(K, INT8_DOT) >>> 0) / 4), misalign);
  e.linear(gx.ptr, gp.ptr, gy.ptr, M, K, N, ACT[act], SLOPE, gr ? gr.ptr : 0, gs.ptr, INT8_DOT);
  for (const g of [gx, gy, gr, gs, gp]) if (g) expect(g.canariesIntact(), 'canaries').toBe(true);
  expect(sameBits(gx.data, x), 'x is left as it was').toBe(true);
  expect(sameBits(gp.data, packed), 'packed is left as it was').toBe(true);
  if (gr) expect(sameBits(gr.data, residual!), 'residual is left as it was').toBe(true);
  const y = gy.data.slice();
  for (const g of [gx, gy, gr, gs]) g?.free();
  return y;
}

function expectBits(got: Float32Array, want: Float32Array, what: string) {
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) expect.fail(`${what}: output ${i} is ${got[i]}, the integer reference gives ${want[i]}`);
  }
}

/** Relaxed-dot probe in a module of our own: the four lanes of the probe dot.ts makes. */
async function probeHere(): Promise<number> {
  const a = [127, 127, 127, 127, -128, -128, 1, 2, 3, -4, 5, 6, -1, 0, 127, -128];
  const b = [-1, -1, -1, -1, -128, -56, 7, -1, 7, 8, 9, 10, -128, 127, -128, 1];
  const c = [1000, -7, 123456, -99999];
  const bytes = (v: number[], n: number) => Array.from(new Uint8Array(n === 1 ? Int8Array.from(v).buffer : Int32Array.from(v).buffer));
  const body = [0x00, 0x41, 0x00, 0xfd, 0x0c, ...bytes(a, 1), 0xfd, 0x0c, ...bytes(b, 1), 0xfd, 0x0c, ...bytes(c, 4), 0xfd, 0x93, 0x02, 0xfd, 0x0b, 0x04, 0x00, 0x0b];
  const wasm = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type () → ()
    0x03, 0x02, 0x01, 0x00, // one function
    0x05, 0x03, 0x01, 0x00, 0x01, // memory 1 page
    0x07, 0x09, 0x02, 0x01, 0x66, 0x00, 0x00, 0x01, 0x6d, 0x02, 0x00, // exports f, m
    0x0a, body.length + 2, 0x01, body.length, ...body,
  ]);
  if (!WebAssembly.validate(wasm)) return -1;
  const { instance: probe } = await WebAssembly.instantiate(wasm);
  (probe.exports.f as () => void)();
  const r = Array.from(new Int32Array((probe.exports.m as WebAssembly.Memory).buffer, 0, 4));
  const lanes = (mul: (p: number, i: number) => number, pairs: (s: number) => number) =>
    c.map((acc, j) => acc + pairs(mul(a[4 * j], b[4 * j]) + mul(a[4 * j + 1], b[4 * j + 1])) + pairs(mul(a[4 * j + 2], b[4 * j + 2]) + mul(a[4 * j + 3], b[4 * j + 3])));
  const same = (v: number[]) => v.every((x, i) => x === r[i]);
  if (same(lanes((p, i) => p * i, (s) => s))) return 1;
  if (same(lanes((p, i) => p * (i & 255), (s) => s))) return 2;
  if (same(lanes((p, i) => p * (i & 255), (s) => Math.max(-32768, Math.min(32767, s))))) return 3;
  return 4;
}

const BATCHES = [1, 2, 3, 4, 5, 13];
const INS = [1, 3, 4, 5, 17, 63, 1000];
const OUTS = [1, 7, 9, 33];

describe.each(BUILDS)('INT8_DOT GEMM (%s build)', (build) => {
  const exportsOf = async () => (await instance(build)).heap.exports;

  it('reports the probed mode, the K bound and the dtype code', async () => {
    const e = await exportsOf();
    expect(global(e, 'WeightDtype.INT8_DOT')).toBe(INT8_DOT);
    expect(global(e, 'INT8_DOT_MAX_K')).toBe(66311);
    const mode = global(e, 'DOT_MODE');
    if (build === 'simd') expect(mode).toBe(global(e, 'DotMode.NONE'));
    else expect(mode).toBe(await probeHere());
    expect([0, 1, 2, 3, 4]).toContain(mode);
  });

  it('matches the integer reference bit for bit on every awkward shape (identity, relu, leaky_relu; bias or none)', async () => {
    const e = await exportsOf();
    for (const K of INS) {
      for (const N of OUTS) {
        const next = random(K * 131 + N);
        const w = filled(N * K, next, 1 / Math.sqrt(K));
        const b = N % 2 ? filled(N, next) : null;
        const qw = packBoth(e, w, b, K, N);
        for (const M of BATCHES) {
          const x = filled(M * K, next, 2);
          const want = integerReference(quantize(e, x, M, K), qw, M, K, N);
          const act = (['identity', 'relu', 'leaky_relu'] as const)[(M + K + N) % 3];
          const y = linear(e, x, qw.gp, M, K, N, { act, misalign: (M + N) % 4 });
          expectBits(y, want.map((v) => apply(act, v)), `${M}×${K}→${N} ${act}`);
        }
        qw.gp.free();
      }
    }
  });

  it('adds a residual after the activation, and runs several chunks of rows (K = 8193: 28 rows a chunk)', async () => {
    const e = await exportsOf();
    for (const [M, K, N] of [[6, 40, 11], [61, 8193, 9], [130, 64, 17]]) {
      const next = random(M + K + N);
      const w = filled(N * K, next, 1 / Math.sqrt(K));
      const b = filled(N, next);
      const x = filled(M * K, next);
      const res = filled(M * N, next);
      const qw = packBoth(e, w, b, K, N);
      const pre = integerReference(quantize(e, x, M, K), qw, M, K, N);
      const y = linear(e, x, qw.gp, M, K, N, { act: 'leaky_relu', residual: res });
      expectBits(y, pre.map((v, i) => f(apply('leaky_relu', v) + res[i])), `${M}×${K}→${N} + residual`);
      qw.gp.free();
    }
  });

  it('runs the gated form: h = act(x·Gᵀ + b_g) ⊙ (x·Uᵀ + b_u)', async () => {
    const e = await exportsOf();
    for (const [M, K, hidden] of [[1, 5, 7], [3, 17, 9], [13, 63, 33]]) {
      const next = random(M * K + hidden);
      const [wg, wu] = [filled(hidden * K, next), filled(hidden * K, next)];
      const [bg, bu] = [filled(hidden, next), filled(hidden, next)];
      const x = filled(M * K, next);
      const g = packBoth(e, wg, bg, K, hidden);
      const u = packBoth(e, wu, bu, K, hidden);
      const gp = new Guarded(e, (g.bytes * 2) / 4);
      new Uint8Array(e.memory.buffer, gp.ptr, g.bytes * 2).set([...new Uint8Array(e.memory.buffer, g.gp.ptr, g.bytes), ...new Uint8Array(e.memory.buffer, u.gp.ptr, u.bytes)]);
      const width = 2 * 8 * Math.ceil(hidden / 8);
      const gx = new Guarded(e, M * K).set(x);
      const gy = new Guarded(e, M * width);
      const gh = new Guarded(e, M * hidden);
      const gs = new Guarded(e, Math.ceil((e.linearScratchBytes(K, INT8_DOT) >>> 0) / 4));
      e.gatedLinear(gx.ptr, gp.ptr, gy.ptr, gh.ptr, M, K, hidden, ACT.relu, 0, gs.ptr, INT8_DOT);
      for (const q of [gx, gy, gh, gs, gp]) expect(q.canariesIntact(), 'gated canaries').toBe(true);
      const qx = quantize(e, x, M, K);
      const [pg, pu] = [integerReference(qx, g, M, K, hidden), integerReference(qx, u, M, K, hidden)];
      expectBits(gh.data, pg.map((v, i) => f(apply('relu', v) * pu[i])), `gated ${M}×${K}→${hidden}`);
      for (const q of [gx, gy, gh, gs, gp, g.gp, u.gp]) q.free();
    }
  });

  it('gives a row the same bits in any batch, and the same bits as the other build', async () => {
    const e = await exportsOf();
    const other = (await instance(build === 'simd' ? 'relaxed' : 'simd')).heap.exports;
    const [M, K, N] = [13, 300, 19];
    const next = random(7);
    const w = filled(N * K, next);
    const b = filled(N, next);
    const x = filled(M * K, next);
    const qw = packBoth(e, w, b, K, N);
    const all = linear(e, x, qw.gp, M, K, N);
    for (const m of [0, 4, 11, 12]) expect(sameBits(linear(e, x.subarray(m * K, (m + 1) * K), qw.gp, 1, K, N), all.subarray(m * N, (m + 1) * N)), `row ${m}`).toBe(true);
    const qo = packBoth(other, w, b, K, N);
    expect(sameBits(linear(other, x, qo.gp, M, K, N), all), 'simd and relaxed agree').toBe(true);
    qw.gp.free();
    qo.gp.free();
  });

  it('handles zero and constant rows of x, zero weight rows, and rows that are not finite', async () => {
    const e = await exportsOf();
    const [M, K, N] = [6, 21, 10];
    const next = random(99);
    const w = filled(N * K, next);
    w.fill(0, 3 * K, 4 * K); // output 3: a zero weight row (scale 0)
    const b = filled(N, next);
    const x = filled(M * K, next);
    x.fill(0, 0, K); // row 0: zeros → exactly the bias
    x.fill(0.75, K, 2 * K); // row 1: constant
    x.fill(-3, 2 * K, 3 * K); // row 2: constant negative
    x[3 * K + 5] = NaN; // row 3: NaN → all NaN
    x[4 * K + 20] = -Infinity; // row 4: −∞ → all NaN
    x.fill(1e-45, 5 * K, 6 * K); // row 5: subnormals so small the scale is 0 → the bias
    const qw = packBoth(e, w, b, K, N);
    const qx = quantize(e, x, M, K);
    expect(Array.from(qx.xq.subarray(0, K))).toEqual(new Array(K).fill(0));
    expect([qx.scale[0], qx.zp[0]]).toEqual([0, 0]);
    expect(Array.from(qx.xq.subarray(K, 2 * K))).toEqual(new Array(K).fill(127));
    expect(qx.zp[1]).toBe(-128);
    expect(Array.from(qx.xq.subarray(2 * K, 3 * K))).toEqual(new Array(K).fill(-128));
    expect(qx.zp[2]).toBe(127);
    for (const r of [3, 4]) {
      expect(Number.isNaN(qx.scale[r]) && qx.zp[r] === 0 && qx.xq.subarray(r * K, (r + 1) * K).every((v) => v === 0)).toBe(true);
    }
    expect([qx.scale[5], qx.zp[5]]).toEqual([0, 0]);
    const y = linear(e, x, qw.gp, M, K, N);
    for (let c = 0; c < N; c++) {
      expect(Object.is(y[c], b[c]), `zero row, column ${c}`).toBe(true);
      expect(Object.is(y[5 * N + c], b[c]), `subnormal row, column ${c}`).toBe(true);
      expect(Number.isNaN(y[3 * N + c]) && Number.isNaN(y[4 * N + c]), `non-finite rows, column ${c}`).toBe(true);
      for (const r of [0, 1, 2, 5]) expect(Object.is(y[r * N + 3], b[3]), `zero weight row, x row ${r}`).toBe(true);
    }
    const finite = integerReference(qx, qw, M, K, N);
    for (const r of [1, 2]) expectBits(y.subarray(r * N, (r + 1) * N), finite.subarray(r * N, (r + 1) * N), `constant row ${r}`);
    qw.gp.free();
  });

  it('stays exact at K = MAX_K with the largest sums, and refuses K = MAX_K + 1', async () => {
    const e = await exportsOf();
    const K = 66311;
    const x = new Float32Array(K).fill(1); // xq = 127, zp = −128
    const w = new Float32Array(2 * K).fill(-1).fill(0.5, K); // q = −127, 127
    const qw = packBoth(e, w, new Float32Array([0.25, -0.5]), K, 2);
    const qx = quantize(e, x, 1, K);
    expect([qx.zp[0], qx.xq[0], qw.q[0], qw.q[K]]).toEqual([-128, 127, -127, 127]);
    const y = linear(e, x, qw.gp, 1, K, 2);
    expectBits(y, integerReference(qx, qw, 1, K, 2), 'K = MAX_K');
    expect(Math.abs(y[0] + K)).toBeLessThan(1);
    qw.gp.free();
    expect(e.packedBytes(K + 1, 8, INT8_DOT) >>> 0).toBe(0);
    const gx = new Guarded(e, K + 1).set(new Float32Array(K + 1));
    const gy = new Guarded(e, 3);
    const gs = new Guarded(e, Math.ceil((e.linearScratchBytes(K + 1, INT8_DOT) >>> 0) / 4));
    e.linear(gx.ptr, 0, gy.ptr, 1, K + 1, 3, 0, 0, 0, gs.ptr, INT8_DOT);
    expect(Array.from(gy.data).every(Number.isNaN) && gy.canariesIntact() && gs.canariesIntact()).toBe(true);
    for (const g of [gx, gy, gs]) g.free();
  });

  it('returns the index of a non-finite weight as INT8 does, and quantizeRows writes no byte past its rows', async () => {
    const e = await exportsOf();
    const [K, N] = [9, 11];
    for (const transposed of [false, true]) {
      const w = filled(N * K, random(5));
      w[7 * K + 4] = Infinity;
      const gw = new Guarded(e, N * K).set(w);
      const g4 = new Guarded(e, (e.packedBytes(K, N, INT8_DOT) >>> 0) / 4);
      const g3 = new Guarded(e, (e.packedBytes(K, N, INT8) >>> 0) / 4);
      const want = e.pack(gw.ptr, 0, g3.ptr, K, N, transposed, INT8);
      expect(want).toBeGreaterThanOrEqual(0);
      expect(e.pack(gw.ptr, 0, g4.ptr, K, N, transposed, INT8_DOT)).toBe(want);
      expect(g4.canariesIntact()).toBe(true);
      for (const g of [gw, g4, g3]) g.free();
    }
    // 3 rows of 5: 15 bytes, the 16th (in the canary word) untouched
    const gx = new Guarded(e, 15).set(filled(15, random(3)));
    const gq = new Guarded(e, 4, 0, 0);
    new Uint8Array(e.memory.buffer, gq.ptr, 16).fill(0xa5);
    const gp = new Guarded(e, 6);
    (e as Raw as unknown as { quantizeRows: (...a: number[]) => void }).quantizeRows(gx.ptr, 3, 5, gq.ptr, gp.ptr);
    expect(new Uint8Array(e.memory.buffer, gq.ptr, 16)[15]).toBe(0xa5);
    expect(gx.canariesIntact() && gq.canariesIntact() && gp.canariesIntact()).toBe(true);
    for (const g of [gx, gq, gp]) g.free();
  });
});
