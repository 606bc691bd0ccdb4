// Browsers: the packaged .wasm is fetched and compiled while it streams. Each URL is a literal
// `new URL(..., import.meta.url)` so that bundlers (Vite, webpack, esbuild) emit the file as an asset.
import { createInit } from './ffwd.js';
import type { Build } from './runtime.js';

export * from './api.js';

const packaged = async (build: Build) =>
  fetch(
    build === 'relaxed'
      ? new URL('../build/ffwd.relaxed.wasm', import.meta.url)
      : new URL('../build/ffwd.simd.wasm', import.meta.url),
  );

export const init = createInit(packaged, async (location) => fetch(location));
