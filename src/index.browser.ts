// Browsers: the packaged .wasm is fetched and compiled while it streams. Each URL is a literal
// `new URL(..., import.meta.url)` so that bundlers (Vite, webpack, esbuild) emit the file as an asset.
import { createInit } from './ffwd.js';
import type { Build } from './runtime.js';
import { browserCores, hasWorkers, webWorkerHandle } from './threads/web-worker.js';

export * from './api.js';

function packagedUrl(build: Build, shared: boolean): URL {
  if (shared) {
    return build === 'relaxed'
      ? new URL('../build/ffwd.relaxed-shared.wasm', import.meta.url)
      : new URL('../build/ffwd.simd-shared.wasm', import.meta.url);
  }
  return build === 'relaxed'
    ? new URL('../build/ffwd.relaxed.wasm', import.meta.url)
    : new URL('../build/ffwd.simd.wasm', import.meta.url);
}

export const init = createInit({
  defaultSource: async (build, shared) => fetch(packagedUrl(build, shared)),
  fetchSource: async (location) => fetch(location),
  cores: browserCores,
  spawnWorker: hasWorkers()
    ? () => webWorkerHandle(new Worker(new URL('./threads/worker.js', import.meta.url), { type: 'module' }))
    : null,
});
