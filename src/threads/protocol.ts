// How the calling thread and the workers talk: one SharedArrayBuffer holding a control block of Int32
// words and, per share of a dispatch, a slot of float64s listing its export calls. A dispatch cuts its
// work into a few shares per thread, writes their slots, sets PENDING to their count, marks them
// UNCLAIMED and bumps GENERATION. Every thread, the calling one included, then claims shares one at a
// time, first the contiguous run it owns, then any other still unclaimed: a worker the scheduler runs
// late, or slower, leaves its last shares to the others instead of making them wait (on a 2-vCPU VM a
// vCPU stalls for hundreds of microseconds now and then). Whoever finishes a share decrements PENDING.
// Which thread runs a share never changes what it computes. Waiting spins first (the next dispatch
// often comes microseconds later), then blocks with Atomics.wait where the thread may block.

export const GENERATION = 0;
export const PENDING = 1;
export const CLOSING = 2;
/** Set by a worker whose call threw; the calling thread reports it. */
export const FAILED = 3;
/** Threads blocked (or about to block) in Atomics.wait: a change wakes them only when there are some. */
const SLEEPERS = 4;
/** Shares of the current dispatch. */
const SHARES = 5;
/** Then one claim word per share. */
const CLAIMS = 8;
const UNCLAIMED = 0;
const CLAIMED = 1;

/** Shares per dispatch at most (a few per thread for up to 8 threads). */
export const MAX_SHARES = 32;
/** Calls one share makes, and arguments per call (linear has 11). */
export const MAX_CALLS = 4;
export const MAX_ARGS = 12;
const CALL_WORDS = 2 + MAX_ARGS; // kernel index, argument count, arguments
const SLOT_WORDS = 1 + MAX_CALLS * CALL_WORDS; // call count, calls
const CONTROL_BYTES = Math.ceil((CLAIMS + MAX_SHARES) / 2) * 8;

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

export const CHANNEL_BYTES = CONTROL_BYTES + MAX_SHARES * SLOT_WORDS * 8;

export interface Channel {
  control: Int32Array;
  slots: Float64Array;
}

export function openChannel(buffer: SharedArrayBuffer): Channel {
  return { control: new Int32Array(buffer, 0, CONTROL_BYTES / 4), slots: new Float64Array(buffer, CONTROL_BYTES) };
}

/** Writes the calls of share `share`. */
export function writeSlot(slots: Float64Array, share: number, calls: readonly Call[]): void {
  let at = share * SLOT_WORDS;
  slots[at++] = calls.length;
  for (const { kernel, args } of calls) {
    slots[at] = kernel;
    slots[at + 1] = args.length;
    slots.set(args, at + 2);
    at += CALL_WORDS;
  }
}

/**
 * Runs the calls of share `share` (the worker side). Every call gets MAX_ARGS arguments (an export
 * ignores those past its own): spreading a subarray cost a few microseconds a call.
 */
export function runSlot({ slots }: Channel, share: number, kernels: readonly Kernel[]): void {
  let at = share * SLOT_WORDS;
  const count = slots[at++];
  for (let c = 0; c < count; c++, at += CALL_WORDS) {
    const a = at + 2;
    kernels[slots[at]](slots[a], slots[a + 1], slots[a + 2], slots[a + 3], slots[a + 4], slots[a + 5], slots[a + 6], slots[a + 7], slots[a + 8], slots[a + 9], slots[a + 10], slots[a + 11]);
  }
}

/**
 * Marks shares 0 … count − 1 UNCLAIMED and says there are `count` (the claim words past them stay
 * CLAIMED, as every share of an earlier dispatch was claimed). After their slots and PENDING are
 * written: a worker still in the previous dispatch's runShares may claim one the moment it is
 * UNCLAIMED, and must find its calls and a PENDING that counts it.
 */
export function offerShares(control: Int32Array, count: number): void {
  Atomics.store(control, SHARES, count);
  for (let i = 0; i < count; i++) Atomics.store(control, CLAIMS + i, UNCLAIMED);
}

/** Marks every share CLAIMED: a new channel has nothing to run. */
export function claimAll(control: Int32Array): void {
  for (let i = 0; i < MAX_SHARES; i++) Atomics.store(control, CLAIMS + i, CLAIMED);
}

/**
 * Claims and runs shares until none is left unclaimed: thread `thread` of `threads` starts at the
 * contiguous run it owns (neighbouring shares read neighbouring weights), then goes on, in turn,
 * through the others'. Each finished share decrements PENDING; the last wakes whoever sleeps on it.
 */
export function runShares(control: Int32Array, thread: number, threads: number, run: (share: number) => void): void {
  const count = Atomics.load(control, SHARES);
  const first = Math.floor((thread * count) / threads);
  for (let i = 0; i < count; i++) {
    const share = (first + i) % count;
    if (Atomics.compareExchange(control, CLAIMS + share, UNCLAIMED, CLAIMED) !== UNCLAIMED) continue;
    run(share);
    if (Atomics.sub(control, PENDING, 1) === 1) wake(control, PENDING);
  }
}

/**
 * How long a thread spins before it blocks: longer than the gap between the GEMMs of a block and
 * than a worker that finished first waits for the next call. Waking a blocked thread costs tens to
 * hundreds of µs in a VM. 1 ms against 0.1 (bench/threads-ab.js, AMD Zen 3, 2 vCPU, Node 20, both
 * builds, 3 runs): FFN 512/2048 batch 1 +0–17 %, batch 8 +4–26 %, batch 128 +3–5 %, GELU 1M +6–12 %.
 */
const SPIN_MS = 1;

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
