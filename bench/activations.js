// Section 1: elementwise activations, every kernel × call size × input distribution.
import { DISTRIBUTIONS } from './data.js';
import { DEFAULT_TOLERANCE, KERNELS, peerIdOf } from './kernels.js';
import { REFERENCE } from './reference.js';
import { runCase } from './case.js';

export const SIZES = [1048576, 4096];

export async function activationSection({ impls, timing, log, kernels = KERNELS }) {
  const rows = [];
  for (const n of SIZES) {
    for (const [distId, dist] of Object.entries(DISTRIBUTIONS)) {
      const x = dist.make(n);
      const references = new Map();
      for (const kernel of kernels) {
        const refId = kernel.refAs ?? kernel.id;
        if (!references.has(refId)) {
          const f = REFERENCE[refId];
          references.set(refId, Float64Array.from(x, (v) => f(v, kernel.slope)));
        }
        const results = await runCase({
          impls,
          prepare: (impl) => impl.peer.activation(impl.kind === 'ffwd' ? kernel.id : peerIdOf(kernel), x, kernel.slope),
          reference: references.get(refId),
          tolerance: kernel.tolerance ?? DEFAULT_TOLERANCE,
          timing,
        });
        for (const { key, ...r } of results) {
          rows.push({ kernel: kernel.id, n, dist: distId, impl: key, ...r, ...(r.ms ? { melems: n / r.ms / 1e3 } : {}) });
        }
        log?.(`  ${kernel.id} n=${n} ${dist.label}: ${results.map((r) => `${r.key} ${r.ms ? (n / r.ms / 1e3).toFixed(0) : 'ERR'}`).join(', ')}`);
      }
    }
  }
  return rows;
}
