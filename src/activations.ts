// The activation table: one row per activation ties its TypeScript name, its PyTorch string id and
// its kernels together. Ffwd builds its methods from these rows, so adding an activation is a row.
import type { KernelExports } from './exports.js';
import { checkNumber } from './errors.js';
import type { Heap, Tensor } from './memory.js';
import { type Input, type Output, runKernel } from './call.js';

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
  /** ffwd's string id, as layers take it. */
  id: string;
  /** Other names of the same function: PyTorch's and Hugging Face's (`ACT2FN`) strings. */
  aliases?: readonly string[];
  forward: keyof KernelExports;
  backward: keyof KernelExports;
  /** Takes a runtime parameter (the negative slope), defaulting to this value. */
  slope?: number;
}

// Every string here means what PyTorch and Hugging Face's ACT2FN mean by it: HF's 'gelu_fast' is the
// tanh form (factored), so it is an alias of gelu_tanh; ffwd's own fast exact GELU is 'gelu_erf_fast',
// a name no framework uses for anything else.
export const ACTIVATIONS = {
  relu: { id: 'relu', forward: 'relu', backward: 'reluBackward' },
  leakyRelu: { id: 'leaky_relu', forward: 'leakyRelu', backward: 'leakyReluBackward', slope: 0.01 },
  gelu: { id: 'gelu', aliases: ['gelu_python'], forward: 'gelu', backward: 'geluBackward' },
  geluTanh: {
    id: 'gelu_tanh',
    aliases: ['gelu_new', 'gelu_pytorch_tanh', 'gelu_python_tanh', 'gelu_accurate', 'gelu_fast'],
    forward: 'geluTanh',
    backward: 'geluTanhBackward',
  },
  geluErfFast: { id: 'gelu_erf_fast', forward: 'geluErfFast', backward: 'geluErfFastBackward' },
  gelu10: { id: 'gelu_10', forward: 'gelu10', backward: 'gelu10Backward' },
  sigmoid: { id: 'sigmoid', forward: 'sigmoid', backward: 'sigmoidBackward' },
  tanh: { id: 'tanh', forward: 'tanh', backward: 'tanhBackward' },
  silu: { id: 'silu', aliases: ['swish'], forward: 'silu', backward: 'siluBackward' },
  quickGelu: { id: 'quick_gelu', forward: 'quickGelu', backward: 'quickGeluBackward' },
} as const satisfies Record<string, Row>;

export type ActivationName = keyof typeof ACTIVATIONS;
type Rows = typeof ACTIVATIONS;
/** Every accepted string: each row's id and its aliases. */
export type ActivationId = {
  [K in ActivationName]: Rows[K]['id'] | (Rows[K] extends { aliases: readonly (infer A)[] } ? A : never);
}[ActivationName];

/** Every accepted activation string, ids first. */
export const ACTIVATION_IDS: readonly string[] = [
  ...Object.values(ACTIVATIONS).map((row) => row.id),
  ...Object.values(ACTIVATIONS).flatMap((row: Row) => row.aliases ?? []),
];

/** The row name ('geluTanh', …) of an accepted activation string, or undefined. */
export function activationName(id: unknown): ActivationName | undefined {
  for (const [name, row] of Object.entries(ACTIVATIONS) as [ActivationName, Row][]) {
    if (row.id === id || row.aliases?.includes(id as string)) return name;
  }
  return undefined;
}

/** Operands of one elementwise call: every input as long as the first. */
function operands(names: string[], values: unknown[], out: unknown): { inputs: Input[]; output: Output; n: number } {
  const first = values[0] as { length?: unknown } | null | undefined;
  const n = typeof first?.length === 'number' ? first.length : 0;
  const why = `the length of ${names[0]}`;
  const inputs = names.map((name, i) => ({ name, value: values[i], length: n, why }));
  return { inputs, output: { value: out, length: n, why }, n };
}

/** Builds the public forward function of one row. */
export function forwardOf(heap: Heap, name: string, row: Row): Forward | ForwardWithSlope {
  const run = (x: unknown, out: unknown, ...param: number[]) => {
    const { inputs, output, n } = operands(['x'], [x], out);
    return runKernel(heap, name, inputs, output, ([p], y) => heap.parallel.map(row.forward, [p], y, n, param));
  };
  if (row.slope === undefined) return ((x: unknown, out?: unknown) => run(x, out)) as Forward;
  const fallback = row.slope;
  return ((x: unknown, slope: unknown = fallback, out?: unknown) => {
    checkNumber(name, 'slope', slope);
    return run(x, out, slope);
  }) as ForwardWithSlope;
}

/** Builds the public backward function (dx = dy ⊙ f′(x)) of one row. */
export function backwardOf(heap: Heap, name: string, row: Row): Backward | BackwardWithSlope {
  const where = `${name}Backward`;
  const run = (x: unknown, dy: unknown, out: unknown, ...param: number[]) => {
    const { inputs, output, n } = operands(['x', 'dy'], [x, dy], out);
    return runKernel(heap, where, inputs, output, ([p, q], y) => heap.parallel.map(row.backward, [p, q], y, n, param));
  };
  if (row.slope === undefined) return ((x: unknown, dy: unknown, out?: unknown) => run(x, dy, out)) as Backward;
  const fallback = row.slope;
  return ((x: unknown, dy: unknown, slope: unknown = fallback, out?: unknown) => {
    checkNumber(where, 'slope', slope);
    return run(x, dy, out, slope);
  }) as BackwardWithSlope;
}
