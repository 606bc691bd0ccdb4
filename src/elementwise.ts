// The call forms every elementwise kernel shares:
//   f(x: Tensor, out?: Tensor)               zero-copy; out may be x (in place); returns out or a new Tensor
//   f(x: Float32Array, out?: Float32Array)   convenient path: copied into WASM memory and back
// and for backward kernels f(x, dy, out?) with x and dy of the same kind and length.
import { checkFloat32Array, checkLength, describe } from './errors.js';
import { Heap, MAX_ELEMENTS, Tensor, checkTensor } from './memory.js';

/** A kernel over `inputs.length` input pointers and one output pointer, all of n elements. */
export type Kernel = (pointers: number[], out: number, n: number) => void;

export type Operand = Tensor | Float32Array;

export function runElementwise(
  heap: Heap,
  where: string,
  names: readonly string[],
  inputs: readonly unknown[],
  out: unknown,
  kernel: Kernel,
): Operand {
  const first = inputs[0];
  if (first instanceof Tensor) {
    inputs.forEach((t, i) => checkTensor(where, names[i], t, heap));
    const n = first.length;
    for (let i = 1; i < inputs.length; i++) {
      checkLength(where, names[i], (inputs[i] as Tensor).length, n, `the length of ${names[0]}`);
    }
    let target: Tensor;
    if (out === undefined) {
      target = new Tensor(heap, n);
    } else {
      checkTensor(where, 'out', out, heap);
      checkLength(where, 'out', out.length, n, `the length of ${names[0]}`);
      target = out;
    }
    kernel((inputs as Tensor[]).map((t) => t.ptr), target.ptr, n);
    return target;
  }

  if (!(first instanceof Float32Array)) {
    throw new TypeError(`${where}: ${names[0]} must be a Tensor or a Float32Array, got ${describe(first)}`);
  }
  inputs.forEach((a, i) => checkFloat32Array(where, names[i], a));
  const arrays = inputs as Float32Array[];
  const n = first.length;
  if (n > MAX_ELEMENTS) throw new RangeError(`${where}: ${names[0]} has ${n} elements, more than ${MAX_ELEMENTS}`);
  for (let i = 1; i < arrays.length; i++) {
    checkLength(where, names[i], arrays[i].length, n, `the length of ${names[0]}`);
  }
  if (out !== undefined) {
    if (out instanceof Tensor) {
      throw new TypeError(`${where}: out must be a Float32Array when ${names[0]} is a Float32Array, got Tensor`);
    }
    checkFloat32Array(where, 'out', out);
    checkLength(where, 'out', out.length, n, `the length of ${names[0]}`);
  }

  // Views of this instance's own memory detach if the allocation below grows it: note where they
  // point so they can be rebuilt on the new buffer.
  const offsetInHeap = (a: Float32Array) => (a.buffer === heap.buffer ? a.byteOffset : -1);
  const offsets = arrays.map(offsetInHeap);
  const outOffset = out === undefined ? -1 : offsetInHeap(out as Float32Array);
  const reattach = <T extends Float32Array>(a: T, offset: number) =>
    offset < 0 ? a : new Float32Array(heap.buffer, offset, n);

  // One block holds every input and the output; the kernel runs in place on the first input's copy.
  const bytes = n * 4;
  const base = heap.alloc(bytes * arrays.length);
  try {
    const memory = new Float32Array(heap.buffer);
    arrays.forEach((a, i) => memory.set(reattach(a, offsets[i]), (base + i * bytes) / 4));
    kernel(arrays.map((_, i) => base + i * bytes), base, n);
    const result = new Float32Array(heap.buffer, base, n);
    if (out === undefined) return result.slice();
    reattach(out as Float32Array, outOffset).set(result);
    return out as Float32Array;
  } finally {
    heap.free(base);
  }
}
