// int8 weights (dtype 'int8', float32 compute, then compute 'int8' at the layer level; its kernel is
// checked bit for bit against an integer reference in int8-dot.test.ts): each output row quantised symmetrically when the layer
// is made, scale = float32(max|w| / 127), q = clamp(roundHalfEven(float32(w / scale)), −127, 127),
// computed here independently in float64 (a float64 division rounded once to float32 is the correctly
// rounded float32 division); the panels must hold exactly those q and scales, and every output must lie
// within γ(K+2)·(|b| + Σ|x·q·scale|) of the float64 result on the dequantised weights q·scale (the
// tile's K roundings, then the epilogue's multiply and add), in both builds, on every tile, edge and
// K block, without touching memory outside its buffers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILDS, instance } from './builds.js';
import { Guarded } from './guarded.js';
import { filled, random, U } from './matmul.js';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

/** Round half to even. */
function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  const rest = v - floor;
  return rest > 0.5 || (rest === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
}

/** The quantisation the issue specifies, row by row of a [rows, cols] weight (row = output feature). */
function quantise(w: Float32Array, rows: number, cols: number) {
  const scale = new Float32Array(rows);
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(w[r * cols + c]));
    scale[r] = Math.fround(max / 127);
    for (let c = 0; c < cols; c++) {
      q[r * cols + c] = scale[r] === 0 ? 0 : Math.max(-127, Math.min(127, roundHalfEven(Math.fround(w[r * cols + c] / scale[r]))));
    }
  }
  return { scale, q };
}

/** float64 y = act(b + x·(q·scale)ᵀ) and its float32 bound γ(K+2)·(|b| + Σ|x·q·scale|) (+ one rounding for relu). */
function reference(x: Float32Array, w: Float32Array, b: Float32Array | null, M: number, K: number, N: number, act: 'identity' | 'relu') {
  const { scale, q } = quantise(w, N, K);
  const gamma = ((K + 2) * U) / (1 - (K + 2) * U);
  const y = new Float64Array(M * N);
  const bound = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = b ? b[n] : 0;
      let abs = Math.abs(sum);
      for (let k = 0; k < K; k++) {
        const p = x[m * K + k] * q[n * K + k] * scale[n];
        sum += p;
        abs += Math.abs(p);
      }
      const v = act === 'relu' ? Math.max(sum, 0) : sum;
      y[m * N + n] = v;
      bound[m * N + n] = gamma * abs + U * Math.abs(v) + 1e-45;
    }
  }
  return { y, bound };
}

// tiles, leftover rows, edge panels, several chunks of strips and K blocks (3000: two K blocks at 70 rows)
const SHAPES: [batch: number, inF: number, outF: number][] = [
  [1, 1, 1], [2, 5, 7], [3, 9, 17], [4, 8, 8], [5, 33, 49], [9, 100, 41], [1, 64, 100], [70, 3000, 20], [13, 16, 300], [8, 7, 25],
];

describe.each(BUILDS)('int8 weights (%s build)', (build) => {
  const get = () => instance(build);

  it.each(SHAPES)('Linear batch %i, %i → %i: within γ(K+2) of float64 on q·scale, both layouts; each row as at batch 1', async (batch, inF, outF) => {
    const f = await get();
    const next = random(batch * 7 + inF * 131 + outF);
    const weight = filled(inF * outF, next, 1 / Math.sqrt(inF));
    const bias = filled(outF, next);
    const x = filled(batch * inF, next, 2);
    for (const layout of ['out_in', 'in_out'] as const) {
      const stored = layout === 'out_in' ? weight : transpose(weight, outF, inF);
      for (const act of ['identity', 'relu'] as const) {
        const layer = f.linear({ weight: stored, bias, inFeatures: inF, outFeatures: outF, activation: act, layout, dtype: 'int8' });
        expect(layer.dtype).toBe('int8');
        const got = layer.forward(x, batch);
        const { y, bound } = reference(x, weight, bias, batch, inF, outF, act);
        let worst = 0;
        for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(got[i] - y[i]) / bound[i]);
        expect(worst, `${layout} ${act}: worst error ÷ bound`).toBeLessThanOrEqual(1);
        // a row's bits do not depend on its batch (the widened-panel path against the in-register one)
        for (const r of [0, batch - 1]) {
          expect(bits(layer.forward(x.subarray(r * inF, (r + 1) * inF), 1)), `row ${r}`).toEqual(bits(got.subarray(r * outF, (r + 1) * outF)));
        }
        layer.free();
      }
    }
  });

  it('the panels hold exactly the specified q and scales (ties to even, clamping, a zero row)', async () => {
    const f = await get();
    const [inF, outF] = [11, 10];
    const next = random(3);
    const weight = filled(inF * outF, next);
    // row 1: largest |w| 127 → scale 1, so halves tie: 2.5 → 2, 3.5 → 4, −2.5 → −2, −126.5 → −126
    weight.set([127, 2.5, 3.5, -2.5, -126.5, 0.5, 1.5, -0.5, 0, 100, -127], inF);
    weight.fill(0, 2 * inF, 3 * inF); // row 2: all zero → scale 0, q 0
    weight[3 * inF + 4] = -1e-30; // row 3: a tiny largest weight
    for (let k = 0; k < inF; k++) if (k !== 4) weight[3 * inF + k] = 1e-31 * (k - 5);
    const layer = f.linear({ weight, inFeatures: inF, outFeatures: outF, dtype: 'int8' });
    const { q, scale } = quantise(weight, outF, inF);
    expect(Array.from(q.subarray(inF, 2 * inF))).toEqual([127, 2, 4, -2, -126, 0, 2, 0, 0, 100, -127]);
    expect(scale[2]).toBe(0);
    // the panel layout (assembly/gemm/weights.ts): per panel of 8 rows, 8 float32 bias, 8 float32 scales, then k-rows of 8 int8
    const { ptr } = layer.storage;
    const memory = f.heap.buffer;
    const stride = 64 + 8 * inF;
    for (let r = 0; r < outF; r++) {
      const panel = ptr + Math.floor(r / 8) * stride;
      expect(new Float32Array(memory, panel + 32, 8)[r % 8], `scale of row ${r}`).toBe(scale[r]);
      const column = Int8Array.from({ length: inF }, (_, k) => new Int8Array(memory, panel + 64 + 8 * k, 8)[r % 8]);
      expect(Array.from(column), `q of row ${r}`).toEqual(Array.from(q.subarray(r * inF, (r + 1) * inF)));
    }
    // the zero row gives the bias alone (none here: 0), whatever x is
    const y = layer.forward(filled(3 * inF, next, 100), 3);
    expect([y[2], y[outF + 2], y[2 * outF + 2]]).toEqual([0, 0, 0]);
    layer.free();
  });

  it('K up to 32768 and a vocabulary-wide N: within the bound, canaries intact (raw ABI)', async () => {
    const f = await get();
    const e = f.heap.exports;
    const code = (e as unknown as Record<string, WebAssembly.Global>)['WeightDtype.INT8'].value as number;
    for (const [batch, inF, outF] of [[6, 32768, 9], [1, 32768, 3], [2, 40, 50257]] as const) {
      const next = random(inF + outF);
      const weight = filled(inF * outF, next);
      const bias = filled(outF, next);
      const x = filled(batch * inF, next);
      const bytes = e.packedBytes(inF, outF, code) >>> 0;
      const w = new Guarded(e, inF * outF).set(weight);
      const b = new Guarded(e, outF).set(bias);
      const packed = new Guarded(e, bytes / 4);
      expect(e.pack(w.ptr, b.ptr, packed.ptr, inF, outF, false, code)).toBe(-1);
      const scratchBytes = e.linearScratchBytes(inF, code);
      const scratch = new Guarded(e, scratchBytes / 4);
      const xs = new Guarded(e, batch * inF).set(x);
      const y = new Guarded(e, batch * outF);
      e.linear(xs.ptr, packed.ptr, y.ptr, batch, inF, outF, 0, 0, 0, batch >= 4 ? scratch.ptr : 0, code);
      const { y: want, bound } = reference(x, weight, bias, batch, inF, outF, 'identity');
      const got = y.data;
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / bound[i]);
      expect(worst, `${batch}×${inF}→${outF}`).toBeLessThanOrEqual(1);
      for (const g of [w, b, packed, scratch, xs, y]) {
        expect(g.canariesIntact()).toBe(true);
        g.free();
      }
    }
  });

  it('a gated MLP, int8 in every projection: within a tight budget of its float64 forward on q·scale; ≤ 28 % of the f32 panels', async () => {
    const f = await get();
    const [batch, d, h] = [6, 64, 130];
    const next = random(5);
    const [g, u, w] = [filled(h * d, next), filled(h * d, next), filled(d * h, next)];
    const block = f.feedForward({
      gate: { weight: g, inFeatures: d, outFeatures: h }, up: { weight: u, inFeatures: d, outFeatures: h },
      down: { weight: w, inFeatures: h, outFeatures: d }, activation: 'relu', dtype: 'int8',
    });
    const x = filled(batch * d, next);
    const gate = reference(x, g, null, batch, d, h, 'relu');
    const up = reference(x, u, null, batch, d, h, 'identity');
    const hidden = Float32Array.from(gate.y, (v, i) => v * up.y[i]);
    const out = reference(hidden, w, null, batch, h, d, 'identity');
    const got = block.forward(x, batch);
    // the hidden layer's own rounding errors, carried through |down|: a loose but failing-on-bugs budget
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - out.y[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(out.y[i])));
    const f32 = f.feedForward({
      gate: { weight: g, inFeatures: d, outFeatures: h }, up: { weight: u, inFeatures: d, outFeatures: h },
      down: { weight: w, inFeatures: h, outFeatures: d }, activation: 'relu',
    });
    const bytes = (b: typeof block) => b.first.storage.bytes + b.down.storage.bytes;
    expect(bytes(block) / bytes(f32)).toBeLessThanOrEqual(0.28);
    block.free();
    f32.free();
  });

  it.each(['f32', 'int8'] as const)('a pre-norm sublayer (compute %s): the bits of x + mlp(layerNorm(x)) computed step by step', async (compute) => {
    // the residual is added in the last GEMM's epilogue after dequantising: the same float ops as apart
    const f = await get();
    const [d, h] = [48, 100];
    const next = random(31);
    const fc1 = { weight: filled(h * d, next), bias: filled(h, next), inFeatures: d, outFeatures: h };
    const fc2 = { weight: filled(d * h, next), bias: filled(d, next), inFeatures: h, outFeatures: d };
    const options = { fc1, fc2, activation: 'gelu' as const, dtype: 'int8' as const, compute };
    const sublayer = f.feedForward({ ...options, wiring: 'pre_norm', norm: { kind: 'layer' } });
    const mlp = f.feedForward(options);
    for (const batch of [1, 3, 6, 13]) {
      const x = filled(batch * d, next, 2);
      const apart = Float32Array.from(mlp.forward(f.layerNorm(x, d), batch), (v, i) => Math.fround(v + x[i]));
      expect(bits(sublayer.forward(x, batch)), `batch ${batch}`).toEqual(bits(apart));
    }
    sublayer.free();
    mlp.free();
  });

  it('save() and ffwd.load() keep the int8 panels: the same bits, I8 panels in the file', async () => {
    const f = await get();
    const next = random(77);
    const layer = f.feedForward({
      fc1: { weight: filled(20 * 30, next), bias: filled(30, next), inFeatures: 20, outFeatures: 30 },
      fc2: { weight: filled(30 * 20, next), inFeatures: 30, outFeatures: 20 }, dtype: 'int8',
    });
    const file = layer.save();
    const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + Number(new DataView(file.buffer).getBigUint64(0, true)))));
    expect(header['first.panels']).toMatchObject({ dtype: 'I8', shape: [4, 64 + 8 * 20] });
    expect(header.__metadata__.dtype).toBe('int8');
    const loaded = f.load(file) as typeof layer;
    const x = filled(100, next);
    expect(loaded.down.dtype).toBe('int8');
    expect(bits(loaded.forward(x, 5))).toEqual(bits(layer.forward(x, 5)));
    layer.free();
    loaded.free();
  });

  it('a weight that is not finite is a RangeError naming its index; compute int8 needs dtype int8', async () => {
    const f = await get();
    const held = f.heap.exports.heapSize();
    const weight = new Float32Array(12).fill(1);
    for (const [value, index] of [[Infinity, 5], [-Infinity, 0], [NaN, 11]] as const) {
      weight.fill(1);
      weight[index] = value;
      for (const layout of ['out_in', 'in_out'] as const) {
        expect(() => f.linear({ weight, inFeatures: 4, outFeatures: 3, dtype: 'int8', layout })).toThrow(
          new RegExp(`weight\\[${index}\\] is ${value}, which int8 panels cannot hold: it is not finite`));
      }
    }
    expect(() => f.linear({ weight: [1], inFeatures: 1, outFeatures: 1, dtype: 'bf16', compute: 'int8' })).toThrow(
      /linear: compute 'int8' \(integer dot products\) needs dtype 'int8', got dtype 'bf16'/);
    expect(() => f.linear({ weight: [1], inFeatures: 1, outFeatures: 1, compute: 'i8' as never })).toThrow(/compute must be one of 'f32', 'int8', got string "i8"/);
    expect(f.heap.exports.heapSize()).toBe(held);
  });

  it('fromPretrained quantises a BF16 (LLaMA) checkpoint to int8: a quarter of the f32 bytes, within 2 % RMS of it', async () => {
    const f = await get();
    const root = new URL('./golden/families/llama/', import.meta.url);
    const bytes = new Uint8Array(readFileSync(new URL('model.safetensors', root)));
    const config = JSON.parse(readFileSync(new URL('config.json', root), 'utf8'));
    const int8 = f.feedForward.fromPretrained(bytes, config, { dtype: 'int8' });
    const full = f.feedForward.fromPretrained(bytes, config, { dtype: 'f32' });
    expect(int8.first.dtype).toBe('int8');
    expect((int8.first.bytes + int8.down.bytes) / (full.first.bytes + full.down.bytes)).toBeLessThanOrEqual(0.28);
    const raw = readFileSync(new URL('x.bin', root));
    const x = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    const [a, b] = [int8.forward(x, 5), full.forward(x, 5)];
    let [err, ref] = [0, 0];
    for (let i = 0; i < a.length; i++) [err, ref] = [err + (a[i] - b[i]) ** 2, ref + b[i] ** 2];
    expect(Math.sqrt(err / ref)).toBeLessThan(0.02);
    expect(Math.sqrt(err / ref)).toBeGreaterThan(0); // (quantised: not the f32 layer)
    int8.free();
    full.free();
  });
});

describe.each(BUILDS)("compute 'int8' layers (%s build)", (build) => {
  const get = () => instance(build);
  const rms = (a: Float32Array, b: Float32Array) => {
    let [err, ref] = [0, 0];
    for (let i = 0; i < a.length; i++) [err, ref] = [err + (a[i] - b[i]) ** 2, ref + b[i] ** 2];
    return Math.sqrt(err / ref);
  };
  const gaussian = (n: number, next: () => number, scale: number) => Float32Array.from({ length: n }, () => {
    const u = (next() + 1) / 2 || 1e-9;
    return scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(Math.PI * next());
  });

  it('the seed block with Gaussian weights: within 2.5 % RMS of f32, the same bits at every batch and after save/load', async () => {
    const f = await get();
    const next = random(11);
    const [d, h, batch] = [512, 2048, 9];
    const spec = {
      fc1: { weight: gaussian(h * d, next, 0.02), bias: gaussian(h, next, 0.02), inFeatures: d, outFeatures: h },
      fc2: { weight: gaussian(d * h, next, 0.02), bias: gaussian(d, next, 0.02), inFeatures: h, outFeatures: d },
    };
    const int8 = f.feedForward({ ...spec, compute: 'int8' });
    const full = f.feedForward(spec);
    expect([int8.first.dtype, int8.first.compute, int8.down.compute]).toEqual(['int8', 'int8', 'int8']);
    const x = gaussian(batch * d, next, 1);
    const y = int8.forward(x, batch);
    expect(rms(y, full.forward(x, batch))).toBeLessThan(0.025);
    expect(rms(y, full.forward(x, batch))).toBeGreaterThan(1e-3); // (x quantised: not the f32 result)
    for (const r of [0, 4, 8]) expect(bits(int8.forward(x.subarray(r * d, (r + 1) * d), 1)), `row ${r}`).toEqual(bits(y.subarray(r * d, (r + 1) * d)));
    const loaded = f.load(int8.save()) as typeof int8;
    expect(loaded.down.compute).toBe('int8');
    expect(bits(loaded.forward(x, batch))).toEqual(bits(y));
    for (const l of [int8, full, loaded]) l.free();
  });

  it('a gated pre-norm sublayer from a BF16 checkpoint (LLaMA): compute int8, within 3 % RMS of f32', async () => {
    const f = await get();
    const root = new URL('./golden/families/llama/', import.meta.url);
    const bytes = new Uint8Array(readFileSync(new URL('model.safetensors', root)));
    const config = JSON.parse(readFileSync(new URL('config.json', root), 'utf8'));
    const int8 = f.feedForward.fromPretrained(bytes, config, { sublayer: true, compute: 'int8' });
    const full = f.feedForward.fromPretrained(bytes, config, { sublayer: true, dtype: 'f32' });
    expect([int8.first.dtype, int8.first.compute]).toEqual(['int8', 'int8']);
    const raw = readFileSync(new URL('x.bin', root));
    const x = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    // the residual keeps most of x exact: compare the MLP's contribution
    const [a, b] = [int8.forward(x, 5), full.forward(x, 5)];
    expect(rms(a.map((v, i) => v - x[i]), b.map((v, i) => v - x[i]))).toBeLessThan(0.03);
    int8.free();
    full.free();
  });

  it('refuses what integer sums cannot hold exactly, and says which dot product it runs', async () => {
    const f = await get();
    const most = f.heap.exports.INT8_DOT_MAX_K.value as number;
    expect(() => f.linear({ weight: new Float32Array(most + 1), inFeatures: most + 1, outFeatures: 1, compute: 'int8' })).toThrow(
      new RangeError(`linear: inFeatures is ${most + 1}; compute 'int8' sums int8 products exactly in int32 up to ${most} (use compute 'f32')`));
    expect(f.int8Dot.instruction).toMatch(build === 'simd' ? /^i32x4\.dot_i16x8_s$/ : /^i32x4\.(relaxed_dot_i8x16_i7x16_add_s|dot_i16x8_s)$/);
    if (build === 'simd') expect(f.int8Dot.engine).toBe('not probed (simd build)');
  });
});

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}
