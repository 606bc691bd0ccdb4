// The activation table: one row per activation ties its TypeScript name, its PyTorch string id and
// its kernels together. Ffwd builds its methods from these rows, so adding an activation is a row.
import type { KernelExports } from './exports.js';
import { checkNumber } from './errors.js';
import { type Heap, Tensor } from './memory.js';
import { runElementwise } from './elementwise.js';

export interface Forward {
  (x: Tensor, out?: Tensor): Tensor;
  (x: Float32Array, out?: Float32Array): Float32Array;
}
export interface Backward {
  (x: Tensor, dy: Tensor, out?: Tensor): Tensor;
  (x: Float32Array, dy: Float32Array, out?: Float32Array): Float32Array;
}
export interface ForwardWithSlope {
  (x: Tensor, slope?: number, out?: Tensor): Tensor;
  (x: Float32Array, slope?: number, out?: Float32Array): Float32Array;
}
export interface BackwardWithSlope {
  (x: Tensor, dy: Tensor, slope?: number, out?: Tensor): Tensor;
  (x: Float32Array, dy: Float32Array, slope?: number, out?: Float32Array): Float32Array;
}

interface Row {
  /** PyTorch-style string id, as layers take it. */
  id: string;
  forward: keyof KernelExports;
  backward: keyof KernelExports;
  /** Takes a runtime parameter (the negative slope), defaulting to this value. */
  slope?: number;
}

export const ACTIVATIONS = {
  relu: { id: 'relu', forward: 'relu', backward: 'reluBackward' },
  leakyRelu: { id: 'leaky_relu', forward: 'leakyRelu', backward: 'leakyReluBackward', slope: 0.01 },
} as const satisfies Record<string, Row>;

export type ActivationName = keyof typeof ACTIVATIONS;
export type ActivationId = (typeof ACTIVATIONS)[ActivationName]['id'];

type Raw = (...args: number[]) => void;

/** Builds the public forward function of one row. */
export function forwardOf(heap: Heap, name: string, row: Row): Forward | ForwardWithSlope {
  const kernel = heap.exports[row.forward] as unknown as Raw;
  if (row.slope === undefined) {
    return ((x: unknown, out?: unknown) =>
      runElementwise(heap, name, ['x'], [x], out, ([p], y, n) => kernel(p, y, n))) as Forward;
  }
  const fallback = row.slope;
  return ((x: unknown, slope: unknown = fallback, out?: unknown) => {
    checkNumber(name, 'slope', slope);
    return runElementwise(heap, name, ['x'], [x], out, ([p], y, n) => kernel(p, y, n, slope));
  }) as ForwardWithSlope;
}

/** Builds the public backward function (dx = dy ⊙ f′(x)) of one row. */
export function backwardOf(heap: Heap, name: string, row: Row): Backward | BackwardWithSlope {
  const kernel = heap.exports[row.backward] as unknown as Raw;
  const where = `${name}Backward`;
  if (row.slope === undefined) {
    return ((x: unknown, dy: unknown, out?: unknown) =>
      runElementwise(heap, where, ['x', 'dy'], [x, dy], out, ([p, q], y, n) => kernel(p, q, y, n))) as Backward;
  }
  const fallback = row.slope;
  return ((x: unknown, dy: unknown, slope: unknown = fallback, out?: unknown) => {
    checkNumber(where, 'slope', slope);
    return runElementwise(heap, where, ['x', 'dy'], [x, dy], out, ([p, q], y, n) => kernel(p, q, y, n, slope));
  }) as BackwardWithSlope;
}
