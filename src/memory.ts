// WASM memory as seen from JavaScript: allocation with clear errors, and Tensors whose views
// survive memory growth.
import type { KernelExports } from './exports.js';
import { checkInteger, describe } from './errors.js';
import { Parallel } from './threads/parallel.js';

/** Largest number of float32 elements one Tensor may hold (the 4 GiB wasm32 address space). */
export const MAX_ELEMENTS = 2 ** 30 - 16;

/** One instance's memory: its exports, allocation, the threads its kernels run on. */
export class Heap {
  readonly exports: KernelExports;
  readonly maxMemory: number;
  /** Every kernel call of the layers goes through this (one thread, or a pool's partitions). */
  parallel: Parallel;
  #closed = false;
  readonly #live = new FinalizationRegistry<number>((ptr) => this.#closed || this.exports.free(ptr));

  constructor(exports: KernelExports, maxMemory: number) {
    this.exports = exports;
    this.maxMemory = maxMemory;
    exports.setMemoryLimit(maxMemory);
    this.parallel = new Parallel(this, null);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** After this every allocation and kernel call throws (Ffwd.close). */
  close(): void {
    this.#closed = true;
  }

  checkOpen(): void {
    if (this.#closed) throw new Error('ffwd: this instance is closed (ffwd.close() was called); call init() for a new one');
  }

  get buffer(): ArrayBuffer {
    return this.exports.memory.buffer as ArrayBuffer;
  }

  /** Allocates `bytes` (64-byte aligned) or throws a RangeError naming the request and the limit. */
  alloc(bytes: number): number {
    this.checkOpen();
    const ptr = this.exports.alloc(bytes) >>> 0;
    if (ptr === 0) {
      throw new RangeError(
        `ffwd: out of memory: cannot allocate ${bytes} bytes; the memory limit is ${this.maxMemory} bytes ` +
          `(init option maxMemory) and ${this.exports.heapSize()} bytes are held`,
      );
    }
    return ptr;
  }

  free(ptr: number): void {
    if (!this.#closed) this.exports.free(ptr);
  }

  /** Registers a tensor so that its block is freed if it is garbage-collected unfreed. */
  track(tensor: Tensor, ptr: number): void {
    this.#live.register(tensor, ptr, tensor);
  }

  untrack(tensor: Tensor): void {
    this.#live.unregister(tensor);
  }
}

/**
 * A float32 array that lives in WASM memory. Kernels read and write it in place: passing a Tensor
 * copies nothing. `data` is a view that is rebuilt whenever memory has grown, so it never detaches
 * while the Tensor is alive (a view kept in a variable across a growth does: read `data` again).
 */
export class Tensor {
  readonly length: number;
  readonly heap: Heap;
  #ptr: number;
  /** False for a view of memory that something else owns (a safetensors file's bytes). */
  readonly #owns: boolean;
  #view: Float32Array | null = null;

  /** A new block of `length` floats, or with `at`, a view of the floats at that address (not owned). */
  constructor(heap: Heap, length: number, at?: number) {
    checkInteger('tensor', 'length', length, 0, MAX_ELEMENTS);
    this.heap = heap;
    this.length = length;
    this.#owns = at === undefined;
    this.#ptr = at ?? heap.alloc(length * 4);
    if (this.#owns) heap.track(this, this.#ptr);
  }

  /** Byte address in WASM memory; throws once freed. */
  get ptr(): number {
    if (this.#ptr === 0) throw new TypeError('ffwd: this Tensor was freed and cannot be used');
    return this.#ptr;
  }

  get freed(): boolean {
    return this.#ptr === 0;
  }

  get data(): Float32Array {
    const buffer = this.heap.buffer;
    if (this.#view === null || this.#view.buffer !== buffer) {
      this.#view = new Float32Array(buffer, this.ptr, this.length);
    }
    return this.#view;
  }

  /** Gives the memory back (a view only stops being usable). Freeing twice is harmless; any other use afterwards throws. */
  free(): void {
    if (this.#ptr === 0) return;
    if (this.#owns) {
      this.heap.untrack(this);
      this.heap.free(this.#ptr);
    }
    this.#ptr = 0;
    this.#view = null;
  }

  [Symbol.dispose](): void {
    this.free();
  }

  toString(): string {
    return this.#ptr === 0 ? 'Tensor(freed)' : `Tensor(${this.length})`;
  }
}

/** Throws unless `value` is a live Tensor of this heap. */
export function checkTensor(where: string, name: string, value: unknown, heap: Heap): asserts value is Tensor {
  if (!(value instanceof Tensor)) {
    throw new TypeError(`${where}: ${name} must be a Tensor, got ${describe(value)}`);
  }
  if (value.freed) throw new TypeError(`${where}: ${name} is a Tensor that was freed`);
  if (value.heap !== heap) {
    throw new TypeError(`${where}: ${name} is a Tensor of another ffwd instance; each instance has its own memory`);
  }
}
