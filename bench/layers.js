// Linear-layer workloads in ms per call and GFLOP/s (2 flops per multiply-add; bias and activation
// not counted). Section "ffn": the seed's feedforward block at several batch sizes and a square GEMM.
// Section "scale": the sizes real checkpoints have (BERT-large / GPT-2 medium, a 2048-wide model,
// LLaMA-7B's down projection, GPT-2's vocabulary), with the seed's batch-128 block again as the
// yardstick a bigger GEMM is compared with, in the same process.
import { makeLayers, normal } from './data.js';
import { layersReference } from './reference.js';
import { runCase } from './case.js';
import { sampler } from './timing.js';

export const WORKLOADS = [
  { id: 'ffn', label: 'FFN 512→2048→GELU→512', shape: [[512, 2048, 'gelu'], [2048, 512, null]], batches: [1, 8, 128] },
  { id: 'gemm', label: 'GEMM 512×512×512 (linear 512→512 + bias)', shape: [[512, 512, null]], batches: [512] },
];

export const SCALE_WORKLOADS = [
  { id: 'seed', label: 'FFN 512→2048→GELU→512 (the seed, as yardstick)', shape: [[512, 2048, 'gelu'], [2048, 512, null]], batches: [128] },
  { id: 'ffn1k', label: 'FFN 1024→4096→GELU→1024', shape: [[1024, 4096, 'gelu'], [4096, 1024, null]], batches: [8, 64] },
  { id: 'ffn2k', label: 'FFN 2048→8192→GELU→2048', shape: [[2048, 8192, 'gelu'], [8192, 2048, null]], batches: [1, 8, 64] },
  { id: 'down', label: 'linear 11008→4096 (LLaMA-7B down projection)', shape: [[11008, 4096, null]], batches: [8, 64] },
  { id: 'vocab', label: 'linear 768→50257 (GPT-2 vocabulary)', shape: [[768, 50257, null]], batches: [1] },
];

/** The implementations the scale section times (the others take minutes per call at these sizes). */
export const SCALE_IMPLEMENTATIONS = ['ffwd-simd', 'ffwd-relaxed', 'ort-1t'];

export const flopsOf = (shape, batch) => 2 * batch * shape.reduce((s, [i, o]) => s + i * o, 0);

/** fp32 accumulation error grows about as √K: the design's bound is 1e-5·√K relative. */
const toleranceOf = (shape) => 1e-5 * Math.sqrt(Math.max(...shape.map(([k]) => k)));

/** Bytes of float32 weights and biases a call reads (what batch 1 streams). */
export const weightBytesOf = (shape) => 4 * shape.reduce((s, [i, o]) => s + (i + 1) * o, 0);

/** The read loop over `bytes` (rounded up to MiB) as 1 … 4 runs, as runCase yardsticks. */
async function readYardsticks(bytes) {
  const { bandwidthRunner, STREAMS } = await import('./bandwidth.js');
  const mib = Math.ceil(bytes / (1 << 20));
  return Promise.all(STREAMS.map(async (s) => {
    const runner = await bandwidthRunner(mib, s);
    return { key: `read ${s}`, streams: s, bytes: runner.bytes, sampler: sampler({ call: runner.run }) };
  }));
}

/** readCeiling: time the read loop beside each batch-1 case (the scale section's GEMV ceiling). */
export async function layersSection({ impls, timing, log, workloads = WORKLOADS, readCeiling = false }) {
  const rows = [];
  for (const w of workloads) {
    const layers = makeLayers(w.shape);
    const maxBatch = Math.max(...w.batches);
    const x = normal(maxBatch * w.shape[0][0], 0xb47c);
    const reference = layersReference(layers, x, maxBatch);
    const outWidth = w.shape.at(-1)[1];
    for (const batch of w.batches) {
      const flops = flopsOf(w.shape, batch);
      const weightBytes = weightBytesOf(w.shape);
      // Batch 1 streams every weight once: the read loop over as many bytes (1 … 4 runs at once)
      // takes turns in the same rounds, and the best of its medians is the batch's ceiling.
      const yardsticks = batch === 1 && readCeiling ? await readYardsticks(weightBytes) : [];
      const results = await runCase({
        impls,
        prepare: (impl) => impl.peer.layers(layers, x, batch),
        reference: reference.subarray(0, batch * outWidth),
        tolerance: toleranceOf(w.shape),
        timing,
        yardsticks,
      });
      const read = yardsticks
        .map((y) => ({ streams: y.streams, gbs: y.bytes / results.find((r) => r.key === y.key).ms / 1e6 }))
        .reduce((best, r) => (r.gbs > (best?.gbs ?? 0) ? r : best), undefined);
      for (const { key, ...r } of results.filter((x) => !x.yardstick)) {
        rows.push({
          workload: w.id, batch, impl: key, flops, ...r,
          ...(r.ms ? { gflops: flops / r.ms / 1e6, weightGBs: weightBytes / r.ms / 1e6 } : {}),
          ...(read ? { readGBs: read.gbs, readStreams: read.streams } : {}),
        });
      }
      log?.(`  ${w.id} B=${batch}: ${results.map((r) => `${r.key} ${r.ms ? r.ms.toFixed(2) + 'ms' : 'ERR'}`).join(', ')}`);
    }
  }
  return rows;
}
