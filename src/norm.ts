// LayerNorm and RMSNorm (assembly/norm.ts): the `Norm` a sublayer holds, its parameters copied into
// WASM memory once, and the one-shot `ffwd.layerNorm` / `ffwd.rmsNorm` with the call forms of every
// kernel (a Tensor's weights are used where they lie, arrays are copied for the call).
import { type Operand, runKernel } from './call.js';
import { checkInteger, checkNumber, describe } from './errors.js';
import type { Storage } from './linear.js';
import { type Heap, MAX_ELEMENTS, Tensor } from './memory.js';
import { type Weights, withWeights } from './weights.js';

export type NormKind = 'layer' | 'rms';

export interface NormOptions {
  /** rowLength values (default: none, i.e. ones). */
  weight?: Weights | null;
  /** rowLength values, LayerNorm only (default: none). */
  bias?: Weights | null;
  /** Added to the variance (LayerNorm) or the mean square (RMSNorm) under the root; default 1e-5. */
  eps?: number;
  /** RMSNorm only: the factor is offset + weight, 0 (LLaMA, T5) or 1 (Gemma's 1 + w); default 0. */
  offset?: 0 | 1;
}

export interface NormSpec extends NormOptions {
  kind: NormKind;
  /** Row length: the normalised dimension. */
  n: number;
}

export const DEFAULT_EPS = 1e-5;

interface Checked {
  kind: NormKind;
  eps: number;
  offset: 0 | 1;
  weight: Weights | null;
  bias: Weights | null;
}

/** Validates the options of a norm of `kind` (the `kind` of a NormSpec is checked by the caller). */
function checkOptions(where: string, kind: NormKind, options: unknown): Checked {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  const { weight = null, bias = null, eps = DEFAULT_EPS, offset } = options as NormOptions;
  checkNumber(where, 'options.eps', eps);
  if (!(eps >= 0 && eps < Infinity)) {
    throw new RangeError(`${where}: options.eps must be a finite number ≥ 0, got ${eps}`);
  }
  if (kind === 'layer') {
    if (offset !== undefined) {
      throw new TypeError(`${where}: options.offset is for RMSNorm only, got ${describe(offset)} for a LayerNorm`);
    }
  } else {
    if (bias !== null) throw new TypeError(`${where}: options.bias is for LayerNorm only; RMSNorm has no bias, got ${describe(bias)}`);
    if (offset !== undefined && offset !== 0 && offset !== 1) {
      throw new RangeError(`${where}: options.offset must be 0 or 1, got ${describe(offset)}`);
    }
  }
  return { kind, eps, offset: offset ?? 0, weight, bias };
}

/** The kernel on raw pointers: x, y, rows, weight, bias (0 for none). */
function kernelOf(heap: Heap, n: number, { kind, eps, offset }: Checked) {
  return kind === 'layer'
    ? (x: number, y: number, rows: number, w: number, b: number) => heap.parallel.norm('layerNorm', x, y, rows, n, [w, b, eps])
    : (x: number, y: number, rows: number, w: number) => heap.parallel.norm('rmsNorm', x, y, rows, n, [w, eps, offset]);
}

/** Hands `use` the pointers of the weight and bias (0 where there is none); `nName` names their length. */
function withParameters(heap: Heap, where: string, n: number, nName: string, c: Checked, use: (w: number, b: number) => void) {
  const withOne = (name: string, value: Weights | null, then: (p: number) => void) =>
    value === null ? then(0) : withWeights(heap, where, name, value, n, nName, then);
  withOne('weight', c.weight, (w) => withOne('bias', c.bias, (b) => use(w, b)));
}

/** The number of rows of rowLength in x (a wrong type of x is left to runKernel to report). */
function rowsOf(where: string, x: unknown, rowLength: number, nName: string): number {
  const length = x instanceof Tensor || x instanceof Float32Array ? x.length : 0;
  if (length % rowLength !== 0) {
    throw new RangeError(`${where}: x has length ${length}, expected a multiple of ${nName} (${rowLength})`);
  }
  return length / rowLength;
}

/** runKernel over whole rows: out as long as x. */
function runRows(
  heap: Heap, where: string, x: unknown, rowLength: number, nName: string, out: unknown,
  kernel: (x: number, y: number, rows: number) => void,
): Operand {
  const rows = rowsOf(where, x, rowLength, nName);
  const length = rows * rowLength;
  return runKernel(heap, where, [{ name: 'x', value: x, length, why: 'the length of x' }],
    { value: out, length, why: 'the length of x' }, ([p], y) => kernel(p, y, rows));
}

/** ffwd.layerNorm and ffwd.rmsNorm: everything is checked before the kernel runs. */
export function normalise(heap: Heap, where: string, kind: NormKind, x: unknown, rowLength: unknown, options: unknown, out: unknown): Operand {
  checkInteger(where, 'rowLength', rowLength, 1, MAX_ELEMENTS);
  const c = checkOptions(where, kind, options);
  rowsOf(where, x, rowLength, 'rowLength');
  const kernel = kernelOf(heap, rowLength, c);
  let result!: Operand;
  withParameters(heap, where, rowLength, 'rowLength', c, (w, b) => {
    result = runRows(heap, where, x, rowLength, 'rowLength', out, (p, y, rows) => kernel(p, y, rows, w, b));
  });
  return result;
}

export type LayerNormOptions = Omit<NormOptions, 'offset'>;
export type RmsNormOptions = Omit<NormOptions, 'bias'>;

/**
 * A saved norm's parameters (src/saved.ts), taken instead of copying `weight` and `bias`: a view of
 * them at `at` (weight then bias; not owned), or without `at` a new block the caller fills.
 */
export interface SavedParameters {
  at?: number;
  hasWeight: boolean;
  hasBias: boolean;
}

/**
 * A LayerNorm or RMSNorm over rows of n floats whose weight and bias were copied into WASM memory
 * when it was made (the originals may be freed); `run` applies it on raw pointers, as Linear.run does.
 */
export class Norm {
  readonly kind: NormKind;
  readonly n: number;
  readonly eps: number;
  readonly offset: 0 | 1;
  readonly hasWeight: boolean;
  readonly hasBias: boolean;
  readonly #heap: Heap;
  readonly #kernel: (x: number, y: number, rows: number, w: number, b: number) => void;
  readonly #bytes: number;
  /** One block: the weight, then the bias (0 when the norm has neither). */
  #block: number;
  readonly #owned: boolean;
  #freed = false;

  /** `saved` (ffwd.load's path): take those parameters instead of copying `spec.weight` and `spec.bias`. */
  constructor(heap: Heap, spec: NormSpec, where = 'Norm', saved?: SavedParameters) {
    heap.checkOpen(); // a norm without weight or bias allocates nothing that would say so
    if (spec === null || typeof spec !== 'object') {
      throw new TypeError(`${where}: options must be an object, got ${describe(spec)}`);
    }
    const { kind, n } = spec;
    if (kind !== 'layer' && kind !== 'rms') {
      throw new TypeError(`${where}: kind must be 'layer' or 'rms', got ${describe(kind)}`);
    }
    checkInteger(where, 'n', n, 1, MAX_ELEMENTS);
    const c = checkOptions(where, kind, spec);
    this.#heap = heap;
    this.kind = kind;
    this.n = n;
    this.eps = c.eps;
    this.offset = c.offset;
    this.hasWeight = saved?.hasWeight ?? c.weight !== null;
    this.hasBias = saved?.hasBias ?? c.bias !== null;
    this.#kernel = kernelOf(heap, n, c);
    this.#bytes = ((this.hasWeight ? n : 0) + (this.hasBias ? n : 0)) * 4;
    this.#owned = saved?.at === undefined && this.#bytes !== 0;
    this.#block = this.#bytes === 0 ? 0 : saved?.at ?? heap.alloc(this.#bytes);
    if (saved !== undefined) return;
    try {
      withParameters(heap, where, n, 'n', c, (w, b) => {
        const memory = new Float32Array(heap.buffer);
        if (w !== 0) memory.copyWithin(this.#block / 4, w / 4, w / 4 + n);
        if (b !== 0) memory.copyWithin(this.#bias / 4, b / 4, b / 4 + n);
      });
    } catch (error) {
      this.free();
      throw error;
    }
  }

  get #bias(): number {
    return this.#block + (this.hasWeight ? this.n * 4 : 0);
  }

  /** The parameters' block, weight then bias (what `save` writes and `ffwd.load` fills). */
  get storage(): Storage {
    if (this.#freed) throw new TypeError('ffwd: this Norm was freed and cannot be used');
    return { ptr: this.#block, bytes: this.#bytes };
  }

  /** Learned values: the weight's and the bias's. */
  get parameters(): number {
    return this.#bytes / 4;
  }

  /** Bytes of WASM memory the parameters occupy. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The norm of every row of x (x.length a multiple of n), with the call forms of every kernel. */
  forward(x: Tensor, out?: Tensor): Tensor;
  forward(x: Float32Array, out?: Float32Array): Float32Array;
  forward(x: Operand, out?: Operand): Operand {
    return runRows(this.#heap, 'Norm.forward', x, this.n, 'n', out, (p, y, rows) => this.run(p, y, rows));
  }

  /** y[rows, n] = norm(x[rows, n]) on raw pointers (y may be x); for sublayers that chain kernels through their own buffers. */
  run(x: number, y: number, rows: number): void {
    if (this.#freed) throw new TypeError('ffwd: this Norm was freed and cannot be used');
    this.#kernel(x, y, rows, this.hasWeight ? this.#block : 0, this.hasBias ? this.#bias : 0);
  }

  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    if (this.#owned) this.#heap.free(this.#block);
    this.#block = 0;
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
