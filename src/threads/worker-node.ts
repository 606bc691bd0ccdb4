// The pool's worker as a node:worker_threads worker: see serve.ts.
import { parentPort } from 'node:worker_threads';
import { type WorkerStart, serve } from './serve.js';

parentPort!.once('message', (start: WorkerStart) => {
  serve(start, (m) => parentPort!.postMessage(m));
  parentPort!.close();
});
