// A float32 buffer in WASM memory between canaries: tests of the raw ABI check that a kernel reads
// and writes nothing outside its buffers.
import type { KernelExports } from '../src/exports.js';

export const CANARY = 16; // sentinel floats before and after every buffer

export class Guarded {
  readonly base: number;
  readonly ptr: number;
  readonly #sentinel: number;

  /** n floats after `offsetFloats` extra floats (to misalign), between canaries holding `sentinel`'s bits. */
  constructor(readonly e: KernelExports, readonly n: number, offsetFloats = 0, sentinel = Math.fround(-1.2345678e-29)) {
    this.base = e.alloc((n + 2 * CANARY + offsetFloats) * 4) >>> 0;
    this.ptr = this.base + (CANARY + offsetFloats) * 4;
    this.#sentinel = new Uint32Array(new Float32Array([sentinel]).buffer)[0];
    new Uint32Array(e.memory.buffer, this.base, n + 2 * CANARY + offsetFloats).fill(this.#sentinel);
  }
  get data() { return new Float32Array(this.e.memory.buffer, this.ptr, this.n); }
  set(values: ArrayLike<number>) { this.data.set(values); return this; }
  canariesIntact() {
    const before = new Uint32Array(this.e.memory.buffer, this.ptr - CANARY * 4, CANARY);
    const after = new Uint32Array(this.e.memory.buffer, this.ptr + this.n * 4, CANARY);
    return before.every((v) => v === this.#sentinel) && after.every((v) => v === this.#sentinel);
  }
  free() { this.e.free(this.base); }
}
