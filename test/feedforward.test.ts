// The feedforward sublayer's building blocks: the gated GEMM against separate GEMMs, Conv1D's [in, out]
// weights against their transpose, the residual epilogue, every wiring against the same steps done one
// by one with ffwd's own kernels (so each comparison is bit for bit), in-place calls, and every error.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../src/index.node.js';
import { BUILDS, instance } from './builds.js';
import { filled, random } from './matmul.js';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

/** A [rows, cols] matrix transposed to [cols, rows]. */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

// hidden sizes across the panel edge (8) and the leftover tiles; batches over strips and leftovers
// (70 × 3000: two chunks of strips and two K blocks, so gating waits for the last K block)
const SHAPES: [batch: number, width: number, hidden: number][] = [[1, 1, 1], [3, 5, 7], [5, 24, 9], [9, 72, 200], [4, 33, 64], [13, 16, 17], [70, 3000, 20]];

describe.each(BUILDS)('feedForward building blocks (%s build)', (build) => {
  const get = () => instance(build);

  it.each(SHAPES)('gated: batch %i, %i → %i is act(gate) ⊙ up of two Linears, bit for bit (silu, gelu_tanh, gelu, relu)', async (batch, d, h) => {
    const f = await get();
    const next = random(batch * 31 + d * 7 + h);
    const gate = { weight: filled(h * d, next), bias: filled(h, next), inFeatures: d, outFeatures: h };
    const up = { weight: filled(h * d, next), bias: filled(h, next), inFeatures: d, outFeatures: h };
    const down = { weight: filled(d * h, next), inFeatures: h, outFeatures: d };
    const x = filled(batch * d, next, 3);
    const methods = { silu: 'silu', gelu_tanh: 'geluTanh', gelu: 'gelu', relu: 'relu' } as const;
    for (const [activation, method] of Object.entries(methods) as [keyof typeof methods, (typeof methods)[keyof typeof methods]][]) {
      // the epilogue activates the gate row by row, as here (gelu_tanh's fast path is chosen per group of vectors)
      const g = f.linear(gate).forward(x, batch);
      for (let r = 0; r < batch; r++) f[method](g.subarray(r * h, (r + 1) * h), g.subarray(r * h, (r + 1) * h));
      const u = f.linear(up).forward(x, batch);
      const product = Float32Array.from(g, (v, i) => Math.fround(v * u[i]));
      const want = f.linear(down).forward(product, batch);
      const block = f.feedForward({ gate, up, down, activation });
      expect(block.gated).toBe(true);
      expect(bits(block.forward(x, batch)), activation).toEqual(bits(want));
      // Phi-3's merged gate_up_proj: gate rows first
      const gateUp = { weight: Float32Array.of(...gate.weight, ...up.weight), bias: Float32Array.of(...gate.bias, ...up.bias), inFeatures: d, outFeatures: 2 * h };
      const merged = f.feedForward({ gateUp, down, activation });
      expect(bits(merged.forward(x, batch)), `${activation}, gateUp`).toEqual(bits(want));
      block.free();
      merged.free();
    }
  });

  it('gated activations run at their elementwise kernels\' accuracy: within 4 ulp of the elementwise kernel on each row', async () => {
    // (the epilogue calls the same kernels row by row; rows grouped differently may take another path)
    const f = await get();
    const [batch, d, h] = [6, 40, 100];
    const next = random(99);
    const eye = Float32Array.from({ length: h * h }, (_, i) => (i % (h + 1) === 0 ? 1 : 0));
    const gate = { weight: filled(h * d, next, 2), inFeatures: d, outFeatures: h };
    const x = filled(batch * d, next, 2);
    for (const activation of ['gelu', 'gelu_tanh', 'silu', 'quick_gelu', 'gelu_10'] as const) {
      const pre = f.linear(gate).forward(x, batch);
      const act = f.linear({ weight: [1], inFeatures: 1, outFeatures: 1, activation }).forward(pre, pre.length);
      const ones = { weight: new Float32Array(h * d), bias: new Float32Array(h).fill(1), inFeatures: d, outFeatures: h };
      const block = f.feedForward({ gate, up: ones, down: { weight: eye, inFeatures: h, outFeatures: h }, activation });
      const got = block.forward(x, batch);
      for (let i = 0; i < got.length; i++) {
        const ulp = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(act[i]) || 2 ** -126)), -126) - 23);
        expect(Math.abs(got[i] - act[i]) / ulp, `${activation} at ${i}`).toBeLessThanOrEqual(4);
      }
      block.free();
    }
  });

  it("layout 'in_out' (GPT-2's Conv1D) packs [in, out] as it is: the same bits as nn.Linear's [out, in]", async () => {
    const f = await get();
    for (const [batch, d, h] of SHAPES) {
      const next = random(d + h);
      const w1 = filled(h * d, next);
      const w2 = filled(d * h, next);
      const b1 = filled(h, next);
      const x = filled(batch * d, next);
      const plain = f.feedForward({ fc1: { weight: w1, bias: b1, inFeatures: d, outFeatures: h }, fc2: { weight: w2, inFeatures: h, outFeatures: d } });
      const conv = f.feedForward({
        fc1: { weight: transpose(w1, h, d), bias: b1, inFeatures: d, outFeatures: h, layout: 'in_out' },
        fc2: { weight: transpose(w2, d, h), inFeatures: h, outFeatures: d, layout: 'in_out' },
      });
      expect(bits(conv.forward(x, batch))).toEqual(bits(plain.forward(x, batch)));
      expect(conv.fc1!.layout).toBe('in_out');
      plain.free();
      conv.free();
    }
  });

  // (70 × 16 → 3000: the residual is added after the down projection's last K block)
  it.each([
    ['pre_norm', 7, 24, 40], ['post_norm', 7, 24, 40], ['sandwich', 7, 24, 40], ['pre_norm', 70, 16, 3000], ['post_norm', 70, 16, 3000],
  ] as const)('wiring %s (batch %i, %i → %i) is the family\'s composition of norm, MLP and residual, bit for bit, also in place', async (wiring, batch, d, h) => {
    const f = await get();
    const next = random(7);
    const fc1 = { weight: filled(h * d, next), bias: filled(h, next), inFeatures: d, outFeatures: h };
    const fc2 = { weight: filled(d * h, next), bias: filled(d, next), inFeatures: h, outFeatures: d };
    const norm = { kind: 'layer' as const, weight: filled(d, next), bias: filled(d, next), eps: 1e-5 };
    const postNorm = { kind: 'rms' as const, weight: filled(d, next), eps: 1e-6, offset: 1 as const };
    const x = filled(batch * d, next, 2);
    const mlp = f.feedForward({ fc1, fc2 });
    const add = (a: Float32Array, b: Float32Array) => Float32Array.from(a, (v, i) => Math.fround(v + b[i]));
    const layerNorm = (v: Float32Array) => f.layerNorm(v, d, norm);
    const want = wiring === 'pre_norm' ? add(mlp.forward(layerNorm(x), batch), x)
      : wiring === 'post_norm' ? layerNorm(add(mlp.forward(x, batch), x))
        : add(f.rmsNorm(mlp.forward(layerNorm(x), batch), d, postNorm), x);
    const block = f.feedForward({ fc1, fc2, wiring, norm, ...(wiring === 'sandwich' ? { postNorm } : {}) });
    expect(bits(block.forward(x, batch))).toEqual(bits(want));
    const t: Tensor = f.tensor(x);
    block.forward(t, batch, t); // in place: the residual must be read before y overwrites it
    expect(bits(t.data)).toEqual(bits(want));
    expect(block.bytes).toBeGreaterThan(mlp.bytes);
    t.free();
    block.free();
    mlp.free();
  });

  it('frees everything it allocated, and a freed block refuses to run', async () => {
    const f = await get();
    const held = f.heap.exports.heapSize();
    const block = f.feedForward({
      gate: { weight: [1, 2], inFeatures: 1, outFeatures: 2 }, up: { weight: [3, 4], inFeatures: 1, outFeatures: 2 },
      down: { weight: [1, 1], inFeatures: 2, outFeatures: 1 }, wiring: 'pre_norm', norm: { kind: 'rms', weight: [2] },
    });
    block.forward(new Float32Array(64), 64);
    block.free();
    expect(f.heap.exports.heapSize()).toBe(held);
    expect(() => block.forward(new Float32Array(1), 1)).toThrow(/freed/);
  });

  it('rejects bad options with errors that name them', async () => {
    const f = await get();
    const fc1 = { weight: new Float32Array(6), inFeatures: 2, outFeatures: 3 };
    const fc2 = { weight: new Float32Array(6), inFeatures: 3, outFeatures: 2 };
    const gate = fc1;
    const up = fc1;
    const down = fc2;
    const norm = { kind: 'layer' as const };
    const cases: [unknown, RegExp][] = [
      [null, /feedForward: options must be an object, got null/],
      [{ fc1 }, /fc2 is missing/],
      [{ fc2 }, /fc1 is missing/],
      [{ gate, up }, /down is missing/],
      [{ fc1, fc2, gate }, /not a mix/],
      [{ gate, down }, /up must be an object, got undefined/],
      [{ gate, up: { ...up, outFeatures: 4, weight: new Float32Array(8) }, down }, /up is \[4, 2\] but gate is \[3, 2\]/],
      [{ gateUp: { weight: new Float32Array(6), inFeatures: 2, outFeatures: 3 }, down }, /gateUp.outFeatures must be even/],
      [{ gateUp: { weight: new Float32Array(12), inFeatures: 2, outFeatures: 6, layout: 'in_out' }, down }, /gateUp must have layout 'out_in'/],
      [{ gate, up, down, activation: 'identity' }, /a gated MLP needs an activation/],
      [{ fc1, fc2, activation: 'gelu_fastest' }, /activation must be one of/],
      [{ fc1: { ...fc1, layout: 'transposed' }, fc2 }, /layout must be 'out_in'.*got string "transposed"/],
      [{ fc1, fc2: { ...fc2, inFeatures: 4, weight: new Float32Array(8) } }, /fc2.inFeatures is 4, but the hidden layer has 3 features/],
      [{ fc1, fc2, wiring: 'parallel' }, /wiring must be one of 'mlp', 'pre_norm', 'post_norm', 'sandwich'/],
      [{ fc1, fc2, wiring: 'pre_norm' }, /wiring 'pre_norm' needs a norm/],
      [{ fc1, fc2, norm }, /a norm needs a wiring/],
      [{ fc1, fc2, wiring: 'sandwich', norm }, /wiring 'sandwich' needs a postNorm/],
      [{ fc1, fc2, wiring: 'pre_norm', norm, postNorm: norm }, /postNorm is for wiring 'sandwich' only/],
      [{ fc1, fc2, wiring: 'pre_norm', norm: { kind: 'batch' } }, /norm: kind must be 'layer' or 'rms'/],
      [{ fc1, fc2, wiring: 'pre_norm', norm: { kind: 'layer', weight: [1, 2, 3] } }, /weight has length 3, expected 2/],
      [{ fc1, fc2: { weight: new Float32Array(9), inFeatures: 3, outFeatures: 3 }, wiring: 'pre_norm', norm }, /a residual needs fc2.outFeatures \(3\) = the input's features \(2\)/],
    ];
    const held = f.heap.exports.heapSize();
    for (const [options, message] of cases) {
      let error: unknown;
      try { f.feedForward(options as never); } catch (e) { error = e; }
      expect(error, String(message)).toBeInstanceOf(Error);
      expect(error instanceof TypeError || error instanceof RangeError, String(message)).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect(f.heap.exports.heapSize(), `${message}: nothing left allocated`).toBe(held);
    }
  });
});
