// Section 2: linear-layer workloads, the transformer feedforward block at several batch sizes and a
// square GEMM, in ms per call and GFLOP/s (2 flops per multiply-add; bias and activation not counted).
import { makeLayers, normal } from './data.js';
import { layersReference } from './reference.js';
import { runCase } from './case.js';

export const WORKLOADS = [
  { id: 'ffn', label: 'FFN 512→2048→GELU→512', shape: [[512, 2048, 'gelu'], [2048, 512, null]], batches: [1, 8, 128] },
  { id: 'gemm', label: 'GEMM 512×512×512 (linear 512→512 + bias)', shape: [[512, 512, null]], batches: [512] },
];

export const flopsOf = (shape, batch) => 2 * batch * shape.reduce((s, [i, o]) => s + i * o, 0);

/** fp32 accumulation error grows about as √K: the design's bound is 1e-5·√K relative. */
const toleranceOf = (shape) => 1e-5 * Math.sqrt(Math.max(...shape.map(([k]) => k)));

export async function layersSection({ impls, timing, log, workloads = WORKLOADS }) {
  const rows = [];
  for (const w of workloads) {
    const layers = makeLayers(w.shape);
    const maxBatch = Math.max(...w.batches);
    const x = normal(maxBatch * w.shape[0][0], 0xb47c);
    const reference = layersReference(layers, x, maxBatch);
    const outWidth = w.shape.at(-1)[1];
    for (const batch of w.batches) {
      const flops = flopsOf(w.shape, batch);
      const results = await runCase({
        impls,
        prepare: (impl) => impl.peer.layers(layers, x, batch),
        reference: reference.subarray(0, batch * outWidth),
        tolerance: toleranceOf(w.shape),
        timing,
      });
      for (const { key, ...r } of results) {
        rows.push({ workload: w.id, batch, impl: key, flops, ...r, ...(r.ms ? { gflops: flops / r.ms / 1e6 } : {}) });
      }
      log?.(`  ${w.id} B=${batch}: ${results.map((r) => `${r.key} ${r.ms ? r.ms.toFixed(2) + 'ms' : 'ERR'}`).join(', ')}`);
    }
  }
  return rows;
}
