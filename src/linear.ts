// Dense layers over the packed GEMM: Linear (PyTorch's nn.Linear), the transformer FeedForward block
// and a Keras-like Sequential stack. Weights are packed once, when the layer is made; a forward call
// is one GEMM per layer with bias and activation fused into its epilogue.
import { ACTIVATIONS, type ActivationId } from './activations.js';
import { type Input, type Operand, runKernel } from './call.js';
import { checkInteger, checkNumber, describe } from './errors.js';
import { type Heap, MAX_ELEMENTS, type Tensor } from './memory.js';
import type { SafetensorsFile } from './safetensors.js';
import { type Weights, withWeights } from './weights.js';

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
    this.#packed = heap.alloc(this.#packedBytes);
    try {
      withWeights(heap, where, 'weight', weight, inFeatures * outFeatures, 'outFeatures · inFeatures', (w) => {
        if (!this.hasBias) return exports.pack(w, 0, this.#packed, inFeatures, outFeatures);
        withWeights(heap, where, 'bias', bias, outFeatures, 'outFeatures', (b) => exports.pack(w, b, this.#packed, inFeatures, outFeatures));
      });
    } catch (error) {
      heap.free(this.#packed);
      throw error;
    }
  }

  /** Learned values: inFeatures·outFeatures weights plus the bias. */
  get parameters(): number {
    return this.inFeatures * this.outFeatures + (this.hasBias ? this.outFeatures : 0);
  }

  /** Bytes of WASM memory the packed weights occupy. */
  get bytes(): number {
    return this.#packedBytes;
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
    this.#heap.exports.linear(x, this.#packed, y, batch, this.inFeatures, this.outFeatures, this.#code, this.#slope);
  }

  free(): void {
    if (this.#packed === 0) return;
    this.#heap.free(this.#packed);
    this.#packed = 0;
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
