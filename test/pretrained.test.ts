// fromPretrained on the checkpoints scripts/golden_families.py wrote with real PyTorch: every family's
// MLP and feedforward sublayer, under the family's own tensor names, prefixes and dtype, against the
// float64 forward written from transformers' sources. ffwd must be at least as accurate as PyTorch's
// float32 forward on the same data: over all outputs of all cases, its RMS error against float64 is
// at most PyTorch's. One case has only a few hundred outputs, whose error is rounding noise of the
// same size for both (ratios 0.8–1.1 seen), so each case is held to 1.25× PyTorch's RMS error: far
// below what a wrong activation, norm, eps, tensor or wiring costs (10³× and more).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILDS, instance } from './builds.js';

const DIR = new URL('./golden/families/', import.meta.url);

interface Case {
  model_type: string;
  dir: string;
  files: string[];
  config: string;
  options: { stack?: string };
  batch: number;
  hidden: number;
  dtype: string;
  x: string;
  outputs: Record<string, { f32: string; f64: string; shape: number[] }>;
}

const manifest = JSON.parse(readFileSync(new URL('manifest.json', DIR), 'utf8')) as { cases: Record<string, Case> };
const read = (c: Case, file: string) => readFileSync(new URL(`${c.dir}/${file}`, DIR));
const f32 = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
const f64 = (b: Buffer) => new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));

/** Σ (a − reference)², the squared error against float64. */
function squaredError(a: Float32Array, reference: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - reference[i]) ** 2;
  return sum;
}

const runs = Object.entries(manifest.cases).flatMap(([name, c]) =>
  Object.keys(c.outputs).map((output) => {
    const [what, layer] = output.split('_l');
    return { name, c, output, sublayer: what === 'sublayer', layer: Number(layer) };
  }));

describe.each(BUILDS)('fromPretrained (%s build): every family against PyTorch and float64', (build) => {
  const total = { ours: 0, theirs: 0 };

  it.each(runs.map((r) => [`${r.name} ${r.output}`, r] as const))('%s', async (_, { c, output, sublayer, layer }) => {
    const ffwd = await instance(build);
    const config = JSON.parse(read(c, c.config).toString('utf8'));
    const files = c.files.map((file) => ffwd.safetensors(new Uint8Array(read(c, file))));
    const held = ffwd.heap.exports.heapSize();
    const block = ffwd.feedForward.fromPretrained(files.length === 1 ? files[0] : files, config, { ...c.options, layer, sublayer });
    expect(block.wiring === 'mlp').toBe(!sublayer);
    const y = block.forward(f32(read(c, c.x)), c.batch);
    const exact = f64(read(c, c.outputs[output].f64));
    const ours = squaredError(y, exact);
    const theirs = squaredError(f32(read(c, c.outputs[output].f32)), exact);
    total.ours += ours;
    total.theirs += theirs;
    const ratio = Math.sqrt(ours / theirs);
    expect(ratio, `RMS error ffwd / PyTorch = ${ratio.toFixed(3)}`).toBeLessThanOrEqual(1.25);
    block.free();
    for (const file of files) file.free();
    expect(ffwd.heap.exports.heapSize(), 'the files and the block leave nothing behind').toBeLessThanOrEqual(held);
  });

  it('over every output of every case, ffwd is at least as accurate as PyTorch float32', () => {
    const ratio = Math.sqrt(total.ours / total.theirs);
    expect(ratio, `RMS error ffwd / PyTorch = ${ratio.toFixed(3)}`).toBeLessThanOrEqual(1);
  });
});

describe.each(BUILDS)('fromPretrained and fromSafetensors (%s build): input errors', (build) => {
  const bert = manifest.cases.bert;
  const llama = manifest.cases.llama_sharded;
  const bertConfig = () => JSON.parse(read(bert, bert.config).toString('utf8'));
  const bertBytes = () => new Uint8Array(read(bert, bert.files[0]));

  it('takes the bytes of a file as well as a parsed file, and the shards of a sharded checkpoint in any order', async () => {
    const ffwd = await instance(build);
    const x = f32(read(bert, bert.x));
    const held = ffwd.heap.exports.heapSize();
    const fromBytes = ffwd.feedForward.fromPretrained(bertBytes(), bertConfig(), { sublayer: true });
    const file = ffwd.safetensors(bertBytes());
    const fromFile = ffwd.feedForward.fromPretrained(file, bertConfig(), { sublayer: true });
    expect(bits(fromBytes.forward(x, bert.batch))).toEqual(bits(fromFile.forward(x, bert.batch)));
    fromBytes.free();
    fromFile.free();
    file.free();
    const config = JSON.parse(read(llama, llama.config).toString('utf8'));
    const shards = llama.files.map((name) => new Uint8Array(read(llama, name)));
    const a = ffwd.feedForward.fromPretrained(shards, config, { layer: 1 });
    const b = ffwd.feedForward.fromPretrained([...shards].reverse(), config, { layer: 1 });
    expect(bits(a.forward(x.subarray(0, 72 * 5), 5))).toEqual(bits(b.forward(x.subarray(0, 72 * 5), 5)));
    a.free();
    b.free();
    expect(ffwd.heap.exports.heapSize()).toBe(held);
  });

  it('fromSafetensors finds projections by their name prefix, gated too', async () => {
    const ffwd = await instance(build);
    const config = JSON.parse(read(llama, llama.config).toString('utf8'));
    const shards = llama.files.map((name) => new Uint8Array(read(llama, name)));
    const byConfig = ffwd.feedForward.fromPretrained(shards, config, { layer: 1 });
    const byName = ffwd.feedForward.fromSafetensors(shards, {
      gate: 'model.layers.1.mlp.gate_proj', up: 'layers.1.mlp.up_proj', down: 'layers.1.mlp.down_proj',
    }, { activation: 'silu' });
    const x = f32(read(llama, llama.x));
    expect(bits(byName.forward(x, 5))).toEqual(bits(byConfig.forward(x, 5)));
    byConfig.free();
    byName.free();
    expect(() => ffwd.feedForward.fromSafetensors(shards, { gate: 'mlp.gate_proj', up: 'mlp.up_proj', down: 'mlp.down_proj' }))
      .toThrow(/'mlp.gate_proj.weight' matches 2 tensors/);
    expect(() => ffwd.feedForward.fromSafetensors(shards, { fc1: 7 } as never)).toThrow(/names.fc1 must be a tensor name prefix \(a string\), got number 7/);
  });

  it('rejects bad input with a TypeError or RangeError that says what is wrong, leaving nothing allocated', async () => {
    const ffwd = await instance(build);
    const config = bertConfig();
    const bytes = bertBytes();
    const cases: [unknown, unknown, unknown, RegExp][] = [
      [bytes, { ...config, model_type: 'bort' }, {}, /config.model_type is string "bort"; supported: bert, roberta, .*gemma3_text, .*bart/],
      [bytes, null, {}, /config must be the parsed config.json \(an object\), got null/],
      [bytes, config, { layer: 2 }, /options.layer is 2, but the config has 2 layers/],
      [bytes, config, { layer: -1 }, /options.layer must be an integer ≥ 0, got -1/],
      [bytes, config, { layer: 1.5 }, /options.layer must be an integer ≥ 0, got number 1.5/],
      [bytes, config, { sublayer: 'yes' }, /options.sublayer must be true or false/],
      [bytes, config, { stack: 'decoder' }, /'bert' has one stack of layers; options.stack must be left out/],
      [bytes, { ...config, hidden_act: 'gelu_9' }, {}, /config.hidden_act is string "gelu_9", an activation ffwd does not know/],
      [bytes, { ...config, intermediate_size: 300 }, {}, /'encoder.layer.0.intermediate.dense.weight' has outFeatures 200, but the config says 300/],
      [bytes, { ...config, hidden_size: 64 }, {}, /has inFeatures 72, but the config says 64/],
      ['model.safetensors', config, {}, /files must be a SafetensorsFile \(ffwd.safetensors\(bytes\)\) or the bytes of one, got string/],
      [[], config, {}, /files is an empty array/],
      [[bytes, 42], config, {}, /files\[1\] must be a SafetensorsFile/],
      [[bytes, bytes], config, {}, /tensor 'bert\.[a-z_.]*' is in two of the files given/],
      [bytes.subarray(0, 100), config, {}, /safetensors: the header length .* runs past the end/],
      [new Uint8Array(read(manifest.cases.distilbert, 'model.safetensors')), config, {},
        /the checkpoint has no tensor 'encoder.layer.0.intermediate.dense.weight'; nearest: 'distilbert\.[a-z_.0-9]+', /],
      [bytes, { ...manifest.cases.t5 && JSON.parse(read(manifest.cases.t5, 'config.json').toString('utf8')) }, { stack: 'middle' }, /options.stack must be 'encoder' or 'decoder' for 't5'/],
    ];
    const held = ffwd.heap.exports.heapSize();
    for (const [files, cfg, options, message] of cases) {
      let error: unknown;
      try { ffwd.feedForward.fromPretrained(files as never, cfg as never, options as never); } catch (e) { error = e; }
      expect(error instanceof TypeError || error instanceof RangeError, `${message}: ${error}`).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect(ffwd.heap.exports.heapSize(), `${message}: nothing left allocated`).toBe(held);
    }
    // an integer out of range is a RangeError, anything else a TypeError
    expect(() => ffwd.feedForward.fromPretrained(bytes, config, { layer: -1 })).toThrow(RangeError);
    expect(() => ffwd.feedForward.fromPretrained(bytes, config, { layer: '0' as never })).toThrow(TypeError);
  });
});
