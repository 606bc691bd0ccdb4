// The object `init` resolves to: one WASM instance with its own memory, and the typed API over it.
import { ACTIVATIONS, backwardOf, forwardOf } from './activations.js';
import type { Backward, BackwardWithSlope, Forward, ForwardWithSlope } from './activations.js';
import type { Operand } from './call.js';
import { checkInteger, describe } from './errors.js';
import { Linear, type LinearOptions } from './linear.js';
import { Heap, MAX_ELEMENTS, Tensor } from './memory.js';
import { type LayerNormOptions, Norm, type NormSpec, type RmsNormOptions, normalise } from './norm.js';
import { SafetensorsFile } from './safetensors.js';
import { FeedForward, type FeedForwardOptions } from './feedforward.js';
import type { CheckpointFiles } from './pretrained/checkpoint.js';
import { type PretrainedOptions, type ProjectionNames, type SafetensorsOptions, fromPretrained, fromSafetensors } from './pretrained/index.js';
import { type SavedLayer, loadLayer } from './saved.js';
import { type LayerSpec, Sequential } from './sequential.js';
import { type Build, type DefaultSource, type Int8Dot, type ModuleSource, buildOf, chooseBuild, importsMemory, instantiate, int8DotOf } from './runtime.js';
import type { Pool, SpawnWorker } from './threads/pool.js';
import { memoryImports, requestedThreads, startThreads } from './threads/start.js';
import { whyNoThreads } from './threads/support.js';

export interface InitOptions {
  /** 'auto' (default) takes relaxed SIMD where the runtime validates it, else plain SIMD128. */
  build?: 'auto' | Build;
  /** The .wasm to use instead of the packaged one: required in edge workers (pass the imported Module). */
  module?: ModuleSource;
  /** Most bytes of linear memory this instance may grow to (default 1 GiB, at most 4 GiB). */
  maxMemory?: number;
  /**
   * Threads the kernels run on, the calling thread included: a number, or 'auto' (the platform's
   * cores, at most 8). Default 1. Where the platform allows fewer, `threads` says how many run and
   * `threadsUnavailable` why.
   */
  threads?: number | 'auto';
}

/** What differs between the platform entries (index.*.ts). */
export interface Platform {
  defaultSource: DefaultSource;
  fetchSource: (location: string | URL) => Promise<ModuleSource>;
  /** Logical cores ('auto' threads). */
  cores(): number;
  /** Starts a worker on threads/worker.js; null where the platform has no workers. */
  spawnWorker: SpawnWorker | null;
}

export const DEFAULT_MAX_MEMORY = 2 ** 30;
const WASM_PAGE = 65536;

export class Ffwd {
  /** The build this instance runs: 'simd' (bit-reproducible everywhere) or 'relaxed' (may fuse multiply-adds). */
  readonly build: Build;
  readonly heap: Heap;

  // Built in the constructor from the ACTIVATIONS table.
  declare readonly relu: Forward;
  declare readonly reluBackward: Backward;
  declare readonly leakyRelu: ForwardWithSlope;
  declare readonly leakyReluBackward: BackwardWithSlope;
  declare readonly gelu: Forward;
  declare readonly geluBackward: Backward;
  declare readonly geluTanh: Forward;
  declare readonly geluTanhBackward: Backward;
  declare readonly geluErfFast: Forward;
  declare readonly geluErfFastBackward: Backward;
  declare readonly gelu10: Forward;
  declare readonly gelu10Backward: Backward;
  declare readonly sigmoid: Forward;
  declare readonly sigmoidBackward: Backward;
  declare readonly tanh: Forward;
  declare readonly tanhBackward: Backward;
  declare readonly silu: Forward;
  declare readonly siluBackward: Backward;
  declare readonly quickGelu: Forward;
  declare readonly quickGeluBackward: Backward;

  /** Threads the kernels run on, this one included (1 unless init was given `threads`). */
  readonly threads: number;
  /** Why fewer threads run than init was asked for, in words; null when as many run as were asked. */
  readonly threadsUnavailable: string | null;
  /** The integer dot product of compute 'int8' layers on this engine (probed when the module was instantiated). */
  readonly int8Dot: Int8Dot;
  readonly #pool: Pool | null;

  constructor(heap: Heap, pool: Pool | null = null, threadsUnavailable: string | null = null) {
    this.heap = heap;
    this.build = buildOf(heap.exports);
    this.#pool = pool;
    this.threads = heap.parallel.threads;
    this.threadsUnavailable = threadsUnavailable;
    this.int8Dot = int8DotOf(heap.exports);
    const self = this as unknown as Record<string, unknown>;
    for (const [name, row] of Object.entries(ACTIVATIONS)) {
      self[name] = forwardOf(heap, name, row);
      self[`${name}Backward`] = backwardOf(heap, name, row);
    }
    // Renamed, loudly: Hugging Face's 'gelu_fast' is the tanh form, so ffwd's fast exact GELU is now
    // geluErfFast, and an old call must not silently get another function.
    for (const old of ['geluFast', 'geluFastBackward']) {
      const renamed = old.replace('geluFast', 'geluErfFast');
      Object.defineProperty(this, old, {
        get() {
          throw new TypeError(`ffwd.${old} was renamed ffwd.${renamed} (the fast exact GELU); the id 'gelu_fast' now means Hugging Face's tanh-form GELU, as in ffwd.geluTanh`);
        },
      });
    }
  }

  /** A new Tensor in WASM memory: zero-filled of the given length, or a copy of `data`. */
  tensor(lengthOrData: number | ArrayLike<number>): Tensor {
    if (typeof lengthOrData === 'number') {
      checkInteger('tensor', 'length', lengthOrData, 0, MAX_ELEMENTS);
      const t = new Tensor(this.heap, lengthOrData);
      t.data.fill(0);
      return t;
    }
    if (lengthOrData === null || typeof lengthOrData !== 'object' || typeof lengthOrData.length !== 'number') {
      throw new TypeError(`tensor: argument must be a length or an array of numbers, got ${describe(lengthOrData)}`);
    }
    // A view of this instance's memory (another Tensor's data) would detach if allocating grows it.
    const source = ArrayBuffer.isView(lengthOrData) && lengthOrData.buffer === this.heap.buffer
      ? (lengthOrData as unknown as Float32Array).slice()
      : lengthOrData;
    const t = new Tensor(this.heap, source.length);
    t.data.set(source);
    return t;
  }

  /** torch.nn.functional.layer_norm over rows of rowLength: (x − mean)/√(var + eps)·weight + bias. */
  layerNorm(x: Tensor, rowLength: number, options?: LayerNormOptions, out?: Tensor): Tensor;
  layerNorm(x: Float32Array, rowLength: number, options?: LayerNormOptions, out?: Float32Array): Float32Array;
  layerNorm(x: Operand, rowLength: number, options?: LayerNormOptions, out?: Operand): Operand {
    return normalise(this.heap, 'layerNorm', 'layer', x, rowLength, options, out);
  }

  /** RMSNorm over rows of rowLength: x/√(mean(x²) + eps)·(offset + weight). */
  rmsNorm(x: Tensor, rowLength: number, options?: RmsNormOptions, out?: Tensor): Tensor;
  rmsNorm(x: Float32Array, rowLength: number, options?: RmsNormOptions, out?: Float32Array): Float32Array;
  rmsNorm(x: Operand, rowLength: number, options?: RmsNormOptions, out?: Operand): Operand {
    return normalise(this.heap, 'rmsNorm', 'rms', x, rowLength, options, out);
  }

  /** A LayerNorm or RMSNorm whose parameters are copied into WASM memory once, for repeated use. */
  norm(spec: NormSpec): Norm {
    return new Norm(this.heap, spec, 'norm');
  }

  /** A dense layer with PyTorch's semantics: y = activation(x·Wᵀ + b), W as nn.Linear stores it. */
  linear(options: LinearOptions): Linear {
    return new Linear(this.heap, options);
  }

  /**
   * The transformer feedforward sublayer: a plain MLP fc2(act(fc1(x))) or a gated one
   * down(act(gate(x)) ⊙ up(x)), optionally wrapped in norms and a residual (`wiring`).
   */
  readonly feedForward = Object.assign((options: FeedForwardOptions) => new FeedForward(this.heap, options), {
    /** The MLP from a file's tensors by name prefix, e.g. { fc1: 'intermediate.dense', fc2: 'output.dense' }. */
    fromSafetensors: (files: CheckpointFiles, names: ProjectionNames, options?: SafetensorsOptions) => fromSafetensors(this.heap, files, names, options),
    /** One layer's feedforward sublayer of a Hugging Face checkpoint (sharded or not) and its parsed config.json. */
    fromPretrained: (files: CheckpointFiles, config: Record<string, unknown>, options?: PretrainedOptions) =>
      fromPretrained(this.heap, files, config, options),
  });

  /** A stack of dense layers, shapes checked when built (Keras' Sequential of Dense layers). */
  sequential(layers: readonly LayerSpec[]): Sequential {
    return new Sequential(this.heap, layers);
  }

  /** Parses a .safetensors file and places its tensors, as float32, in WASM memory. */
  safetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsFile {
    return new SafetensorsFile(this.heap, bytes);
  }

  /**
   * Rebuilds a layer that `layer.save()` wrote, without repacking. When `bytes` lie in this instance's
   * memory (read into a Tensor), the layer uses them in place: they must outlive it.
   */
  load(bytes: Uint8Array | ArrayBuffer): SavedLayer {
    return loadLayer(this.heap, bytes);
  }

  /** Bytes of linear memory the instance has now (it grows on demand up to maxMemory). */
  get memoryBytes(): number {
    return this.heap.buffer.byteLength;
  }

  get closed(): boolean {
    return this.heap.closed;
  }

  /** Ends the worker threads; any call afterwards throws. Resolves once the workers have exited. */
  close(): Promise<void> {
    if (this.heap.closed) return Promise.resolve();
    this.heap.parallel.free();
    this.heap.close();
    return this.#pool?.close() ?? Promise.resolve();
  }

  [Symbol.dispose](): void {
    void this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Makes the platform's `init`: where the default .wasm comes from and how workers start differ. */
export function createInit(platform: Platform) {
  return async function init(options: InitOptions = {}): Promise<Ffwd> {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`init: options must be an object, got ${describe(options)}`);
    }
    const maxMemory = options.maxMemory ?? DEFAULT_MAX_MEMORY;
    checkInteger('init', 'options.maxMemory', maxMemory, 2 * WASM_PAGE, 2 ** 32);
    const threads = requestedThreads(options.threads, platform.cores());
    let unavailable = threads > 1 ? whyNoThreads(platform.spawnWorker !== null) : null;
    const { imports, maximum } = memoryImports(maxMemory);
    let instantiated;
    if (options.module !== undefined) {
      instantiated = await instantiate(options.module, platform.fetchSource, imports);
      const { exports } = instantiated;
      const requested = options.build ?? 'auto';
      if (requested !== 'auto') chooseBuild(requested);
      if (requested !== 'auto' && requested !== buildOf(exports)) {
        throw new TypeError(`init: options.module is the '${buildOf(exports)}' build but options.build is '${requested}'`);
      }
      if (unavailable === null && threads > 1 && !importsMemory(instantiated.module)) {
        unavailable = `options.module is not a shared-memory build (ffwd.${buildOf(exports)}-shared.wasm runs threads)`;
      }
    } else {
      const build = chooseBuild(options.build);
      const shared = threads > 1 && unavailable === null;
      instantiated = await instantiate(await platform.defaultSource(build, shared), platform.fetchSource, imports);
    }
    const { exports, module } = instantiated;
    if (exports.memory.buffer.byteLength > maxMemory) {
      throw new RangeError(`init: options.maxMemory is ${maxMemory} bytes, less than the module's initial memory`);
    }
    const heap = new Heap(exports, maximum());
    let pool: Pool | null = null;
    if (threads > 1 && unavailable === null) {
      const started = await startThreads(heap, module, threads, platform.spawnWorker!);
      if (typeof started === 'string') unavailable = started;
      else pool = started;
    }
    return new Ffwd(heap, pool, unavailable);
  };
}
