// Chains of Linear layers: a Keras-like Sequential stack. Intermediate results go to workspaces kept
// across calls, written once, already activated by the GEMM epilogue.
import { type Operand, runKernel } from './call.js';
import { checkInteger, describe } from './errors.js';
import { type LayerDtype, Linear, type LinearOptions, commonDtype } from './linear.js';
import { type Heap, MAX_ELEMENTS, Tensor } from './memory.js';
import { saveLayer } from './saved.js';

/** A layer of a Sequential: a Linear, or its options where inFeatures defaults to the previous layer's
 * outFeatures and `units` may stand for outFeatures (Keras' Dense(units, activation)). */
export type LayerSpec = Linear | (Omit<LinearOptions, 'inFeatures' | 'outFeatures'> & {
  inFeatures?: number;
  outFeatures?: number;
  units?: number;
});

export class Sequential {
  readonly layers: readonly Linear[];
  readonly #heap: Heap;
  readonly #name: string;
  /** Two ping-pong buffers for intermediate activations, grown to the largest batch seen. */
  #workspace: Tensor[] = [];

  constructor(heap: Heap, specs: readonly LayerSpec[], name = 'sequential') {
    if (!Array.isArray(specs) || specs.length === 0) {
      throw new TypeError(`${name}: layers must be a non-empty array, got ${describe(specs)}`);
    }
    this.#heap = heap;
    this.#name = name;
    const layers: Linear[] = [];
    try {
      specs.forEach((spec, i) => layers.push(toLinear(heap, spec, i, layers[i - 1], name)));
    } catch (error) {
      for (const layer of layers) layer.free();
      throw error;
    }
    this.layers = layers;
  }

  get inFeatures(): number {
    return this.layers[0].inFeatures;
  }

  get outFeatures(): number {
    return this.layers[this.layers.length - 1].outFeatures;
  }

  /** The weights' storage in the panels: the layers' dtype, or 'mixed' when they differ. */
  get dtype(): LayerDtype {
    return commonDtype(this.layers);
  }

  get parameters(): number {
    return this.layers.reduce((sum, layer) => sum + layer.parameters, 0);
  }

  /** Bytes of WASM memory held: packed weights plus workspaces. */
  get bytes(): number {
    return this.layers.reduce((sum, layer) => sum + layer.bytes, 0) + this.#workspace.reduce((s, t) => s + t.length * 4, 0);
  }

  forward(x: Tensor, batch: number, out?: Tensor): Tensor;
  forward(x: Float32Array, batch: number, out?: Float32Array): Float32Array;
  forward(x: Operand, batch: number, out?: Operand): Operand {
    const where = `${this.#name}.forward`;
    checkInteger(where, 'batch', batch, 1, MAX_ELEMENTS);
    this.#reserve(batch);
    const input = { name: 'x', value: x, length: batch * this.inFeatures, why: 'batch · inFeatures' };
    const output = { value: out, length: batch * this.outFeatures, why: 'batch · outFeatures' };
    return runKernel(this.#heap, where, [input], output, ([p], y) => {
      const last = this.layers.length - 1;
      let from = p;
      this.layers.forEach((layer, i) => {
        const to = i === last ? y : this.#workspace[i % 2].ptr;
        layer.run(from, to, batch);
        from = to;
      });
    });
  }

  #reserve(batch: number): void {
    const widest = Math.max(0, ...this.layers.slice(0, -1).map((layer) => layer.outFeatures));
    const need = batch * widest;
    const buffers = Math.min(2, this.layers.length - 1);
    if (this.#workspace.length === buffers && this.#workspace.every((t) => t.length >= need)) return;
    for (const t of this.#workspace) t.free();
    this.#workspace = [];
    for (let i = 0; i < buffers; i++) this.#workspace.push(new Tensor(this.#heap, need));
  }

  /** The layer as a .safetensors file that ffwd.load rebuilds without repacking (README, Saved layers). */
  save(): Uint8Array {
    return saveLayer(this.#heap, this);
  }

  free(): void {
    for (const layer of this.layers) layer.free();
    for (const t of this.#workspace) t.free();
    this.#workspace = [];
  }

  [Symbol.dispose](): void {
    this.free();
  }
}

function toLinear(heap: Heap, spec: LayerSpec, i: number, previous: Linear | undefined, name: string): Linear {
  const where = `${name}: layer ${i}`;
  if (spec instanceof Linear) {
    if (previous && spec.inFeatures !== previous.outFeatures) {
      throw new RangeError(`${where} has inFeatures ${spec.inFeatures}, but layer ${i - 1} has outFeatures ${previous.outFeatures}`);
    }
    return spec;
  }
  if (spec === null || typeof spec !== 'object') throw new TypeError(`${where} must be a Linear or layer options, got ${describe(spec)}`);
  const outFeatures = spec.outFeatures ?? spec.units;
  const inFeatures = spec.inFeatures ?? previous?.outFeatures;
  if (inFeatures === undefined) throw new TypeError(`${where}: the first layer needs inFeatures`);
  if (previous && inFeatures !== previous.outFeatures) {
    throw new RangeError(`${where} has inFeatures ${inFeatures}, but layer ${i - 1} has outFeatures ${previous.outFeatures}`);
  }
  return new Linear(heap, { ...spec, inFeatures, outFeatures: outFeatures as number }, where);
}
