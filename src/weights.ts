// Weights as callers give them (a Tensor, a Float32Array or an array of numbers) handed to kernels
// as a pointer into WASM memory.
import { checkLength, describe, isDetached } from './errors.js';
import { type Heap, Tensor, checkTensor } from './memory.js';

export type Weights = Tensor | Float32Array | ArrayLike<number>;

/** Hands `use` a pointer to `weights` (`length` floats): a Tensor's own, or a temporary copy of an array. */
export function withWeights(heap: Heap, where: string, name: string, weights: unknown, length: number, why: string, use: (ptr: number) => void) {
  if (weights instanceof Tensor) {
    checkTensor(where, name, weights, heap);
    checkLength(where, name, weights.length, length, why);
    return use(weights.ptr);
  }
  if (weights === null || typeof weights !== 'object' || typeof (weights as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`${where}: ${name} must be a Tensor, a Float32Array or an array of numbers, got ${describe(weights)}`);
  }
  // A detached array reads as length 0: say so rather than that its length is wrong.
  if (ArrayBuffer.isView(weights) && isDetached(weights)) {
    throw new TypeError(`${where}: ${name} is a ${weights.constructor.name} whose ArrayBuffer is detached`);
  }
  checkLength(where, name, (weights as ArrayLike<number>).length, length, why);
  // A copy first when the array is a view of WASM memory: the allocation may grow (and detach) it.
  const values = weights instanceof Float32Array && weights.buffer !== heap.buffer ? weights : Float32Array.from(weights as ArrayLike<number>);
  const ptr = heap.alloc(length * 4);
  try {
    new Float32Array(heap.buffer, ptr, length).set(values);
    use(ptr);
  } finally {
    heap.free(ptr);
  }
}
