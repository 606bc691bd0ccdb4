// Linear, Sequential and FeedForward against a float64 matmul computed here.
import { describe, expect, it } from 'vitest';
import { BUILDS, instance } from './builds.js';
import { type Act, filled, random, reference } from './matmul.js';

function worst(got: Float32Array, ref: { y: Float64Array; bound: Float64Array }) {
  let ratio = 0;
  let at = -1;
  for (let i = 0; i < got.length; i++) {
    const r = Math.abs(got[i] - ref.y[i]) / ref.bound[i];
    if (!(r <= ratio)) [ratio, at] = [r, i];
  }
  return { ratio, at, got: got[at], want: ref.y[at] };
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 7], [1, 512, 2048], [2, 9, 17], [8, 512, 2048], [13, 771, 37], [5, 64, 3079], [4096, 3, 5], [7, 8, 8],
];

describe.each(BUILDS)('linear (%s build)', (build) => {
  it.each(SHAPES)('matches a float64 matmul within the float32 error bound: batch %i, %i → %i', async (batch, K, N) => {
    const f = await instance(build);
    const next = random(batch * 7919 + K * 31 + N);
    const x = filled(batch * K, next);
    const w = filled(N * K, next, 1 / Math.sqrt(K));
    const b = filled(N, next, 0.5);
    for (const [act, bias] of [['identity', b], ['relu', null], ['leaky_relu', b]] as [Act, Float32Array | null][]) {
      const layer = f.linear({ weight: w, bias, inFeatures: K, outFeatures: N, activation: act });
      const y = layer.forward(x, batch);
      expect(y.length).toBe(batch * N);
      const w0 = worst(y, reference(x, w, bias, batch, K, N, act));
      expect(w0.ratio, `${act}: at ${w0.at} got ${w0.got}, want ${w0.want}`).toBeLessThanOrEqual(1);
      layer.free();
    }
  });

  it('never writes outside its output and leaves its input alone', async () => {
    const f = await instance(build);
    const [batch, K, N] = [3, 13, 11];
    const next = random(5);
    const layer = f.linear({ weight: filled(N * K, next), bias: filled(N, next), inFeatures: K, outFeatures: N });
    const x = f.tensor(batch * K + 32);
    const y = f.tensor(batch * N + 32);
    x.data.set(filled(x.length, next));
    y.data.fill(12345);
    const xBefore = x.data.slice();
    // Operate on the middle of each block, with 16 canary floats on either side.
    layer.run(x.ptr + 64, y.ptr + 64, batch);
    expect(Array.from(x.data)).toEqual(Array.from(xBefore));
    expect(y.data.subarray(0, 16).every((v) => v === 12345)).toBe(true);
    expect(y.data.subarray(16 + batch * N).every((v) => v === 12345)).toBe(true);
    expect(y.data.subarray(16, 16 + batch * N).some((v) => v === 12345)).toBe(false);
    for (const t of [x, y]) t.free();
    layer.free();
  });

  it('supports every call form and reports its size', async () => {
    const f = await instance(build);
    const weight = [1, 2, 3, 4, 5, 6]; // [2, 3]
    const layer = f.linear({ weight, bias: [0.5, -0.5], inFeatures: 3, outFeatures: 2 });
    expect(layer.parameters).toBe(8);
    expect(layer.bytes).toBeGreaterThanOrEqual(8 * 4);
    const x = f.tensor([1, 0, -1, 2, 2, 2]);
    const want = [1 - 3 + 0.5, 4 - 6 - 0.5, 12 + 0.5, 30 - 0.5];
    expect(Array.from(layer.forward(x, 2).data)).toEqual(want);
    const out = f.tensor(4);
    expect(layer.forward(x, 2, out)).toBe(out);
    expect(Array.from(out.data)).toEqual(want);
    expect(Array.from(layer.forward(new Float32Array([1, 0, -1, 2, 2, 2]), 2))).toEqual(want);
    const fromTensor = f.linear({ weight: f.tensor(weight), inFeatures: 3, outFeatures: 2, activation: 'relu' });
    expect(Array.from(fromTensor.forward(x, 2).data)).toEqual([0, 0, 12, 30]);
    layer.free();
    layer.free();
    expect(() => layer.forward(x, 2)).toThrow(/layer was freed/);
  });

  it('rejects bad options and inputs with errors that name them', async () => {
    const f = await instance(build);
    const ok = { weight: new Float32Array(6), inFeatures: 3, outFeatures: 2 };
    expect(() => f.linear({ ...ok, weight: new Float32Array(5) })).toThrow(/linear: weight has length 5, expected 6 \(outFeatures · inFeatures\)/);
    expect(() => f.linear({ ...ok, bias: [1, 2, 3] })).toThrow(/linear: bias has length 3, expected 2 \(outFeatures\)/);
    expect(() => f.linear({ ...ok, weight: 'w' as never })).toThrow(/weight must be a Tensor, a Float32Array or an array of numbers, got string/);
    expect(() => f.linear({ ...ok, inFeatures: 0 })).toThrow(/inFeatures must be between 1 and/);
    expect(() => f.linear({ ...ok, outFeatures: 2.5 })).toThrow(/outFeatures must be an integer/);
    expect(() => f.linear({ ...ok, activation: 'mish' as never })).toThrow(/activation must be one of 'identity', 'relu'/);
    // a detached array reads as length 0: say what it is, not that its length is wrong
    const detached = new Float32Array(6);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(() => f.linear({ ...ok, weight: detached })).toThrow(TypeError);
    expect(() => f.linear({ ...ok, weight: detached })).toThrow(/linear: weight is a Float32Array whose ArrayBuffer is detached/);
    expect(() => f.linear({ ...ok, bias: detached })).toThrow(/linear: bias is a Float32Array whose ArrayBuffer is detached/);
    expect(() => f.layerNorm(new Float32Array(6), 6, { weight: detached })).toThrow(/layerNorm: weight is a Float32Array whose ArrayBuffer is detached/);
    const layer = f.linear(ok);
    expect(() => layer.forward(new Float32Array(7), 2)).toThrow(/Linear\.forward: x has length 7, expected 6 \(batch · inFeatures\)/);
    expect(() => layer.forward(new Float32Array(6), 0)).toThrow(/batch must be between 1/);
    expect(() => layer.forward(new Float32Array(6), 2, new Float32Array(3))).toThrow(/out has length 3, expected 4 \(batch · outFeatures\)/);
    layer.free();
  });
});

describe.each(BUILDS)('sequential and feedForward (%s build)', (build) => {
  it('chains layers exactly as separate Linear calls would, with shapes checked when built', async () => {
    const f = await instance(build);
    const next = random(99);
    const specs = [
      { inFeatures: 10, units: 33, activation: 'relu' as const, weight: filled(330, next), bias: filled(33, next) },
      { units: 7, activation: 'leaky_relu' as const, slope: 0.2, weight: filled(231, next) },
      { units: 5, weight: filled(35, next), bias: filled(5, next) },
    ];
    const model = f.sequential(specs);
    expect([model.inFeatures, model.outFeatures, model.parameters]).toEqual([10, 5, 330 + 33 + 231 + 35 + 5]);
    const x = filled(6 * 10, next);
    const y = model.forward(x, 6);
    const parts = [
      f.linear({ ...specs[0], inFeatures: 10, outFeatures: 33 }),
      f.linear({ ...specs[1], inFeatures: 33, outFeatures: 7 }),
      f.linear({ ...specs[2], inFeatures: 7, outFeatures: 5 }),
    ];
    const chained = parts.reduce((h, layer) => layer.forward(h, 6), x);
    expect(Array.from(y)).toEqual(Array.from(chained));
    // A larger batch after a smaller one grows the workspace.
    const x2 = filled(50 * 10, next);
    expect(Array.from(model.forward(x2, 50))).toEqual(Array.from(parts.reduce((h, layer) => layer.forward(h, 50), x2)));
    model.free();

    expect(() => f.sequential([{ inFeatures: 4, units: 3, weight: new Float32Array(12) }, { inFeatures: 5, units: 2, weight: new Float32Array(10) }]))
      .toThrow(/sequential: layer 1 has inFeatures 5, but layer 0 has outFeatures 3/);
    expect(() => f.sequential([{ units: 3, weight: new Float32Array(12) }])).toThrow(/the first layer needs inFeatures/);
    expect(() => f.sequential([])).toThrow(/layers must be a non-empty array/);
  });

  it('feedForward = fc2(activation(fc1(x)))', async () => {
    const f = await instance(build);
    const next = random(3);
    const [d, h, batch] = [12, 20, 3];
    const fc1 = { weight: filled(h * d, next), bias: filled(h, next), inFeatures: d, outFeatures: h };
    const fc2 = { weight: filled(d * h, next), bias: filled(d, next), inFeatures: h, outFeatures: d };
    const block = f.feedForward({ fc1, fc2, activation: 'relu' });
    const x = filled(batch * d, next);
    const hidden = f.linear({ ...fc1, activation: 'relu' }).forward(x, batch);
    expect(Array.from(block.forward(x, batch))).toEqual(Array.from(f.linear(fc2).forward(hidden, batch)));
    expect(block.fc1.activation).toBe('relu');
    expect(() => f.feedForward({ fc1, fc2: { ...fc2, inFeatures: 21, weight: new Float32Array(21 * d) } }))
      .toThrow(/feedForward: fc2.inFeatures is 21, but the hidden layer has 20 features/);
  });
});
