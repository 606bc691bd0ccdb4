// The pool's worker as a module Web Worker (browsers, Deno, Bun): see serve.ts.
import { type WorkerStart, serve } from './serve.js';

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent) => void) | null; postMessage(m: unknown): void; close(): void };
scope.onmessage = (event) => {
  scope.onmessage = null;
  serve(event.data as WorkerStart, (m) => scope.postMessage(m));
  scope.close();
};
