// Linear, PyTorch's nn.Linear over the packed GEMM, and the packing every layer shares. Weights are
// packed once, when the layer is made; a forward call is one GEMM with bias, activation and (for
// layers that chain it) a residual fused into its epilogue.
import { ACTIVATION_IDS, type ActivationId, activationName } from './activations.js';
import { type Input, type Operand, runKernel } from './call.js';
import { checkInteger, checkNumber, describe } from './errors.js';
import { type Heap, MAX_ELEMENTS, type Tensor } from './memory.js';
import { saveLayer } from './saved.js';
import { type Weights, withWeights } from './weights.js';

/**
 * How a layer keeps its weights in its packed panels: float32, 16 bits (widened in registers by the
 * GEMM), or int8 with a float32 scale per output row.
 */
export type WeightDtype = 'f32' | 'bf16' | 'f16' | 'int8';
export const WEIGHT_DTYPES: readonly WeightDtype[] = ['f32', 'bf16', 'f16', 'int8'];

/** A layer's dtype: its projections' one, or 'mixed' when they differ (a Sequential, a FeedForward made so). */
export type LayerDtype = WeightDtype | 'mixed';
export const commonDtype = (projections: readonly { dtype: WeightDtype }[]): LayerDtype => {
  const dtypes = new Set(projections.map((p) => p.dtype));
  return dtypes.size === 1 ? [...dtypes][0] : 'mixed';
};

/** How the GEMM computes: float32 (every dtype), or integer dot products on int8 weights and per-row int8 inputs. */
export type Compute = 'f32' | 'int8';
export const COMPUTES: readonly Compute[] = ['f32', 'int8'];

/**
 * Checks `dtype` and `compute` and gives their code for the kernels (the module's `WeightDtype.*`
 * exports: INT8_DOT is int8 weights computed with integer dot products).
 */
export function dtypeCode(heap: Heap, where: string, dtype: unknown, compute: unknown = 'f32'): number {
  if (!WEIGHT_DTYPES.includes(dtype as WeightDtype)) {
    throw new TypeError(`${where}: dtype must be one of ${WEIGHT_DTYPES.map((d) => `'${d}'`).join(', ')}, got ${describe(dtype)}`);
  }
  if (!COMPUTES.includes(compute as Compute)) {
    throw new TypeError(`${where}: compute must be one of ${COMPUTES.map((d) => `'${d}'`).join(', ')}, got ${describe(compute)}`);
  }
  if (compute === 'int8' && dtype !== 'int8') {
    throw new TypeError(`${where}: compute 'int8' (integer dot products) needs dtype 'int8', got dtype '${dtype as string}'`);
  }
  const name = compute === 'int8' ? 'INT8_DOT' : (dtype as string).toUpperCase();
  return ((heap.exports as unknown as Record<string, WebAssembly.Global>)[`WeightDtype.${name}`]).value as number;
}

/** Throws unless integer dot products over inFeatures stay exact in int32 (a compute 'int8' layer's K). */
export function checkInt8Compute(heap: Heap, where: string, compute: unknown, name: string, inFeatures: number): void {
  const most = heap.exports.INT8_DOT_MAX_K.value as number;
  if (compute === 'int8' && inFeatures > most) {
    throw new RangeError(`${where}: ${name} is ${inFeatures}; compute 'int8' sums int8 products exactly in int32 up to ${most} (use compute 'f32')`);
  }
}

/**
 * The dtype when none is asked for: 'int8' for int8 compute, else what the weights are stored as
 * (`stored`: 'f32' for arrays, the file's dtype for a checkpoint).
 */
export const defaultDtype = (compute: unknown, stored: WeightDtype = 'f32'): WeightDtype => (compute === 'int8' ? 'int8' : stored);

/** What a dtype's panels cannot hold, for the error naming the weight. */
const UNREPRESENTABLE: Record<WeightDtype, string> = {
  f32: 'is not finite',
  bf16: 'rounds to infinity (its largest finite value is 3.3895e38)',
  f16: 'is out of its range (its largest finite value is 65504)',
  int8: 'is not finite (an int8 row is scaled by its largest |weight|)',
};

/** How a weight is stored: 'out_in' = [outFeatures, inFeatures] (nn.Linear), 'in_out' = [inFeatures, outFeatures] (GPT-2's Conv1D). */
export type Layout = 'out_in' | 'in_out';

export interface LinearOptions {
  /** Row-major [outFeatures, inFeatures], exactly as nn.Linear.weight stores it (or see `layout`). */
  weight: Weights;
  /** outFeatures values, or omitted/null for no bias. */
  bias?: Weights | null;
  inFeatures: number;
  outFeatures: number;
  /** An activation applied in the GEMM epilogue: any string id ('gelu', 'relu', …) or 'identity' (default). */
  activation?: ActivationId | 'identity';
  /** Negative slope for 'leaky_relu' (default 0.01). */
  slope?: number;
  /** 'out_in' (default, nn.Linear) or 'in_out' (Conv1D: y = x·W + b, W [inFeatures, outFeatures]), packed as it is. */
  layout?: Layout;
  /**
   * The weights' storage in the panels: 'f32' (default), 'bf16' or 'f16' (each weight rounded to
   * nearest-even), or 'int8' (each output row quantised symmetrically: README, int8 weights).
   */
  dtype?: WeightDtype;
  /** 'f32' (default): float32 arithmetic; 'int8': x quantised per row, integer dot products (dtype 'int8', its default then). */
  compute?: Compute;
}

export const MAX_FEATURES = 1 << 20;

/** The epilogue code of an activation string, read from the module's `Activation.*` exports. */
export function activationCode(heap: Heap, where: string, id: unknown): number {
  if (id === undefined || id === 'identity') return 0;
  const name = activationName(id);
  if (name === undefined) {
    const known = ['identity', ...ACTIVATION_IDS];
    throw new TypeError(`${where}: activation must be one of ${known.map((k) => `'${k}'`).join(', ')}, got ${describe(id)}`);
  }
  const global = (heap.exports as unknown as Record<string, WebAssembly.Global>)[`Activation.${name[0].toUpperCase()}${name.slice(1)}`];
  return global.value as number;
}

/** Reads `layout`, checks it and says whether the weight is stored transposed ([in, out]). */
export function isTransposed(where: string, layout: unknown = 'out_in'): boolean {
  if (layout !== 'out_in' && layout !== 'in_out') {
    throw new TypeError(`${where}: layout must be 'out_in' ([outFeatures, inFeatures], nn.Linear) or 'in_out' ([inFeatures, outFeatures], Conv1D), got ${describe(layout)}`);
  }
  return layout === 'in_out';
}

/** Output rows [first, first + count) of a weight, packed at `packed` (packedBytes(inFeatures, count, dtype) bytes). */
export interface PackedPart {
  first: number;
  count: number;
  packed: number;
}

/**
 * Packs `spec.weight` and `spec.bias` into panels: by default all of it at `packed`; with `parts`,
 * row ranges of an 'out_in' weight each at its own place (the two halves of a merged gate_up_proj),
 * from one copy of the weight. `names` says what the error messages call the weight and the bias.
 */
export function packWeight(
  heap: Heap, where: string, spec: LinearOptions, parts: PackedPart[], names = { weight: 'weight', bias: 'bias' },
): void {
  const { inFeatures, outFeatures } = spec;
  const transposed = isTransposed(where, spec.layout);
  const dtype = spec.dtype ?? defaultDtype(spec.compute);
  const code = dtypeCode(heap, where, dtype, spec.compute);
  const why = transposed ? 'inFeatures · outFeatures' : 'outFeatures · inFeatures';
  const packAll = (w: number, b: number) => {
    for (const { first, count, packed } of parts) {
      const bad = heap.exports.pack(w + first * inFeatures * 4, b === 0 ? 0 : b + first * 4, packed, inFeatures, count, transposed, code);
      if (bad >= 0) {
        const index = bad + first * inFeatures;
        const value = new Float32Array(heap.buffer, w, inFeatures * outFeatures)[index];
        throw new RangeError(`${where}: ${names.weight}[${index}] is ${value}, which ${dtype} panels cannot hold: it ${UNREPRESENTABLE[dtype]}`);
      }
    }
  };
  withWeights(heap, where, names.weight, spec.weight, inFeatures * outFeatures, why, (w) => {
    if (spec.bias === undefined || spec.bias === null) return packAll(w, 0);
    withWeights(heap, where, names.bias, spec.bias, outFeatures, 'outFeatures', (b) => packAll(w, b));
  });
}

/**
 * Panels packed earlier (a layer saved by ffwd, src/saved.ts), taken instead of packing a weight:
 * a view of them at `at` (not owned: they must outlive the layer), or without `at` a new block the
 * caller fills with them before the first forward.
 */
export interface SavedPanels {
  at?: number;
  hasBias: boolean;
}

/** Where a layer's packed panels (or a norm's parameters) lie in WASM memory. */
export interface Storage {
  ptr: number;
  bytes: number;
}

/** A layer's block of packed panels: its own allocation, or saved panels used where they lie (not owned). */
export class Panels {
  readonly bytes: number;
  readonly #heap: Heap;
  readonly #owned: boolean;
  #ptr: number;

  constructor(heap: Heap, bytes: number, saved?: SavedPanels) {
    this.#heap = heap;
    this.bytes = bytes;
    this.#owned = saved?.at === undefined;
    this.#ptr = saved?.at ?? heap.alloc(bytes);
  }

  /** Packs weights into the block (`pack` gets its address); the block is given back if that throws. */
  fill(pack: (ptr: number) => void): void {
    try {
      pack(this.#ptr);
    } catch (error) {
      this.free();
      throw error;
    }
  }

  /** The block's address; throws once the layer is freed. */
  get ptr(): number {
    if (this.#ptr === 0) throw new TypeError('ffwd: this layer was freed and cannot be used');
    return this.#ptr;
  }

  get freed(): boolean {
    return this.#ptr === 0;
  }

  /** What `save` writes and `ffwd.load` fills. */
  get storage(): Storage {
    return { ptr: this.ptr, bytes: this.bytes };
  }

  /** Gives the block back (saved panels used in place are only let go of). */
  free(): void {
    if (this.#ptr === 0) return;
    if (this.#owned) this.#heap.free(this.#ptr);
    this.#ptr = 0;
  }
}

export class Linear {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly activation: ActivationId | 'identity';
  /** The negative slope of 'leaky_relu' (kept for the others too, unused). */
  readonly slope: number;
  readonly hasBias: boolean;
  readonly layout: Layout;
  readonly dtype: WeightDtype;
  readonly compute: Compute;
  readonly #heap: Heap;
  readonly #code: number;
  readonly #dtype: number;
  readonly #panels: Panels;

  /** `saved` (ffwd.load's path): take those panels instead of packing `options.weight` and `options.bias`. */
  constructor(heap: Heap, options: LinearOptions, where = 'linear', saved?: SavedPanels) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
    }
    const { inFeatures, outFeatures, bias, activation = 'identity', slope = 0.01 } = options;
    checkInteger(where, 'inFeatures', inFeatures, 1, MAX_FEATURES);
    checkInteger(where, 'outFeatures', outFeatures, 1, MAX_FEATURES);
    checkNumber(where, 'slope', slope);
    this.#heap = heap;
    this.#code = activationCode(heap, where, activation);
    this.slope = slope;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.activation = activation;
    this.hasBias = saved?.hasBias ?? (bias !== undefined && bias !== null);
    this.layout = isTransposed(where, options.layout) ? 'in_out' : 'out_in';

    this.compute = options.compute ?? 'f32';
    this.dtype = options.dtype ?? defaultDtype(this.compute);
    this.#dtype = dtypeCode(heap, where, this.dtype, this.compute);
    checkInt8Compute(heap, where, this.compute, 'inFeatures', inFeatures);
    this.#panels = new Panels(heap, heap.exports.packedBytes(inFeatures, outFeatures, this.#dtype) >>> 0, saved);
    if (saved === undefined) this.#panels.fill((packed) => packWeight(heap, where, options, [{ first: 0, count: outFeatures, packed }]));
  }

  /** The packed panels' block (what `save` writes and `ffwd.load` fills). */
  get storage(): Storage {
    return this.#panels.storage;
  }

  get freed(): boolean {
    return this.#panels.freed;
  }

  /** Learned values: inFeatures·outFeatures weights plus the bias. */
  get parameters(): number {
    return this.inFeatures * this.outFeatures + (this.hasBias ? this.outFeatures : 0);
  }

  /** Bytes of WASM memory the layer holds: its packed weights. */
  get bytes(): number {
    return this.#panels.bytes;
  }

  /** y[batch, outFeatures] = activation(x[batch, inFeatures] · Wᵀ + b), with the call forms of every kernel. */
  forward(x: Tensor, batch: number, out?: Tensor): Tensor;
  forward(x: Float32Array, batch: number, out?: Float32Array): Float32Array;
  forward(x: Operand, batch: number, out?: Operand): Operand {
    const where = 'Linear.forward';
    checkInteger(where, 'batch', batch, 1, MAX_ELEMENTS);
    const input: Input = { name: 'x', value: x, length: batch * this.inFeatures, why: 'batch · inFeatures' };
    return runKernel(this.#heap, where, [input], { value: out, length: batch * this.outFeatures, why: 'batch · outFeatures' },
      ([p], y) => this.run(p, y, batch));
  }

  /** The GEMM on raw pointers, for layers that chain GEMMs through their own workspaces; `residual`
   *  (batch·outFeatures floats, not overlapping y) is added after the activation, in the epilogue. */
  run(x: number, y: number, batch: number, residual = 0): void {
    this.#heap.parallel.linear(x, this.#panels.ptr, y, batch, this.inFeatures, this.outFeatures, this.#code, this.slope, residual, this.#dtype);
  }

  /** The layer as a .safetensors file that ffwd.load rebuilds without repacking (README, Saved layers). */
  save(): Uint8Array {
    return saveLayer(this.#heap, this);
  }

  /** Gives the panels back (saved panels used in place are only let go of). */
  free(): void {
    this.#panels.free();
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
