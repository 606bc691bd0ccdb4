// The call forms every kernel shares:
//   f(x: Tensor, …, out?: Tensor)               zero-copy; out may be x (in place); returns out or a new Tensor
//   f(x: Float32Array, …, out?: Float32Array)   convenient path: copied into WASM memory and back
// All operands of one call are of the same kind; each has a length fixed by the call's shapes.
import { checkFloat32Array, checkLength, describe } from './errors.js';
import { type Heap, MAX_ELEMENTS, Tensor, checkTensor } from './memory.js';

/** Runs on the operands' pointers: `pointers[i]` for input i, `out` for the output. */
export type Kernel = (pointers: number[], out: number) => void;

export type Operand = Tensor | Float32Array;

export interface Input {
  name: string;
  value: unknown;
  /** The length the call's shapes require. */
  length: number;
  /** How to say where the length comes from, e.g. 'the length of x' or 'batch · inFeatures'. */
  why: string;
}

/** The output operand: `value` is the caller's `out` (or undefined for a new one). */
export type Output = Omit<Input, 'name'>;

export function runKernel(heap: Heap, where: string, inputs: Input[], output: Output, kernel: Kernel): Operand {
  heap.checkOpen();
  const { value: out, length: outLength, why: outWhy } = output;
  const first = inputs[0];
  if (first.value instanceof Tensor) {
    for (const input of inputs) {
      checkTensor(where, input.name, input.value, heap);
      checkLength(where, input.name, input.value.length, input.length, input.why);
    }
    let target: Tensor;
    if (out === undefined) {
      target = new Tensor(heap, outLength);
    } else {
      checkTensor(where, 'out', out, heap);
      checkLength(where, 'out', out.length, outLength, outWhy);
      target = out;
    }
    kernel(inputs.map((input) => (input.value as Tensor).ptr), target.ptr);
    return target;
  }

  if (!(first.value instanceof Float32Array)) {
    throw new TypeError(`${where}: ${first.name} must be a Tensor or a Float32Array, got ${describe(first.value)}`);
  }
  for (const input of inputs) {
    checkFloat32Array(where, input.name, input.value);
    checkLength(where, input.name, input.value.length, input.length, input.why);
  }
  if (out !== undefined) {
    if (out instanceof Tensor) {
      throw new TypeError(`${where}: out must be a Float32Array when ${first.name} is a Float32Array, got Tensor`);
    }
    checkFloat32Array(where, 'out', out);
    checkLength(where, 'out', out.length, outLength, outWhy);
  }
  const arrays = inputs.map((input) => input.value as Float32Array);
  const total = arrays.reduce((sum, a) => sum + a.length, outLength);
  if (total > MAX_ELEMENTS) throw new RangeError(`${where}: the operands need ${total} floats, more than ${MAX_ELEMENTS}`);

  // Views of this instance's own memory detach if the allocation below grows it: note where they
  // point so they can be rebuilt on the new buffer.
  const offsetInHeap = (a: Float32Array) => (a.buffer === heap.buffer ? a.byteOffset : -1);
  const offsets = arrays.map(offsetInHeap);
  const outOffset = out === undefined ? -1 : offsetInHeap(out as Float32Array);
  const reattach = (a: Float32Array, offset: number) => (offset < 0 ? a : new Float32Array(heap.buffer, offset, a.length));

  // One block holds every input, then the output.
  const base = heap.alloc(total * 4);
  try {
    const memory = new Float32Array(heap.buffer);
    const pointers: number[] = [];
    let at = base;
    arrays.forEach((a, i) => {
      memory.set(reattach(a, offsets[i]), at / 4);
      pointers.push(at);
      at += a.length * 4;
    });
    kernel(pointers, at);
    const result = new Float32Array(heap.buffer, at, outLength);
    if (out === undefined) return result.slice();
    reattach(out as Float32Array, outOffset).set(result);
    return out as Float32Array;
  } finally {
    heap.free(base);
  }
}
