// How the calling thread and the workers talk: one SharedArrayBuffer holding a control block of Int32
// words and, per worker, a slot of float64s listing the export calls of its share of a dispatch. A
// dispatch writes the slots, marks each share UNCLAIMED, sets PENDING to the number of shares and bumps
// GENERATION. A worker claims its own share and runs it; the calling thread, once done with its own,
// claims and runs any share still unclaimed (a worker not scheduled yet on a busy machine costs a
// share's time, never a wait for the scheduler). Whoever finishes a share decrements PENDING. Which
// thread runs a share never changes what it computes. Waiting spins first (the next dispatch often
// comes microseconds later), then blocks with Atomics.wait where the thread may block.

export const GENERATION = 0;
export const PENDING = 1;
export const CLOSING = 2;
/** Set by a worker whose call threw; the calling thread reports it. */
export const FAILED = 3;
/** Threads blocked (or about to block) in Atomics.wait: a change wakes them only when there are some. */
const SLEEPERS = 4;
/** Then one claim word per worker share. */
const CLAIMS = 8;
export const UNCLAIMED = 0;
export const BY_WORKER = 1;
export const BY_CALLER = 2;

export const claimOf = (slot: number) => CLAIMS + slot;
const controlBytes = (workers: number) => Math.ceil((CLAIMS + workers) / 2) * 8;

/** Calls one worker runs per dispatch, and arguments per call (linear has 10 after the scratch lands). */
export const MAX_CALLS = 4;
export const MAX_ARGS = 12;
const CALL_WORDS = 2 + MAX_ARGS; // kernel index, argument count, arguments
const SLOT_WORDS = 1 + MAX_CALLS * CALL_WORDS; // call count, calls

/** One export call: the index of a function export (see kernelNames), its numeric arguments. */
export interface Call {
  kernel: number;
  args: number[];
}

export type Kernel = (...args: number[]) => void;

/** The function exports of a module, in the order both sides agree on. */
export function kernelNames(module: WebAssembly.Module): string[] {
  return WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name).sort();
}

export function channelBytes(workers: number): number {
  return controlBytes(workers) + workers * SLOT_WORDS * 8;
}

export interface Channel {
  control: Int32Array;
  slots: Float64Array;
}

export function openChannel(buffer: SharedArrayBuffer, workers: number): Channel {
  const control = controlBytes(workers);
  return { control: new Int32Array(buffer, 0, control / 4), slots: new Float64Array(buffer, control) };
}

/** Writes the calls of worker `slot` (0-based). */
export function writeSlot(slots: Float64Array, slot: number, calls: readonly Call[]): void {
  let at = slot * SLOT_WORDS;
  slots[at++] = calls.length;
  for (const { kernel, args } of calls) {
    slots[at] = kernel;
    slots[at + 1] = args.length;
    slots.set(args, at + 2);
    at += CALL_WORDS;
  }
}

/**
 * Runs the calls in worker slot `slot` (the worker side). Every call gets MAX_ARGS arguments (an
 * export ignores those past its own): spreading a subarray cost a few microseconds a call.
 */
export function runSlot({ slots }: Channel, slot: number, kernels: readonly Kernel[]): void {
  let at = slot * SLOT_WORDS;
  const count = slots[at++];
  for (let c = 0; c < count; c++, at += CALL_WORDS) {
    const a = at + 2;
    kernels[slots[at]](slots[a], slots[a + 1], slots[a + 2], slots[a + 3], slots[a + 4], slots[a + 5], slots[a + 6], slots[a + 7], slots[a + 8], slots[a + 9], slots[a + 10], slots[a + 11]);
  }
}

/** How long a thread spins before it blocks: longer than the gap between the GEMMs of a block. */
const SPIN_MS = 0.1;

/**
 * Returns once control[index] is no longer `value`. Spins for SPIN_MS, then blocks with Atomics.wait;
 * a thread that may not block (a browser page's main thread) spins until `deadline` (performance.now()).
 */
export function waitWhile(control: Int32Array, index: number, value: number, canBlock: boolean, deadline = Infinity): void {
  const spinUntil = performance.now() + SPIN_MS;
  do {
    for (let i = 0; i < 1000; i++) if (Atomics.load(control, index) !== value) return;
  } while (performance.now() < spinUntil);
  while (Atomics.load(control, index) === value) {
    if (canBlock) {
      // Counted before the last look at the value: a change made after that look sees the count (wake).
      Atomics.add(control, SLEEPERS, 1);
      Atomics.wait(control, index, value, 1000);
      Atomics.sub(control, SLEEPERS, 1);
    }
    if (performance.now() > deadline) {
      throw new Error('ffwd: the worker threads did not finish within 30 s (a worker died or is blocked)');
    }
  }
}

/**
 * Wakes the threads blocked on control[index] after a change to it, when there are any: a thread
 * that spins sees the change by itself, and Atomics.notify costs about 5 µs a call even with nobody
 * waiting (measured on Node 20 in a VM: relu over 10^5 floats on 2 threads, 27.6 → 16.2 µs a call).
 */
export function wake(control: Int32Array, index: number): void {
  if (Atomics.load(control, SLEEPERS) > 0) Atomics.notify(control, index);
}
