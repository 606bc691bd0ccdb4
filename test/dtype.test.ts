// 16-bit weights kept 16-bit in the panels: a layer with dtype 'bf16' or 'f16' must give the very bits
// of the 'f32' layer built from the same weights rounded to that format (rounded here, in float64,
// independently of the kernels), on every tile, edge and K block, both builds; plus float16's
// subnormals and −0, its overflow error, the PyTorch BF16 / F16 checkpoints kept in their dtype, and the
// memory they save.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILDS, instance } from './builds.js';
import { filled, random } from './matmul.js';
import { bytesOf, writeSafetensors } from './safetensors-writer.js';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

/** Round to nearest, ties to even, on a grid of `ulp` (exact in float64 for these magnitudes). */
function roundToGrid(x: number, ulp: number): number {
  const q = x / ulp;
  const floor = Math.floor(q);
  const rest = q - floor;
  const n = rest > 0.5 || (rest === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return n * ulp || (x < 0 || Object.is(x, -0) ? -0 : 0);
}

/** bfloat16 keeps 8 significant bits; float16 11, with exponents down to −14 (then subnormal steps of 2^−24). */
const ROUND = {
  bf16: (x: number) => (x === 0 ? x : roundToGrid(x, 2 ** (Math.floor(Math.log2(Math.abs(x))) - 7))),
  f16: (x: number) => (x === 0 ? x : roundToGrid(x, 2 ** (Math.max(Math.floor(Math.log2(Math.abs(x))), -14) - 10))),
} as const;
const rounded = (w: Float32Array, dtype: keyof typeof ROUND) => Float32Array.from(w, ROUND[dtype]);

// tiles, leftover rows, edge panels, several chunks of strips and K blocks (3000: two K blocks at 70 rows)
const SHAPES: [batch: number, inF: number, outF: number][] = [
  [1, 1, 1], [2, 5, 7], [3, 9, 17], [4, 8, 8], [5, 33, 49], [9, 100, 41], [1, 64, 100], [70, 3000, 20], [13, 16, 300],
];

describe.each(BUILDS)('16-bit weights (%s build)', (build) => {
  const get = () => instance(build);

  describe.each(['bf16', 'f16'] as const)('%s', (dtype) => {
    it.each(SHAPES)('Linear batch %i, %i → %i: the bits of the f32 layer of the rounded weights (bias, gelu, both layouts)', async (batch, inF, outF) => {
      const f = await get();
      const next = random(batch * 7 + inF * 131 + outF);
      const weight = filled(inF * outF, next, 1 / Math.sqrt(inF));
      const bias = filled(outF, next);
      const x = filled(batch * inF, next, 2);
      for (const layout of ['out_in', 'in_out'] as const) {
        const spec = { weight, bias, inFeatures: inF, outFeatures: outF, activation: 'gelu' as const, layout };
        const half = f.linear({ ...spec, dtype });
        const exact = f.linear({ ...spec, weight: rounded(weight, dtype) });
        expect(half.dtype).toBe(dtype);
        expect(bits(half.forward(x, batch)), layout).toEqual(bits(exact.forward(x, batch)));
        half.free();
        exact.free();
      }
    });

    it('a gated MLP (gate and up in one GEMM) and its down projection: the bits of the rounded f32 block', async () => {
      const f = await get();
      const [batch, d, h] = [6, 40, 90];
      const next = random(5);
      const [g, u, w] = [filled(h * d, next), filled(h * d, next), filled(d * h, next)];
      const make = (dt: 'f32' | typeof dtype, round: (a: Float32Array) => Float32Array) => f.feedForward({
        gate: { weight: round(g), inFeatures: d, outFeatures: h }, up: { weight: round(u), inFeatures: d, outFeatures: h },
        down: { weight: round(w), inFeatures: h, outFeatures: d }, dtype: dt,
      });
      const half = make(dtype, (a) => a);
      const exact = make('f32', (a) => rounded(a, dtype));
      const x = filled(batch * d, next);
      expect(bits(half.forward(x, batch))).toEqual(bits(exact.forward(x, batch)));
      const panels = (b: typeof half) => b.first.storage.bytes + b.down.storage.bytes;
      expect(panels(half) / panels(exact)).toBeLessThanOrEqual(0.52);
      half.free();
      exact.free();
    });

    it('save() and ffwd.load() keep the panels in their dtype', async () => {
      const f = await get();
      const next = random(77);
      const layer = f.linear({ weight: filled(300, next), inFeatures: 20, outFeatures: 15, dtype });
      const loaded = f.load(layer.save());
      const x = filled(60, next);
      expect((loaded as typeof layer).dtype).toBe(dtype);
      expect(bits((loaded as typeof layer).forward(x, 3))).toEqual(bits(layer.forward(x, 3)));
      layer.free();
      loaded.free();
    });
  });

  it("every layer reports its dtype: a FeedForward's and a Sequential's is their projections' or 'mixed'", async () => {
    const f = await get();
    const next = random(21);
    const projection = (inFeatures: number, outFeatures: number) => ({ weight: filled(inFeatures * outFeatures, next), inFeatures, outFeatures });
    for (const dtype of ['f32', 'bf16', 'f16', 'int8'] as const) {
      const plain = f.feedForward({ fc1: projection(4, 6), fc2: projection(6, 4), dtype });
      const gated = f.feedForward({ gate: projection(4, 6), up: projection(4, 6), down: projection(6, 4), dtype });
      const stack = f.sequential([{ ...projection(4, 6), dtype }, { ...projection(6, 3), dtype }]);
      for (const layer of [plain, gated, stack]) {
        expect(layer.dtype, `${layer.constructor.name} ${dtype}`).toBe(dtype);
        expect((f.load(layer.save()) as typeof layer).dtype).toBe(dtype);
        layer.free();
      }
    }
    const mixed = f.feedForward({ fc1: { ...projection(4, 6), dtype: 'bf16' }, fc2: projection(6, 4) });
    const stack = f.sequential([{ ...projection(4, 6), dtype: 'f16' }, { ...projection(6, 3) }]);
    expect([mixed.dtype, stack.dtype]).toEqual(['mixed', 'mixed']);
    mixed.free();
    stack.free();
  });

  it('a file that mixes dtypes keeps each GEMM in its own: no weight is rounded to another projection\'s dtype', async () => {
    const f = await get();
    const [d, h, batch] = [6, 10, 3];
    const next = random(31);
    // values of 8 significant bits at most: bfloat16 and float16 hold them exactly (float16: below 2^15)
    const exact = (n: number, scale: number) => Float32Array.from(filled(n, next), (v) => Math.round(v * 64) / 64 * scale);
    const half = (a: Float32Array) => bytesOf(Uint16Array.from(new Uint32Array(a.slice().buffer), (u) => u >>> 16)); // bfloat16: the upper half
    const f16 = (a: Float32Array) => bytesOf(Uint16Array.from(a, (v) => { // float16 of a value it holds exactly (normal, or 0)
      if (v === 0) return 0;
      const e = Math.floor(Math.log2(Math.abs(v)));
      return (v < 0 ? 0x8000 : 0) | ((e + 15) << 10) | ((Math.abs(v) / 2 ** e - 1) * 1024);
    }));
    const w1 = exact(h * d, 1);
    const w2 = Float32Array.from(filled(d * h, next)); // float32 that neither 16-bit format holds
    const big = exact(d * h, 2 ** 20); // bfloat16 holds it, float16 cannot (above 65504)
    const x = filled(batch * d, next);
    const f32Block = (second: Float32Array) => f.feedForward({ fc1: { weight: w1, inFeatures: d, outFeatures: h }, fc2: { weight: second, inFeatures: h, outFeatures: d } });
    for (const [file, second, dtypes] of [
      [writeSafetensors({ 'fc1.weight': { dtype: 'BF16', shape: [h, d], data: half(w1) }, 'fc2.weight': { dtype: 'F32', shape: [d, h], data: bytesOf(w2) } }), w2, ['bf16', 'f32']],
      [writeSafetensors({ 'fc1.weight': { dtype: 'F16', shape: [h, d], data: f16(w1) }, 'fc2.weight': { dtype: 'BF16', shape: [d, h], data: half(big) } }), big, ['f16', 'bf16']],
    ] as const) {
      const block = f.feedForward.fromSafetensors(file, { fc1: 'fc1', fc2: 'fc2' });
      expect([block.first.dtype, block.down.dtype]).toEqual(dtypes);
      expect(block.dtype).toBe('mixed');
      expect(bits(block.forward(x, batch))).toEqual(bits(f32Block(second).forward(x, batch)));
      block.free();
    }
    // gate and up share their panels: stored differently, they take f32, which holds both
    const gated = f.feedForward.fromSafetensors(writeSafetensors({
      'g.weight': { dtype: 'BF16', shape: [h, d], data: half(w1) }, 'u.weight': { dtype: 'F32', shape: [h, d], data: bytesOf(w2.subarray(0, h * d)) },
      'o.weight': { dtype: 'BF16', shape: [d, h], data: half(w1) },
    }), { gate: 'g', up: 'u', down: 'o' });
    expect([gated.first.dtype, gated.down.dtype]).toEqual(['f32', 'bf16']);
    gated.free();
  });

  it('float16 panels hold subnormal and −0 weights exactly', async () => {
    const f = await get();
    const tiny = [2 ** -24, -(2 ** -24), 3 * 2 ** -20, -(2 ** -15), 2 ** -14, -0, 0, 65504, -65504, 1 / 3];
    const weight = Float32Array.from({ length: 8 * 10 }, (_, i) => tiny[i % tiny.length] * (i % 3 === 0 ? 1 : -1));
    const x = Float32Array.from({ length: 10 * 3 }, (_, i) => (i % 7) - 3.5);
    const half = f.linear({ weight, inFeatures: 10, outFeatures: 8, dtype: 'f16' });
    const exact = f.linear({ weight: rounded(weight, 'f16'), inFeatures: 10, outFeatures: 8 });
    expect(bits(half.forward(x, 3))).toEqual(bits(exact.forward(x, 3)));
    // a −0 weight times a positive x is −0: with a −0 bias-free sum of one term it shows in the output
    const signs = f.linear({ weight: [-0], inFeatures: 1, outFeatures: 1, dtype: 'f16' });
    expect(Object.is(signs.forward(new Float32Array([2]), 1)[0], 0)).toBe(true); // 0 (no bias) + (−0) = +0
    half.free();
    exact.free();
    signs.free();
  });

  it('a weight float16 cannot hold is a RangeError naming its index; nothing is left allocated', async () => {
    const f = await get();
    const held = f.heap.exports.heapSize();
    const weight = new Float32Array(12).fill(1);
    for (const [value, index] of [[65520, 5], [1e6, 0], [Infinity, 11], [NaN, 3]] as const) {
      weight.fill(1);
      weight[index] = value;
      expect(() => f.linear({ weight, inFeatures: 4, outFeatures: 3, dtype: 'f16' })).toThrow(
        new RegExp(`weight\\[${index}\\] is ${value}, which f16 panels cannot hold: it is out of its range`));
    }
    expect(() => f.linear({ weight: [1], inFeatures: 1, outFeatures: 1, dtype: 'f64' as never })).toThrow(/dtype must be one of 'f32', 'bf16', 'f16', 'int8', got string "f64"/);
    expect(f.heap.exports.heapSize()).toBe(held);
    const largest = f.linear({ weight: Float32Array.of(65519, -65519), inFeatures: 2, outFeatures: 1, dtype: 'f16' }); // rounds to 65504
    expect(largest.forward(new Float32Array([1, 0]), 1)[0]).toBe(65504);
    largest.free();
  });

  it('a finite weight bfloat16 rounds to ±∞ is a RangeError naming its index; ±∞ and NaN stay as they are', async () => {
    const f = await get();
    const held = f.heap.exports.heapSize();
    const bf16Max = 3.3895313892515355e38; // 0x7f7f as bfloat16
    const halfway = new Float32Array(new Uint32Array([0x7f7f8000]).buffer)[0]; // ties to even: up, to ∞
    const below = new Float32Array(new Uint32Array([0x7f7f7fff]).buffer)[0];
    for (const [value, index] of [[halfway, 2], [-halfway, 7], [3.4e38, 0]] as const) {
      const weight = new Float32Array(12).fill(1);
      weight[index] = value;
      expect(() => f.linear({ weight, inFeatures: 4, outFeatures: 3, dtype: 'bf16' })).toThrow(
        new RegExp(`weight\\[${index}\\] is ${String(Math.fround(value)).replace(/[.+]/g, '\\$&')}, which bf16 panels cannot hold: it rounds to infinity`));
    }
    expect(f.heap.exports.heapSize()).toBe(held);
    const kept = f.linear({ weight: Float32Array.of(below, Infinity, -Infinity, NaN), inFeatures: 1, outFeatures: 4, dtype: 'bf16' });
    const y = kept.forward(new Float32Array([1]), 1);
    expect([y[0], y[1], y[2], Number.isNaN(y[3])]).toEqual([bf16Max, Infinity, -Infinity, true]);
    kept.free();
  });

  it('fromPretrained keeps a BF16 (LLaMA) and an F16 (GPT-NeoX) checkpoint 16-bit: the bits of the widened f32 layer', async () => {
    const f = await get();
    for (const [dir, stored] of [['llama', 'bf16'], ['gpt_neox', 'f16']] as const) {
      const root = new URL(`./golden/families/${dir}/`, import.meta.url);
      const bytes = new Uint8Array(readFileSync(new URL('model.safetensors', root)));
      const config = JSON.parse(readFileSync(new URL('config.json', root), 'utf8'));
      const kept = f.feedForward.fromPretrained(bytes, config, { sublayer: true });
      const widened = f.feedForward.fromPretrained(bytes, config, { sublayer: true, dtype: 'f32' });
      expect(kept.down.dtype).toBe(stored);
      const panels = (b: typeof kept) => b.first.storage.bytes + b.down.storage.bytes;
      expect(panels(kept) / panels(widened)).toBeLessThanOrEqual(0.52);
      const raw = readFileSync(new URL('x.bin', root));
      const x = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
      expect(bits(kept.forward(x, 5)), dir).toEqual(bits(widened.forward(x, 5)));
      kept.free();
      widened.free();
    }
  });
});
