// Everything the bench compares, opened once per section: ffwd (each build, Tensor path and copied
// path, and the Tensor path on 2 threads) and the peers. onnxruntime-web's 2-thread configuration lives in a worker thread (see
// remote.js); everything else runs on the main thread, one call at a time.
import { remotePeer } from './remote.js';
import { sampler } from './timing.js';

const peerModule = (name) => new URL(`./peers/${name}.js`, import.meta.url).href;

/** key, column heading, and how to open it. `kind` 'ffwd' gets ffwd's own kernel ids. */
export const IMPLEMENTATIONS = [
  { key: 'ffwd-simd', short: 'simd', kind: 'ffwd', build: 'simd', threads: 1, open: () => ffwd({ build: 'simd' }) },
  { key: 'ffwd-simd-copy', short: 'simd cp', kind: 'ffwd', build: 'simd', threads: 1, copy: true, open: () => ffwd({ build: 'simd', copy: true }) },
  { key: 'ffwd-relaxed', short: 'relaxed', kind: 'ffwd', build: 'relaxed', threads: 1, open: () => ffwd({ build: 'relaxed' }) },
  { key: 'ffwd-relaxed-copy', short: 'rlx cp', kind: 'ffwd', build: 'relaxed', threads: 1, copy: true, open: () => ffwd({ build: 'relaxed', copy: true }) },
  { key: 'ffwd-simd-2t', short: 'simd 2t', kind: 'ffwd', build: 'simd', threads: 2, open: () => ffwd({ build: 'simd', threads: 2 }) },
  { key: 'ffwd-relaxed-2t', short: 'rlx 2t', kind: 'ffwd', build: 'relaxed', threads: 2, open: () => ffwd({ build: 'relaxed', threads: 2 }) },
  { key: 'ort-1t', short: 'ort 1t', kind: 'peer', threads: 1, open: async () => (await import('./peers/ort.js')).create({ threads: 1 }) },
  { key: 'ort-2t', short: 'ort 2t', kind: 'peer', threads: 2, open: () => remotePeer(peerModule('ort'), { threads: 2 }) },
  { key: 'tfjs', short: 'tfjs', kind: 'peer', threads: 1, open: async () => (await import('./peers/tfjs.js')).create() },
  { key: 'js', short: 'js', kind: 'peer', threads: 1, open: async () => (await import('./peers/plainjs.js')).create() },
];

async function ffwd(options) {
  return (await import('./ffwd.js')).create(options);
}

/**
 * Opens the implementations whose keys are in `keys` (all by default). One that fails to open is
 * returned with `error` set instead of `peer`, so the run goes on and the report says why.
 */
export async function openAll(keys = IMPLEMENTATIONS.map((i) => i.key)) {
  const out = [];
  for (const impl of IMPLEMENTATIONS.filter((i) => keys.includes(i.key))) {
    try {
      out.push({ ...impl, peer: await impl.open() });
    } catch (error) {
      out.push({ ...impl, error: String(error?.message ?? error).split('\n')[0] });
    }
  }
  return out;
}

export async function closeAll(impls) {
  for (const impl of impls) await impl.peer?.close();
}

/** A runner (local) or a remote sampler, both as a sampler; null stays null. */
export const asSampler = (impl, runner) => (runner == null ? null : impl.peer.remote ? runner : sampler(runner));
