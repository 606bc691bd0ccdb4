// Section "dtypes": the weights' storage, f32 against bf16 and f16 panels, on FFN 2048 → 8192 → 2048
// (128 MiB of float32 weights; batch 1 streams them from memory) and the seed block, every dtype of a
// batch timed in the same rounds. The weights are rounded to values all three formats hold exactly, so
// every dtype computes the same numbers and one float64 reference checks them all.
import { makeLayers, normal } from './data.js';
import { layersReference } from './reference.js';
import { runCase } from './case.js';

export const DTYPES = ['f32', 'bf16', 'f16'];
export const DTYPE_WORKLOADS = [
  { id: 'ffn2k', label: 'FFN 2048→8192→GELU→2048', shape: [[2048, 8192, 'gelu'], [8192, 2048, null]], batches: [1, 8, 128] },
  { id: 'seed', label: 'FFN 512→2048→GELU→512 (the seed)', shape: [[512, 2048, 'gelu'], [2048, 512, null]], batches: [1, 8, 128] },
];

/** x rounded to 8 significant bits, or 0 below float16's normal range: exact in bfloat16 and float16. */
function representable(x) {
  if (Math.abs(x) < 2 ** -14) return 0;
  const ulp = 2 ** (Math.floor(Math.log2(Math.abs(x))) - 7);
  return Math.round(x / ulp) * ulp;
}

export async function dtypesSection({ impls, timing, log }) {
  const rows = [];
  for (const w of DTYPE_WORKLOADS) {
    const layers = makeLayers(w.shape).map((l) => ({ ...l, weight: l.weight.map(representable) }));
    const maxBatch = Math.max(...w.batches);
    const x = normal(maxBatch * w.shape[0][0], 0xd7e5);
    const reference = layersReference(layers, x, maxBatch);
    const flopsPerRow = 2 * w.shape.reduce((s, [i, o]) => s + i * o, 0);
    for (const batch of w.batches) {
      const variants = DTYPES.map((dtype) => ({
        id: dtype,
        prepare: (impl) => (impl.kind === 'ffwd' ? impl.peer.layers(layers.map((l) => ({ ...l, dtype })), x, batch) : null),
        reference: reference.subarray(0, batch * w.shape.at(-1)[1]),
      }));
      const results = await runCase({ impls, variants, tolerance: 1e-5 * Math.sqrt(8192), timing });
      for (const { key, variant, ...r } of results) {
        const flops = flopsPerRow * batch;
        rows.push({ workload: `${w.id}-${variant}`, base: w.id, dtype: variant, batch, impl: key, flops, ...r, ...(r.ms ? { gflops: flops / r.ms / 1e6 } : {}) });
      }
      log?.(`  ${w.id} B=${batch}: ${results.map((r) => `${r.variant} ${r.key} ${r.ms ? r.ms.toFixed(3) + 'ms' : 'ERR'}`).join(', ')}`);
    }
  }
  return rows;
}

/** ms per call for each dtype and its speed-up over f32 (f32 ms ÷ ms), per workload, batch and build. */
export function dtypesText(rows, table) {
  const body = [];
  for (const r of rows.filter((x) => x.ms && x.dtype === 'f32')) {
    const of = (dtype) => rows.find((x) => x.base === r.base && x.batch === r.batch && x.impl === r.impl && x.dtype === dtype);
    const cells = DTYPES.map((d) => {
      const row = of(d);
      return row?.ms ? `${row.ms.toFixed(3)}${row.ok ? '' : '!'} (${(r.ms / row.ms).toFixed(2)}×)` : 'ERR';
    });
    body.push([r.base, r.batch, r.impl, ...cells]);
  }
  return ['Weight dtypes: ms per call (speed-up over f32 in the same rounds)', table(['workload', 'batch', 'impl', ...DTYPES], body), ''].join('\n');
}
