// What a worker of the pool (pool.ts) does, whichever kind of worker it is (worker.ts, worker-node.ts):
// it is sent the compiled module, the shared memory, the channel and its tail scratch; instantiates the
// module on that memory; says 'ready'; then runs the calls of its slot at every dispatch until the pool
// closes. It never allocates: the calling thread owns the allocator.
import {
  BY_WORKER, CLOSING, FAILED, GENERATION, type Kernel, PENDING, UNCLAIMED, claimOf, kernelNames, openChannel, runSlot, waitWhile, wake,
} from './protocol.js';

export interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  channel: SharedArrayBuffer;
  /** This worker's slot in the channel (0-based: thread 1 is slot 0), of `workers`. */
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
  const channel = openChannel(start.channel, start.workers);
  const { control } = channel;
  // Read before saying ready: the first dispatch may follow the reply at once.
  let seen = Atomics.load(control, GENERATION);
  reply({ ready: true });
  for (;;) {
    waitWhile(control, GENERATION, seen, true);
    seen = Atomics.load(control, GENERATION);
    if (Atomics.load(control, CLOSING) === 1) return;
    // The calling thread may have run this share already.
    if (Atomics.compareExchange(control, claimOf(start.slot), UNCLAIMED, BY_WORKER) !== UNCLAIMED) continue;
    try {
      runSlot(channel, start.slot, kernels);
    } catch {
      Atomics.store(control, FAILED, 1);
    }
    if (Atomics.sub(control, PENDING, 1) === 1) wake(control, PENDING);
  }
}
