// The pool's view of a Web Worker (browsers, Deno, Bun), for the entries that have no worker_threads.
import type { WorkerHandle } from './pool.js';
import type { WorkerReply } from './serve.js';

/** A WorkerHandle over `worker` (the entry creates it, with its URL written out for bundlers). */
export function webWorkerHandle(worker: Worker): WorkerHandle {
  return {
    post: (message) => worker.postMessage(message),
    onReply: (listener) => {
      worker.onmessage = (event: MessageEvent<WorkerReply>) => listener(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        listener({ error: event.message || 'the worker failed to load' });
      };
    },
    keepAlive: () => {},
    terminate: async () => worker.terminate(),
  };
}

/** Whether this runtime has Web Workers that run modules. */
export function hasWorkers(): boolean {
  return typeof Worker === 'function';
}

/** Logical cores as the browser reports them (1 when it does not). */
export function browserCores(): number {
  return (globalThis.navigator as Navigator | undefined)?.hardwareConcurrency ?? 1;
}
