// Whether threads can run here, and why not in words: probed, never guessed from a user agent.
import type { Heap } from '../memory.js';
import type { Pool } from './pool.js';

/** (memory 1 1 shared) (func (drop (i32.atomic.load (i32.const 0)))) */
const SHARED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11,
]);

const ISOLATION = 'it needs the headers Cross-Origin-Opener-Policy: same-origin and ' +
  'Cross-Origin-Embedder-Policy: require-corp (or credentialless)';

/** Why this platform cannot run ffwd's threads, or null when it can try. */
export function whyNoThreads(canSpawn: boolean): string | null {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  if (isolated === false) return `this page is not cross-origin isolated (${ISOLATION}), so it has no SharedArrayBuffer`;
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return 'this runtime has no SharedArrayBuffer';
  if (!WebAssembly.validate(SHARED_PROBE)) return 'this WebAssembly runtime does not support shared memory and atomics (threads)';
  if (!canSpawn) return 'this runtime has no Web Workers or worker_threads';
  return null;
}

/**
 * Whether every worker sees what this thread's kernels write into the shared memory and this thread
 * sees what theirs write (Bun's bug oven-sh/bun#25677 breaks that): this thread runs relu on a block,
 * each worker runs relu on the result into its own block, and this thread checks each block.
 */
export function seesSharedWrites(heap: Heap, pool: Pool): boolean {
  const n = 64;
  const block = heap.alloc(n * 4 * (pool.size + 1));
  try {
    const memory = new Float32Array(heap.buffer, block, n * (pool.size + 1));
    for (let i = 0; i < n; i++) memory[i] = i % 2 === 0 ? i + 1 : -i;
    heap.exports.relu(block, block + n * 4, n);
    const relu = pool.kernel('relu');
    const calls = Array.from({ length: pool.size }, (_, t) =>
      t === 0 ? [] : [{ kernel: relu, args: [block + n * 4, block + (t + 1) * n * 4, n] }]);
    pool.run(calls);
    for (let t = 1; t < pool.size; t++) {
      for (let i = 0; i < n; i++) if (memory[(t + 1) * n + i] !== (i % 2 === 0 ? i + 1 : 0)) return false;
    }
    return true;
  } finally {
    heap.free(block);
  }
}
