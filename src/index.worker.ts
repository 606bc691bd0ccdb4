// Edge workers (Cloudflare workerd and the like) refuse to compile WebAssembly at run time: the worker
// imports the .wasm as a module (`import wasm from 'ffwd/wasm/simd'`) and passes it to init. They
// have no Web Workers, so `threads` always runs 1 and says why.
import { createInit } from './ffwd.js';

export * from './api.js';

export const init = createInit({
  defaultSource: async () => {
    throw new Error(
      "ffwd: edge workers cannot compile WebAssembly at run time; import the module " +
        "(import wasm from 'ffwd/wasm/simd') and call init({ module: wasm })",
    );
  },
  fetchSource: async (location) => fetch(location),
  cores: () => 1,
  spawnWorker: null,
});
