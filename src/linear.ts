// Dense layers over the packed GEMM: Linear (PyTorch's nn.Linear), the transformer FeedForward block
// and a Keras-like Sequential stack. Weights are packed once, when the layer is made; a forward call
// is one GEMM per layer with bias and activation fused into its epilogue.
import { ACTIVATIONS, type ActivationId } from './activations.js';
import { type Input, type Operand, runKernel } from './call.js';
import { checkInteger, checkLength, checkNumber, describe } from './errors.js';
import { type Heap, MAX_ELEMENTS, Tensor, checkTensor } from './memory.js';
import type { SafetensorsFile } from './safetensors.js';

export type Weights = Tensor | Float32Array | ArrayLike<number>;

export interface LinearOptions {
  /** Row-major [outFeatures, inFeatures], exactly as nn.Linear.weight stores it. */
  weight: Weights;
  /** outFeatures values, or omitted/null for no bias. */
  bias?: Weights | null;
  inFeatures: number;
  outFeatures: number;
  /** An activation applied in the GEMM epilogue: any string id ('gelu', 'relu', …) or 'identity' (default). */
  activation?: ActivationId | 'identity';
  /** Negative slope for 'leaky_relu' (default 0.01). */
  slope?: number;
}

const MAX_FEATURES = 1 << 20;

/** The epilogue code of an activation id, read from the module's `Activation.*` exports. */
function activationCode(heap: Heap, where: string, id: unknown): number {
  if (id === undefined || id === 'identity') return 0;
  for (const [name, row] of Object.entries(ACTIVATIONS)) {
    if (row.id === id) {
      const global = (heap.exports as unknown as Record<string, WebAssembly.Global>)[
        `Activation.${name[0].toUpperCase()}${name.slice(1)}`
      ];
      return global.value as number;
    }
  }
  const known = ['identity', ...Object.values(ACTIVATIONS).map((row) => row.id)];
  throw new TypeError(`${where}: activation must be one of ${known.map((k) => `'${k}'`).join(', ')}, got ${describe(id)}`);
}

/** Hands `use` a pointer to `weights` (`length` floats): a Tensor's own, or a temporary copy of an array. */
function withWeights(heap: Heap, where: string, name: string, weights: unknown, length: number, why: string, use: (ptr: number) => void) {
  if (weights instanceof Tensor) {
    checkTensor(where, name, weights, heap);
    checkLength(where, name, weights.length, length, why);
    return use(weights.ptr);
  }
  if (weights === null || typeof weights !== 'object' || typeof (weights as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`${where}: ${name} must be a Tensor, a Float32Array or an array of numbers, got ${describe(weights)}`);
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

export class Linear {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly activation: ActivationId | 'identity';
  readonly hasBias: boolean;
  readonly #heap: Heap;
  readonly #code: number;
  readonly #slope: number;
  #packed: number;
  readonly #packedBytes: number;
  /** The GEMM's working memory (packed slices of x), one per layer: calls on one thread reuse it. */
  #scratch = 0;
  readonly #scratchBytes: number;

  constructor(heap: Heap, options: LinearOptions, where = 'linear') {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
    }
    const { inFeatures, outFeatures, weight, bias, activation = 'identity', slope = 0.01 } = options;
    checkInteger(where, 'inFeatures', inFeatures, 1, MAX_FEATURES);
    checkInteger(where, 'outFeatures', outFeatures, 1, MAX_FEATURES);
    checkNumber(where, 'slope', slope);
    this.#heap = heap;
    this.#code = activationCode(heap, where, activation);
    this.#slope = slope;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.activation = activation;
    this.hasBias = bias !== undefined && bias !== null;

    const exports = heap.exports;
    this.#packedBytes = exports.packedBytes(inFeatures, outFeatures) >>> 0;
    this.#scratchBytes = exports.linearScratchBytes(inFeatures) >>> 0;
    this.#packed = heap.alloc(this.#packedBytes);
    try {
      withWeights(heap, where, 'weight', weight, inFeatures * outFeatures, 'outFeatures · inFeatures', (w) => {
        if (!this.hasBias) return exports.pack(w, 0, this.#packed, inFeatures, outFeatures);
        withWeights(heap, where, 'bias', bias, outFeatures, 'outFeatures', (b) => exports.pack(w, b, this.#packed, inFeatures, outFeatures));
      });
      this.#scratch = heap.alloc(this.#scratchBytes);
    } catch (error) {
      heap.free(this.#packed);
      throw error;
    }
  }

  /** Learned values: inFeatures·outFeatures weights plus the bias. */
  get parameters(): number {
    return this.inFeatures * this.outFeatures + (this.hasBias ? this.outFeatures : 0);
  }

  /** Bytes of WASM memory the layer holds: its packed weights and the GEMM's scratch. */
  get bytes(): number {
    return this.#packedBytes + this.#scratchBytes;
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

  /** The GEMM on raw pointers: for layers that chain Linear calls through their own workspaces. */
  run(x: number, y: number, batch: number): void {
    if (this.#packed === 0) throw new TypeError('ffwd: this layer was freed and cannot be used');
    this.#heap.exports.linear(x, this.#packed, y, batch, this.inFeatures, this.outFeatures, this.#code, this.#slope, this.#scratch);
  }

  free(): void {
    if (this.#packed === 0) return;
    this.#heap.free(this.#packed);
    this.#heap.free(this.#scratch);
    this.#packed = 0;
    this.#scratch = 0;
  }

  [Symbol.dispose](): void {
    this.free();
  }
}

/** Reads `${prefix}.weight` ([out, in]) and `${prefix}.bias` (if present) from a safetensors file. */
export function linearOptionsFrom(file: SafetensorsFile, prefix: string): LinearOptions {
  const weightName = `${prefix}.weight`;
  const { shape } = file.info(weightName);
  if (shape.length !== 2) {
    throw new RangeError(`safetensors: '${weightName}' has shape [${shape.join(', ')}], expected [outFeatures, inFeatures]`);
  }
  const [outFeatures, inFeatures] = shape;
  const biasName = `${prefix}.bias`;
  const bias = file.names.includes(biasName) ? file.get(biasName) : undefined;
  return { weight: file.get(weightName), bias, inFeatures, outFeatures };
}
