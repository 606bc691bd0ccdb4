// Node: the packaged .wasm is read with fs (Node's fetch has no file: URLs); http(s) URLs are fetched;
// threads are node:worker_threads workers, unreferenced once started so they never keep a process alive.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createInit } from './ffwd.js';
import type { Build, ModuleSource } from './runtime.js';
import type { WorkerHandle } from './threads/pool.js';
import type { WorkerReply } from './threads/serve.js';

export * from './api.js';

async function load(location: string | URL): Promise<ModuleSource> {
  const text = String(location);
  if (/^https?:/.test(text)) return fetch(text);
  return readFile(location instanceof URL ? location : text);
}

const packaged = (build: Build, shared: boolean) => load(new URL(`../build/ffwd.${build}${shared ? '-shared' : ''}.wasm`, import.meta.url));

function spawnWorker(): WorkerHandle {
  // No inherited execArgv: `--input-type` or `-e` would break the worker, and V8's flags (relaxed SIMD)
  // are the process's anyway.
  const worker = new Worker(new URL('./threads/worker-node.js', import.meta.url), { execArgv: [] });
  return {
    post: (message) => worker.postMessage(message),
    onReply: (listener) => {
      worker.once('message', (reply: WorkerReply) => listener(reply));
      worker.once('error', (error) => listener({ error: String(error) }));
    },
    keepAlive: (alive) => (alive ? worker.ref() : worker.unref()),
    terminate: async () => void (await worker.terminate()),
  };
}

export const init = createInit({ defaultSource: packaged, fetchSource: load, cores: availableParallelism, spawnWorker });
