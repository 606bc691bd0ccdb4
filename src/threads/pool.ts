// The worker pool: threads − 1 workers on one shared memory, and the synchronous dispatch that runs
// shares of export calls on all of them, the calling thread being thread 0 and doing its part.
import type { KernelExports } from '../exports.js';
import type { Heap } from '../memory.js';
import {
  CHANNEL_BYTES, type Call, type Channel, CLOSING, FAILED, GENERATION, type Kernel, MAX_SHARES, PENDING, claimAll, kernelNames,
  offerShares, openChannel, runShares, waitWhile, wake, writeSlot,
} from './protocol.js';
import type { WorkerReply, WorkerStart } from './serve.js';

/** What a platform's worker looks like to the pool (a Web Worker or a node:worker_threads Worker). */
export interface WorkerHandle {
  post(message: WorkerStart): void;
  /** The first reply (ready, or why not), or an error the worker died of. */
  onReply(listener: (reply: WorkerReply) => void): void;
  /** Whether the worker keeps the process alive (Node; a no-op elsewhere). */
  keepAlive(alive: boolean): void;
  terminate(): Promise<void>;
}

/** Starts one worker on ./worker.js (each platform entry writes the URL literally, for bundlers). */
export type SpawnWorker = () => WorkerHandle;

const START_TIMEOUT_MS = 10_000;
const DISPATCH_TIMEOUT_MS = 30_000;
const TAIL_SCRATCH_BYTES = 48;

/** Whether this thread may block in Atomics.wait (a browser page's main thread may not). */
function mayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

export class Pool {
  /** Threads that compute, the calling thread included. */
  readonly size: number;
  readonly #heap: Heap;
  readonly #workers: WorkerHandle[];
  readonly #channel: Channel;
  readonly #indices: Map<string, number>;
  readonly #kernels: Kernel[];
  readonly #tailScratch: number[];
  readonly #canBlock = mayBlock();
  #closed = false;

  private constructor(heap: Heap, module: WebAssembly.Module, workers: WorkerHandle[], channel: Channel, tailScratch: number[]) {
    this.#heap = heap;
    this.#workers = workers;
    this.#channel = channel;
    const names = kernelNames(module);
    this.#indices = new Map(names.map((name, i) => [name, i]));
    const exports = heap.exports as unknown as Record<string, Kernel>;
    this.#kernels = names.map((name) => exports[name]);
    this.#tailScratch = tailScratch;
    this.size = workers.length + 1;
  }

  /**
   * Starts `threads − 1` workers on the heap's shared memory and waits until each has instantiated
   * `module` (before any compute: instantiating rewrites the module's static data). Rejects with an
   * Error saying why when a worker cannot start; nothing is left running then.
   */
  static async start(heap: Heap, module: WebAssembly.Module, threads: number, spawn: SpawnWorker): Promise<Pool> {
    const workers: WorkerHandle[] = [];
    const tailScratch: number[] = [];
    const channel = new SharedArrayBuffer(CHANNEL_BYTES);
    claimAll(openChannel(channel).control);
    try {
      const replies: Promise<void>[] = [];
      for (let slot = 0; slot < threads - 1; slot++) {
        const worker = spawn();
        workers.push(worker);
        const scratch = heap.alloc(TAIL_SCRATCH_BYTES);
        tailScratch.push(scratch);
        replies.push(new Promise((resolve, reject) => {
          worker.onReply((reply) => ('ready' in reply ? resolve() : reject(new Error(reply.error))));
          worker.post({ module, memory: heap.exports.memory, channel, slot, workers: threads - 1, tailScratch: scratch });
        }));
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the workers did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      });
      try {
        await Promise.race([Promise.all(replies), timeout]);
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      for (const p of tailScratch) heap.free(p);
      throw error;
    }
    // Started: an idle pool must not keep a Node process alive.
    for (const worker of workers) worker.keepAlive(false);
    return new Pool(heap, module, workers, openChannel(channel), tailScratch);
  }

  /** The index of a function export, for a Call. */
  kernel(name: keyof KernelExports): number {
    const index = this.#indices.get(name);
    if (index === undefined) throw new Error(`ffwd: the module has no export ${name}`);
    return index;
  }

  /**
   * Runs every share (at most MAX_SHARES lists of calls) on whichever thread claims it first, this
   * one included, and returns when all are done.
   */
  run(shares: readonly (readonly Call[])[]): void {
    if (this.#closed) throw new Error('ffwd: this instance is closed');
    if (shares.length > MAX_SHARES) throw new RangeError(`ffwd: ${shares.length} shares in one dispatch, at most ${MAX_SHARES}`);
    const { control, slots } = this.#channel;
    shares.forEach((calls, i) => writeSlot(slots, i, calls));
    Atomics.store(control, PENDING, shares.length);
    offerShares(control, shares.length);
    Atomics.add(control, GENERATION, 1);
    wake(control, GENERATION);
    let failure: unknown;
    runShares(control, 0, this.size, (share) => {
      try {
        for (const { kernel, args } of shares[share]) this.#kernels[kernel](...args);
      } catch (error) {
        failure ??= error;
      }
    });
    const deadline = performance.now() + DISPATCH_TIMEOUT_MS;
    for (let left = Atomics.load(control, PENDING); left !== 0; left = Atomics.load(control, PENDING)) {
      waitWhile(control, PENDING, left, this.#canBlock, deadline);
    }
    if (failure !== undefined) throw failure;
    if (Atomics.exchange(control, FAILED, 0) === 1) throw new Error('ffwd: a kernel failed on a worker thread');
  }

  /** Ends the workers (they may be in the middle of nothing: calls are synchronous). */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    const { control } = this.#channel;
    Atomics.store(control, CLOSING, 1);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
    for (const p of this.#tailScratch) this.#heap.free(p);
    return Promise.all(this.#workers.map((w) => w.terminate())).then(() => undefined);
  }
}
