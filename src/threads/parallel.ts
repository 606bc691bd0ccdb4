// Every kernel call of the layers goes through here: with one thread straight to the export; with a
// pool, cut by a deterministic partition (partition.ts) into shares, SHARES_PER_THREAD per thread
// that computes, each a list of export calls that whichever thread is free runs (protocol.ts).
//   GEMM, batch ≥ 4 per thread: row ranges of whole strips of 4 (a row's bits never depend on its batch).
//   GEMM, smaller batches: output panels (8 columns each); batch 1 writes its columns of y in place,
//     larger batches go through a per-share temporary whose columns this thread copies into y.
//   Norms: row ranges. Elementwise kernels: ranges of whole cache lines (16 floats).
// Each GEMM call has its own scratch (gemm-abi.ts). Below a size where a dispatch does not pay (see
// the constants), the call stays on fewer threads.
import type { KernelExports } from '../exports.js';
import type { Heap } from '../memory.js';
import { NR, gatedLinearArgs, linearArgs, panelStride, scratchBytes } from './gemm-abi.js';
import { type Range, taper } from './partition.js';
import type { Pool } from './pool.js';

/** Work per thread below which a GEMM stays on fewer threads: multiply-adds. */
export const GEMM_MACS_PER_THREAD = 1 << 16;
/**
 * Elements per thread below which an elementwise kernel or a norm stays on fewer threads. Measured
 * (Zen 5, 2 vCPU, Node 20, 2 threads ÷ 1): gelu 16 Ki elements 1.00×, 32 Ki 1.63×, 64 Ki 1.69×.
 */
export const ELEMENTS_PER_THREAD = 1 << 14;
/**
 * The same for the kernels that cost a load and a store per element and little else, bound by
 * memory from the start: relu 64 Ki 0.79×, 128 Ki 0.78×, 256 Ki 0.98×, 512 Ki 1.20×, 4 Mi 1.21×.
 */
export const CHEAP_ELEMENTS_PER_THREAD = 1 << 18;
const CHEAP: ReadonlySet<string> = new Set(['relu', 'reluBackward', 'leakyRelu', 'leakyReluBackward', 'add', 'multiply']);
/**
 * Shares per computing thread: more than one, so that a thread the scheduler runs late leaves the
 * rest of its work to the others (FFN 512/2048 batch 1 on 2 threads, see the README's threads table),
 * halving in size (partition.ts taper) so that the last ones are small.
 */
export const SHARES_PER_THREAD = 4;
const STRIP = 4;
const LINE_FLOATS = 16;

type Name = keyof KernelExports;
type Kernel = (...args: number[]) => void;

/** One export call of one thread's share. */
interface Task {
  name: Name;
  args: number[];
}

export class Parallel {
  /** Threads that compute, this one included. */
  readonly threads: number;
  readonly #heap: Heap;
  readonly #pool: Pool | null;
  /** Per share: a temporary for column ranges of more than one row (grown on demand). */
  readonly #temps: { ptr: number; bytes: number }[] = [];
  #dispatches = 0;

  constructor(heap: Heap, pool: Pool | null) {
    this.#heap = heap;
    this.#pool = pool;
    this.threads = pool?.size ?? 1;
  }

  /** Kernel calls so far that ran on more than one thread (tests and tuning read it). */
  get dispatches(): number {
    return this.#dispatches;
  }

  /** y = act(x·Wᵀ + b) + residual over packed panels of a weight dtype (the export's contract). */
  linear(x: number, packed: number, y: number, batch: number, inF: number, outF: number, act: number, param: number, residual: number, dtype: number): void {
    const parts = this.#parts(batch * inF * outF, GEMM_MACS_PER_THREAD);
    if (parts === 1) {
      return this.#withScratch([batch], inF, dtype, ([s]) => this.#direct('linear', linearArgs(x, packed, y, batch, inF, outF, act, param, residual, s, dtype)));
    }
    if (batch >= STRIP * parts) {
      const rows = this.#shares(batch, parts, STRIP);
      return this.#withScratch(rows.map((r) => r.count), inF, dtype, (scratch) => this.#dispatch(rows.map(({ start, count }, t) => [{
        name: 'linear',
        args: linearArgs(x + start * inF * 4, packed, y + start * outF * 4, count, inF, outF, act, param,
          residual === 0 ? 0 : residual + start * outF * 4, scratch[t], dtype),
      }])));
    }
    const ranges = this.#panels(outF, parts, batch);
    const stride = panelStride(this.#heap.exports, inF, dtype);
    const direct = batch === 1;
    const outs = ranges.map(({ start, count }, t) => (direct ? y + start * NR * 4 : this.#temp(t, batch * columnsOf(start, count, outF)[1] * 4)));
    this.#withScratch(ranges.map(() => batch), inF, dtype, (scratch) => this.#dispatch(ranges.map(({ start, count }, t) => [{
      name: 'linear',
      args: linearArgs(x, packed + start * stride, outs[t], batch, inF, columnsOf(start, count, outF)[1], act, param,
        direct && residual !== 0 ? residual + start * NR * 4 : 0, scratch[t], dtype),
    }])));
    if (direct) return;
    this.#gatherColumns(ranges, y, batch, outF);
    // The epilogue adds the residual after the activation: the same add, on the gathered rows.
    if (residual !== 0) this.#direct('add', [y, residual, y, batch * outF]);
  }

  /** h = act(x·Gᵀ + b_g) ⊙ (x·Uᵀ + b_u), ws the [gate | up] workspace (the export's contract). */
  gatedLinear(x: number, packed: number, ws: number, h: number, batch: number, inF: number, hidden: number, act: number, param: number, dtype: number): void {
    const parts = this.#parts(batch * inF * hidden * 2, GEMM_MACS_PER_THREAD);
    if (parts === 1) {
      return this.#withScratch([batch], inF, dtype, ([s]) => this.#direct('gatedLinear', gatedLinearArgs(x, packed, ws, h, batch, inF, hidden, act, param, s, dtype)));
    }
    if (batch >= STRIP * parts) {
      const wsRow = 2 * NR * Math.ceil(hidden / NR) * 4;
      const rows = this.#shares(batch, parts, STRIP);
      return this.#withScratch(rows.map((r) => r.count), inF, dtype, (scratch) => this.#dispatch(rows.map(({ start, count }, t) => [{
        name: 'gatedLinear',
        args: gatedLinearArgs(x + start * inF * 4, packed, ws + start * wsRow, h + start * hidden * 4, count, inF, hidden, act, param, scratch[t], dtype),
      }])));
    }
    // Gate and up panels of the same columns from their two halves of `packed`: the gate activated
    // by linear's epilogue, then the product, as gatedLinear's epilogue does on its rows.
    const ranges = this.#panels(hidden, parts, batch);
    const stride = panelStride(this.#heap.exports, inF, dtype);
    const upPanels = packed + Math.ceil(hidden / NR) * stride;
    const direct = batch === 1;
    const temps = ranges.map(({ start, count }, t) => this.#temp(t, 2 * batch * columnsOf(start, count, hidden)[1] * 4));
    this.#withScratch(ranges.map(() => batch), inF, dtype, (scratch) => this.#dispatch(ranges.map(({ start, count }, t) => {
      const [c0, cols] = columnsOf(start, count, hidden);
      const n = batch * cols;
      const [gate, up] = [temps[t], temps[t] + n * 4];
      return [
        { name: 'linear', args: linearArgs(x, packed + start * stride, gate, batch, inF, cols, act, param, 0, scratch[t], dtype) },
        { name: 'linear', args: linearArgs(x, upPanels + start * stride, up, batch, inF, cols, 0, 0, 0, scratch[t], dtype) },
        { name: 'multiply', args: [gate, up, direct ? h + c0 * 4 : gate, n] },
      ];
    })));
    if (!direct) this.#gatherColumns(ranges, h, batch, hidden);
  }

  /** layerNorm or rmsNorm over `rows` rows of n floats: `rest` are the export's arguments after n. */
  norm(kernel: 'layerNorm' | 'rmsNorm', x: number, y: number, rows: number, n: number, rest: number[]): void {
    const parts = Math.max(1, Math.min(rows, this.#parts(rows * n, ELEMENTS_PER_THREAD)));
    this.#dispatch(this.#shares(rows, parts).map(({ start, count }) =>
      [{ name: kernel, args: [x + start * n * 4, y + start * n * 4, count, n, ...rest] }]));
  }

  /** An elementwise kernel: kernel(...inputs, y, n, ...params), every operand n floats. */
  map(kernel: Name, inputs: number[], y: number, n: number, params: number[]): void {
    const parts = this.#parts(n, CHEAP.has(kernel) ? CHEAP_ELEMENTS_PER_THREAD : ELEMENTS_PER_THREAD);
    this.#dispatch(this.#shares(n, parts, LINE_FLOATS).map(({ start, count }) =>
      [{ name: kernel, args: [...inputs.map((p) => p + start * 4), y + start * 4, count, ...params] }]));
  }

  /** Gives back the temporaries (the pool is closed by its owner). */
  free(): void {
    for (const block of this.#temps) {
      if (block.ptr !== 0) this.#heap.free(block.ptr);
      block.ptr = 0;
      block.bytes = 0;
    }
  }

  /** How many threads `work` units deserve at `perThread` units each (1 … threads). */
  #parts(work: number, perThread: number): number {
    return Math.max(1, Math.min(this.threads, Math.floor(work / perThread)));
  }

  /** The shares of `total` units for `parts` computing threads (one thread: one share, run here without a dispatch). */
  #shares(total: number, parts: number, grain = 1): Range[] {
    return taper(total, parts, parts === 1 ? 1 : SHARES_PER_THREAD, grain);
  }

  /** Panel ranges of outF columns for `parts` threads; one row runs three panels at a time (the 1×24 tile). */
  #panels(outF: number, parts: number, batch: number): Range[] {
    return this.#shares(Math.ceil(outF / NR), parts, batch === 1 ? 3 : 1);
  }

  /** Copies each range's [batch, cols] temporary into its columns of y[batch, width]. */
  #gatherColumns(ranges: Range[], y: number, batch: number, width: number): void {
    const memory = new Float32Array(this.#heap.buffer);
    ranges.forEach(({ start, count }, t) => {
      const [c0, cols] = columnsOf(start, count, width);
      const from = this.#temps[t].ptr / 4;
      for (let r = 0; r < batch; r++) memory.copyWithin(y / 4 + r * width + c0, from + r * cols, from + (r + 1) * cols);
    });
  }

  /** Runs `gemm` with a scratch per call (rows[t] rows of inF floats each; 0 where none is needed), freed after. */
  #withScratch(rows: number[], inF: number, dtype: number, gemm: (scratch: number[]) => void): void {
    const scratch: number[] = [];
    try {
      for (const count of rows) {
        const bytes = scratchBytes(this.#heap.exports, count, inF, dtype);
        scratch.push(bytes === 0 ? 0 : this.#heap.alloc(bytes));
      }
      gemm(scratch);
    } finally {
      for (const p of scratch) if (p !== 0) this.#heap.free(p);
    }
  }

  #direct(name: Name, args: number[]): void {
    this.#heap.checkOpen();
    (this.#heap.exports[name] as unknown as Kernel)(...args);
  }

  /** Runs the shares on the pool; one share (or none: n = 0) runs here without a dispatch. */
  #dispatch(shares: Task[][]): void {
    if (shares.length <= 1) {
      for (const { name, args } of shares[0] ?? []) this.#direct(name, args);
      return;
    }
    this.#heap.checkOpen();
    this.#dispatches++;
    const pool = this.#pool!;
    pool.run(shares.map((tasks) => tasks.map(({ name, args }) => ({ kernel: pool.kernel(name), args }))));
  }

  /** Share t's temporary of at least `bytes`; grown here, on the calling thread (the allocator's). */
  #temp(t: number, bytes: number): number {
    const block = (this.#temps[t] ??= { ptr: 0, bytes: 0 });
    if (block.bytes < bytes) {
      if (block.ptr !== 0) this.#heap.free(block.ptr);
      block.ptr = 0;
      block.bytes = 0;
      block.ptr = this.#heap.alloc(bytes);
      block.bytes = bytes;
    }
    return block.ptr;
  }
}

/** The first column and the column count of a panel range, clipped to `width`. */
function columnsOf(start: number, count: number, width: number): [number, number] {
  const c0 = start * NR;
  return [c0, Math.min(width, (start + count) * NR) - c0];
}
