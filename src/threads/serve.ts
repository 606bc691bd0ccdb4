// What a worker of the pool (pool.ts) does, whichever kind of worker it is (worker.ts, worker-node.ts):
// it is sent the compiled module, the shared memory, the channel and its tail scratch; instantiates the
// module on that memory; says 'ready'; then claims and runs shares at every dispatch until the pool
// closes. It never allocates: the calling thread owns the allocator.
import { CLOSING, FAILED, GENERATION, type Kernel, kernelNames, openChannel, runShares, runSlot, waitWhile } from './protocol.js';

export interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  channel: SharedArrayBuffer;
  /** This worker's place in the pool (0-based: thread 1 is slot 0), of `workers`. */
  slot: number;
  workers: number;
  /** 48 bytes of its own for the kernels' n % 4 tails (assembly/scratch.ts). */
  tailScratch: number;
}

export type WorkerReply = { ready: true } | { error: string };

export function serve(start: WorkerStart, reply: (message: WorkerReply) => void): void {
  let kernels: Kernel[];
  try {
    const instance = new WebAssembly.Instance(start.module, { env: { memory: start.memory } });
    const exports = instance.exports as Record<string, Kernel>;
    exports.setTailScratch(start.tailScratch);
    kernels = kernelNames(start.module).map((name) => exports[name]);
  } catch (error) {
    reply({ error: String(error) });
    return;
  }
  const channel = openChannel(start.channel);
  const { control } = channel;
  // Read before saying ready: the first dispatch may follow the reply at once.
  let seen = Atomics.load(control, GENERATION);
  reply({ ready: true });
  for (;;) {
    waitWhile(control, GENERATION, seen, true);
    seen = Atomics.load(control, GENERATION);
    if (Atomics.load(control, CLOSING) === 1) return;
    runShares(control, start.slot + 1, start.workers + 1, (share) => {
      try {
        runSlot(channel, share, kernels);
      } catch {
        Atomics.store(control, FAILED, 1);
      }
    });
  }
}
