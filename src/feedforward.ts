// The transformer feedforward sublayer: an MLP (Linear → act → Linear, or a gated one), optionally
// wrapped in its norms and residual as the families wire them:
//   'mlp'        mlp(x)
//   'pre_norm'   x + mlp(norm(x))                  GPT-2, LLaMA, T5, ViT, CLIP, Whisper (and GPT-NeoX, Phi's MLP branch)
//   'post_norm'  norm(x + mlp(x))                  BERT, RoBERTa, DistilBERT, BART
//   'sandwich'   x + postNorm(mlp(norm(x)))        Gemma 2 and 3
// The hidden layer is written once, already activated (or gated) by the first GEMM's epilogue; the
// residual of 'pre_norm' and 'post_norm' is added in the last GEMM's epilogue.
import type { ActivationId } from './activations.js';
import { type Operand, runKernel } from './call.js';
import { checkInteger, describe } from './errors.js';
import { GatedLinear, type GatedLinearOptions, type ProjectionOptions } from './gated.js';
import { type Compute, type LayerDtype, Linear, type SavedPanels, type WeightDtype, commonDtype } from './linear.js';
import { type Heap, MAX_ELEMENTS, Tensor } from './memory.js';
import { Norm, type NormKind, type NormOptions, type SavedParameters } from './norm.js';
import { saveLayer } from './saved.js';

export type Wiring = 'mlp' | 'pre_norm' | 'post_norm' | 'sandwich';
const WIRINGS: readonly Wiring[] = ['mlp', 'pre_norm', 'post_norm', 'sandwich'];

/** A norm of the sublayer: its kind and options; its row length is the block's width. */
export interface SublayerNorm extends NormOptions {
  kind: NormKind;
}

export interface FeedForwardOptions {
  /** Plain MLP: fc2(act(fc1(x))). */
  fc1?: ProjectionOptions;
  fc2?: ProjectionOptions;
  /** Gated MLP: down(act(gate(x)) ⊙ up(x)), with gate and up, or gateUp (Phi-3's merged [2I, H]). */
  gate?: ProjectionOptions;
  up?: ProjectionOptions;
  gateUp?: ProjectionOptions;
  down?: ProjectionOptions;
  /** The MLP's activation: default 'gelu' (plain) or 'silu' (gated). */
  activation?: ActivationId;
  slope?: number;
  /** The weights' storage in every projection's panels: 'f32' (default), 'bf16', 'f16' or 'int8' (LinearOptions.dtype). */
  dtype?: WeightDtype;
  /** 'f32' (default) or 'int8' for every projection (LinearOptions.compute; needs dtype 'int8'). */
  compute?: Compute;
  /** How norms and the residual wrap the MLP (default 'mlp': the MLP alone). */
  wiring?: Wiring;
  /** The norm of 'pre_norm' / 'post_norm', the first one of 'sandwich'. */
  norm?: SublayerNorm;
  /** The second norm of 'sandwich', applied to the MLP's output before the residual. */
  postNorm?: SublayerNorm;
}

const isGiven = (value: unknown) => value !== undefined && value !== null;

/** A saved block's parts (src/saved.ts), taken instead of packing and copying the options' weights. */
export interface SavedParts {
  first: SavedPanels;
  down: SavedPanels;
  norm?: SavedParameters;
  postNorm?: SavedParameters;
}

export class FeedForward {
  /** Linear for a plain MLP, GatedLinear for a gated one. */
  readonly first: Linear | GatedLinear;
  readonly down: Linear;
  readonly wiring: Wiring;
  readonly norm: Norm | null;
  readonly postNorm: Norm | null;
  readonly #heap: Heap;
  readonly #where: string;
  /** Grown to the largest batch seen: the hidden layer, the normed input, a copy of x for in-place calls. */
  readonly #workspaces = new Map<'hidden' | 'normed' | 'saved', Tensor>();

  /** `saved` (ffwd.load's path): each part takes its saved panels or parameters instead of the options' weights. */
  constructor(heap: Heap, options: FeedForwardOptions, where = 'feedForward', saved?: SavedParts) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
    }
    const { fc1, fc2, gate, up, gateUp, down, slope, dtype, compute, wiring = 'mlp', norm, postNorm } = options;
    if (!WIRINGS.includes(wiring)) {
      throw new TypeError(`${where}: wiring must be one of ${WIRINGS.map((w) => `'${w}'`).join(', ')}, got ${describe(wiring)}`);
    }
    const gated = isGiven(gate) || isGiven(up) || isGiven(gateUp);
    if (gated ? isGiven(fc1) || isGiven(fc2) : isGiven(down)) {
      throw new TypeError(`${where}: give fc1 and fc2 (a plain MLP) or gate, up (or gateUp) and down (a gated one), not a mix`);
    }
    const second = gated ? down : fc2;
    const secondName = gated ? 'down' : 'fc2';
    if (!isGiven(second)) throw new TypeError(`${where}: ${secondName} is missing`);
    if (!gated && !isGiven(fc1)) throw new TypeError(`${where}: fc1 is missing (or give gate, up and down for a gated MLP)`);
    const needsNorm = wiring !== 'mlp';
    if (needsNorm !== isGiven(norm)) {
      throw new TypeError(needsNorm ? `${where}: wiring '${wiring}' needs a norm` : `${where}: a norm needs a wiring ('pre_norm', 'post_norm' or 'sandwich')`);
    }
    if ((wiring === 'sandwich') !== isGiven(postNorm)) {
      throw new TypeError(wiring === 'sandwich' ? `${where}: wiring 'sandwich' needs a postNorm` : `${where}: postNorm is for wiring 'sandwich' only`);
    }

    this.#heap = heap;
    this.#where = where;
    this.wiring = wiring;
    const made: { free(): void }[] = [];
    const make = <T extends { free(): void }>(thing: T) => (made.push(thing), thing);
    try {
      const activation = options.activation ?? (gated ? 'silu' : 'gelu');
      this.first = make(gated
        ? new GatedLinear(heap, { gate, up, gateUp, activation, slope, dtype, compute } as GatedLinearOptions, where, saved?.first)
        : new Linear(heap, { ...fc1!, activation, slope, dtype: fc1!.dtype ?? dtype, compute: fc1!.compute ?? compute }, `${where}: fc1`, saved?.first));
      this.down = make(new Linear(heap, {
        ...second!, activation: 'identity', dtype: second!.dtype ?? dtype, compute: second!.compute ?? compute,
      }, `${where}: ${secondName}`, saved?.down));
      if (this.down.inFeatures !== this.first.outFeatures) {
        throw new RangeError(`${where}: ${secondName}.inFeatures is ${this.down.inFeatures}, but the hidden layer has ${this.first.outFeatures} features`);
      }
      if (wiring !== 'mlp' && this.down.outFeatures !== this.first.inFeatures) {
        throw new RangeError(`${where}: a residual needs ${secondName}.outFeatures (${this.down.outFeatures}) = the input's features (${this.first.inFeatures})`);
      }
      this.norm = needsNorm ? make(this.#makeNorm('norm', norm, saved?.norm)) : null;
      this.postNorm = wiring === 'sandwich' ? make(this.#makeNorm('postNorm', postNorm, saved?.postNorm)) : null;
    } catch (error) {
      for (const thing of made) thing.free();
      throw error;
    }
  }

  #makeNorm(name: string, spec: unknown, saved?: SavedParameters): Norm {
    if (spec === null || typeof spec !== 'object') throw new TypeError(`${this.#where}: ${name} must be an object, got ${describe(spec)}`);
    return new Norm(this.#heap, { ...(spec as SublayerNorm), n: this.first.inFeatures }, `${this.#where}: ${name}`, saved);
  }

  get gated(): boolean {
    return this.first instanceof GatedLinear;
  }

  /** The plain MLP's first layer (undefined for a gated MLP: see `first`). */
  get fc1(): Linear | undefined {
    return this.first instanceof Linear ? this.first : undefined;
  }

  /** The plain MLP's second layer, which is `down` (for a gated MLP too). */
  get fc2(): Linear {
    return this.down;
  }

  get activation(): ActivationId {
    return this.first.activation as ActivationId;
  }

  /** The weights' storage in the panels: the projections' dtype, or 'mixed' when they were given different ones. */
  get dtype(): LayerDtype {
    return commonDtype([this.first, this.down]);
  }

  get inFeatures(): number {
    return this.first.inFeatures;
  }

  get hiddenFeatures(): number {
    return this.first.outFeatures;
  }

  get outFeatures(): number {
    return this.down.outFeatures;
  }

  get parameters(): number {
    const norms = (this.norm?.parameters ?? 0) + (this.postNorm?.parameters ?? 0);
    return this.first.parameters + this.down.parameters + norms;
  }

  /** Bytes of WASM memory held: packed weights, norm parameters and workspaces. */
  get bytes(): number {
    const tensors = [...this.#workspaces.values()].reduce((sum, t) => sum + t.length * 4, 0);
    return this.first.bytes + this.down.bytes + (this.norm?.bytes ?? 0) + (this.postNorm?.bytes ?? 0) + tensors;
  }

  /** y[batch, outFeatures] for x[batch, inFeatures], with the call forms of every kernel (out may be x). */
  forward(x: Tensor, batch: number, out?: Tensor): Tensor;
  forward(x: Float32Array, batch: number, out?: Float32Array): Float32Array;
  forward(x: Operand, batch: number, out?: Operand): Operand {
    const where = `${this.#where}.forward`;
    checkInteger(where, 'batch', batch, 1, MAX_ELEMENTS);
    const input = { name: 'x', value: x, length: batch * this.inFeatures, why: 'batch · inFeatures' };
    const output = { value: out, length: batch * this.outFeatures, why: 'batch · outFeatures' };
    return runKernel(this.#heap, where, [input], output, ([p], y) => this.run(p, y, batch));
  }

  /** The sublayer on raw pointers; y may be x. */
  run(x: number, y: number, batch: number): void {
    if (this.down.freed) throw new TypeError('ffwd: this layer was freed and cannot be used');
    const width = this.inFeatures;
    const n = batch * width;
    const wiring = this.wiring;
    const hidden = this.#workspace('hidden', batch * this.hiddenFeatures);
    const residual = wiring === 'mlp' ? 0 : this.#residualOf(x, y, n);
    let input = x;
    if (wiring === 'pre_norm' || wiring === 'sandwich') {
      input = this.#workspace('normed', n);
      this.norm!.run(x, input, batch);
    }
    this.first.run(input, hidden, batch);
    if (wiring === 'sandwich') {
      this.down.run(hidden, y, batch);
      this.postNorm!.run(y, y, batch);
      this.#heap.parallel.map('add', [y, residual], y, n, []);
    } else {
      this.down.run(hidden, y, batch, residual);
      if (wiring === 'post_norm') this.norm!.run(y, y, batch);
    }
  }

  /** Where the residual is read: x itself, or a copy of it when y overlaps x (an in-place call). */
  #residualOf(x: number, y: number, n: number): number {
    if (y + n * 4 <= x || x + n * 4 <= y) return x;
    const saved = this.#workspace('saved', n);
    new Float32Array(this.#heap.buffer).copyWithin(saved / 4, x / 4, x / 4 + n);
    return saved;
  }

  /** The address of workspace `name`, at least `length` floats. */
  #workspace(name: 'hidden' | 'normed' | 'saved', length: number): number {
    let tensor = this.#workspaces.get(name);
    if (tensor === undefined || tensor.length < length) {
      tensor?.free();
      this.#workspaces.delete(name);
      tensor = new Tensor(this.#heap, length);
      this.#workspaces.set(name, tensor);
    }
    return tensor.ptr;
  }

  /** The layer as a .safetensors file that ffwd.load rebuilds without repacking (README, Saved layers). */
  save(): Uint8Array {
    return saveLayer(this.#heap, this);
  }

  free(): void {
    for (const thing of [this.first, this.down, this.norm, this.postNorm, ...this.#workspaces.values()]) thing?.free();
    this.#workspaces.clear();
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
