// The first half of a gated MLP (LLaMA's SwiGLU, Gemma's GeGLU, T5 v1.1, Phi-3):
// h = act(x·Gᵀ + b_g) ⊙ (x·Uᵀ + b_u), as ONE GEMM over the gate's panels and the up projection's packed
// side by side; the epilogue gates each chunk of finished rows while they are in cache
// (assembly/gemm/epilogue.ts), so the hidden layer is written once.
import { type ActivationId } from './activations.js';
import { type Operand, runKernel } from './call.js';
import { checkInteger, checkNumber, describe } from './errors.js';
import { type Compute, type LinearOptions, MAX_FEATURES, type SavedPanels, type Storage, activationCode, checkInt8Compute, defaultDtype, dtypeCode, isTransposed, packWeight, Panels, type WeightDtype } from './linear.js';
import { type Heap, MAX_ELEMENTS, Tensor } from './memory.js';

/** One projection: weight [outFeatures, inFeatures] (or [in, out] with layout 'in_out'), optional bias. */
export type ProjectionOptions = Omit<LinearOptions, 'activation' | 'slope'>;

export interface GatedLinearOptions {
  /** The gated projection (act applies to it): gate_proj, wi_0. */
  gate?: ProjectionOptions;
  /** The linear projection it multiplies: up_proj, wi_1. */
  up?: ProjectionOptions;
  /** Instead of gate and up: both in one [2·hidden, inFeatures] weight, gate rows first (Phi-3's gate_up_proj). */
  gateUp?: ProjectionOptions;
  /** Applied to the gate (default 'silu'). */
  activation?: ActivationId;
  /** The weights' storage in the panels, both halves (default 'f32'; see LinearOptions.dtype). */
  dtype?: WeightDtype;
  /** 'f32' (default) or 'int8' (see LinearOptions.compute). */
  compute?: Compute;
  slope?: number;
}

function checkProjection(where: string, name: string, spec: unknown): asserts spec is ProjectionOptions {
  if (spec === null || typeof spec !== 'object') throw new TypeError(`${where}: ${name} must be an object, got ${describe(spec)}`);
  const { inFeatures, outFeatures } = spec as ProjectionOptions;
  checkInteger(where, `${name}.inFeatures`, inFeatures, 1, MAX_FEATURES);
  checkInteger(where, `${name}.outFeatures`, outFeatures, 1, MAX_FEATURES);
}

export class GatedLinear {
  readonly inFeatures: number;
  /** The hidden width: the gate's (and up's) outFeatures. */
  readonly outFeatures: number;
  readonly activation: ActivationId;
  readonly slope: number;
  readonly hasBias: boolean;
  readonly dtype: WeightDtype;
  readonly compute: Compute;
  readonly #heap: Heap;
  readonly #code: number;
  readonly #dtype: number;
  readonly #panels: Panels;
  /** The [gate | up] rows of the GEMM, batch · 2·8⌈hidden/8⌉ floats, grown to the largest batch seen. */
  #workspace: Tensor | null = null;

  /** `saved` (ffwd.load's path): take those panels (gate's, then up's) instead of packing the weights. */
  constructor(heap: Heap, options: GatedLinearOptions, where = 'gatedLinear', saved?: SavedPanels) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
    }
    const { gate, up, gateUp, activation = 'silu', slope = 0.01, compute = 'f32', dtype = defaultDtype(compute) } = options;
    checkNumber(where, 'slope', slope);
    this.#code = activationCode(heap, where, activation);
    if (this.#code === 0) throw new TypeError(`${where}: a gated MLP needs an activation, got 'identity'`);
    let inFeatures: number;
    let hidden: number;
    if (gateUp !== undefined) {
      if (gate !== undefined || up !== undefined) throw new TypeError(`${where}: give gateUp or gate and up, not both`);
      checkProjection(where, 'gateUp', gateUp);
      if (gateUp.outFeatures % 2 !== 0) {
        throw new RangeError(`${where}: gateUp.outFeatures must be even (2 · hidden: gate rows, then up rows), got ${gateUp.outFeatures}`);
      }
      if (isTransposed(`${where}: gateUp`, gateUp.layout)) {
        throw new TypeError(`${where}: gateUp must have layout 'out_in' ([2·hidden, inFeatures], as Phi-3 stores it)`);
      }
      inFeatures = gateUp.inFeatures;
      hidden = gateUp.outFeatures / 2;
    } else {
      checkProjection(where, 'gate', gate);
      checkProjection(where, 'up', up);
      if (up.inFeatures !== gate.inFeatures || up.outFeatures !== gate.outFeatures) {
        throw new RangeError(
          `${where}: up is [${up.outFeatures}, ${up.inFeatures}] but gate is [${gate.outFeatures}, ${gate.inFeatures}]; they must match`,
        );
      }
      inFeatures = gate.inFeatures;
      hidden = gate.outFeatures;
    }
    this.#heap = heap;
    this.slope = slope;
    this.inFeatures = inFeatures;
    this.outFeatures = hidden;
    this.activation = activation;
    const hasBias = (spec?: ProjectionOptions) => spec?.bias !== undefined && spec?.bias !== null;
    this.hasBias = saved?.hasBias ?? (hasBias(gateUp) || hasBias(gate) || hasBias(up));

    this.dtype = dtype;
    this.compute = compute;
    this.#dtype = dtypeCode(heap, where, dtype, compute);
    checkInt8Compute(heap, where, compute, 'inFeatures', inFeatures);
    const half = heap.exports.packedBytes(inFeatures, hidden, this.#dtype) >>> 0;
    this.#panels = new Panels(heap, 2 * half, saved);
    if (saved !== undefined) return;
    this.#panels.fill((packed) => {
      const gatePart = { first: 0, count: hidden, packed };
      const upPart = { first: 0, count: hidden, packed: packed + half };
      if (gateUp !== undefined) {
        packWeight(heap, where, { ...gateUp, dtype, compute }, [gatePart, { ...upPart, first: hidden }], { weight: 'gateUp.weight', bias: 'gateUp.bias' });
      } else {
        packWeight(heap, where, { ...gate!, dtype, compute }, [gatePart], { weight: 'gate.weight', bias: 'gate.bias' });
        packWeight(heap, where, { ...up!, dtype, compute }, [upPart], { weight: 'up.weight', bias: 'up.bias' });
      }
    });
  }

  /** The packed panels' block, gate's then up's (what `save` writes and `ffwd.load` fills). */
  get storage(): Storage {
    return this.#panels.storage;
  }

  get parameters(): number {
    return 2 * this.outFeatures * (this.inFeatures + (this.hasBias ? 1 : 0));
  }

  /** Bytes of WASM memory held: the packed gate and up projections plus the GEMM's workspace. */
  get bytes(): number {
    return this.#panels.bytes + (this.#workspace ? this.#workspace.length * 4 : 0);
  }

  /** h[batch, hidden] = act(x·Gᵀ + b_g) ⊙ (x·Uᵀ + b_u), with the call forms of every kernel. */
  forward(x: Tensor, batch: number, out?: Tensor): Tensor;
  forward(x: Float32Array, batch: number, out?: Float32Array): Float32Array;
  forward(x: Operand, batch: number, out?: Operand): Operand {
    const where = 'GatedLinear.forward';
    checkInteger(where, 'batch', batch, 1, MAX_ELEMENTS);
    return runKernel(this.#heap, where, [{ name: 'x', value: x, length: batch * this.inFeatures, why: 'batch · inFeatures' }],
      { value: out, length: batch * this.outFeatures, why: 'batch · outFeatures' }, ([p], h) => this.run(p, h, batch));
  }

  /** The GEMM on raw pointers; h (batch · hidden floats) must not overlap x. */
  run(x: number, h: number, batch: number): void {
    const packed = this.#panels.ptr; // (throws once freed)
    const need = batch * 2 * 8 * Math.ceil(this.outFeatures / 8);
    if (this.#workspace === null || this.#workspace.length < need) {
      this.#workspace?.free();
      this.#workspace = null;
      this.#workspace = new Tensor(this.#heap, need);
    }
    this.#heap.parallel.gatedLinear(x, packed, this.#workspace.ptr, h, batch, this.inFeatures, this.outFeatures, this.#code, this.slope, this.#dtype);
  }

  /** Gives the panels and the workspace back (saved panels used in place are only let go of). */
  free(): void {
    this.#panels.free();
    this.#workspace?.free();
    this.#workspace = null;
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
