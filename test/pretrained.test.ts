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
