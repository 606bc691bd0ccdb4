// ffwd.feedForward.fromPretrained: the feedforward sublayer of one layer of a Hugging Face checkpoint,
// from the files save_pretrained writes and the parsed config.json, wired as the family wires it.
import { activationName } from '../activations.js';
import { describe } from '../errors.js';
import { FeedForward, type FeedForwardOptions, type SublayerNorm } from '../feedforward.js';
import type { ProjectionOptions } from '../gated.js';
import { type Compute, type Layout, type WeightDtype, commonDtype, defaultDtype } from '../linear.js';
import type { Heap, Tensor } from '../memory.js';
import { Checkpoint, type CheckpointFiles } from './checkpoint.js';
import { type Config, FAMILIES, type Family } from './families.js';

export interface PretrainedOptions {
  /** Which layer (default 0). */
  layer?: number;
  /** false (default): the MLP alone; true: the whole sublayer with the family's norms and residual. */
  sublayer?: boolean;
  /** 'encoder' (default) or 'decoder' for T5, Whisper and BART; 'text' (default) or 'vision' for CLIP. */
  stack?: string;
  /** The weights' storage in the panels (LinearOptions.dtype); default: what the file stores (F32, BF16, F16). */
  dtype?: WeightDtype;
  /** 'f32' (default) or 'int8' (LinearOptions.compute; needs dtype 'int8'). */
  compute?: Compute;
}

const WHERE = 'feedForward.fromPretrained';

function checkOptions(family: Family, modelType: string, options: unknown): Required<Omit<PretrainedOptions, 'dtype' | 'compute'>> & Pick<PretrainedOptions, 'dtype' | 'compute'> {
  if (options === null || typeof options !== 'object') throw new TypeError(`${WHERE}: options must be an object, got ${describe(options)}`);
  const { layer = 0, sublayer = false, stack, dtype, compute } = options as PretrainedOptions;
  if (typeof layer !== 'number' || !Number.isInteger(layer)) {
    throw new TypeError(`${WHERE}: options.layer must be an integer ≥ 0, got ${describe(layer)}`);
  }
  if (layer < 0) throw new RangeError(`${WHERE}: options.layer must be an integer ≥ 0, got ${layer}`);
  if (typeof sublayer !== 'boolean') throw new TypeError(`${WHERE}: options.sublayer must be true or false, got ${describe(sublayer)}`);
  const stacks = family.stacks ?? [];
  if (stack !== undefined && !stacks.includes(stack)) {
    throw new TypeError(stacks.length
      ? `${WHERE}: options.stack must be ${stacks.map((s) => `'${s}'`).join(' or ')} for '${modelType}', got ${describe(stack)}`
      : `${WHERE}: '${modelType}' has one stack of layers; options.stack must be left out, got ${describe(stack)}`);
  }
  return { layer, sublayer, stack: stack ?? stacks[0] ?? '', dtype, compute };
}

/** The config value under `key` as an activation ffwd knows, or a TypeError naming the key. */
function activationOf(family: Family, settings: Config): string {
  const [key, value] = family.activation(settings);
  if (activationName(value) === undefined) throw new TypeError(`${WHERE}: config.${key} is ${describe(value)}, an activation ffwd does not know`);
  return value as string;
}

function epsOf(family: Family, settings: Config): number {
  if ('fixed' in family.eps) return family.eps.fixed;
  const value = settings[family.eps.key] ?? family.eps.fallback;
  if (typeof value !== 'number' || !(value >= 0)) throw new TypeError(`${WHERE}: config.${family.eps.key} must be a number ≥ 0, got ${describe(value)}`);
  return value;
}

/** `${prefix}.weight` (a matrix in `layout`) and `${prefix}.bias` if present, opened with `open`. */
function projectionFrom(checkpoint: Checkpoint, where: string, prefix: string, layout: Layout, open: (name: string) => Tensor): ProjectionOptions {
  const name = checkpoint.require(`${prefix}.weight`);
  const shape = checkpoint.shape(name);
  if (shape.length !== 2) throw new RangeError(`${where}: '${name}' has shape [${shape.join(', ')}], expected a matrix`);
  const [outFeatures, inFeatures] = layout === 'in_out' ? [shape[1], shape[0]] : shape;
  const spec: ProjectionOptions = { weight: open(name), inFeatures, outFeatures, layout };
  const bias = checkpoint.find(`${prefix}.bias`);
  if (bias !== undefined) spec.bias = open(bias);
  return spec;
}

/**
 * Sets the dtypes of an MLP made from a file's projections (weights `${prefix}.weight`, the first
 * GEMM's then the second's): `dtype` if one was asked for, else what each GEMM's weights are stored
 * as, so that a file mixing dtypes has no weight rounded to another projection's (a BF16 one to
 * float16's range). Gate and up share one GEMM: stored differently, they take 'f32', which holds both.
 */
function setDtypes(checkpoint: Checkpoint, mlp: FeedForwardOptions, first: string[], second: string | undefined, dtype?: WeightDtype, compute?: Compute): void {
  const stored = (prefixes: string[]) => {
    const common = commonDtype(prefixes.map((prefix) => ({ dtype: checkpoint.weightDtype(checkpoint.require(`${prefix}.weight`)) })));
    return common === 'mixed' ? 'f32' : common;
  };
  mlp.dtype = dtype ?? defaultDtype(compute, stored(first));
  const down = mlp.fc2 ?? mlp.down;
  if (down !== undefined && second !== undefined) down.dtype = dtype ?? defaultDtype(compute, stored([second]));
}

/** Runs `build` with a function that opens tensors of the checkpoint, and frees them all afterwards. */
function withCheckpoint<T>(heap: Heap, where: string, files: unknown, build: (checkpoint: Checkpoint, open: (name: string) => Tensor) => T): T {
  const checkpoint = new Checkpoint(heap, where, files);
  const opened: Tensor[] = [];
  try {
    return build(checkpoint, (name) => {
      const tensor = checkpoint.open(name);
      opened.push(tensor);
      return tensor;
    });
  } finally {
    for (const tensor of opened) tensor.free();
    checkpoint.free();
  }
}

/** fromSafetensors' options: the MLP's activation, every projection's dtype and compute, the weights' layout. */
export type SafetensorsOptions = Pick<FeedForwardOptions, 'activation' | 'slope' | 'dtype' | 'compute'> & { layout?: Layout };

export type ProjectionNames = { fc1: string; fc2: string } | { gate: string; up: string; down: string } | { gateUp: string; down: string };
const PROJECTIONS = ['fc1', 'fc2', 'gate', 'up', 'gateUp', 'down'] as const;

/** ffwd.feedForward.fromSafetensors: the MLP from the `${name}.weight` / `${name}.bias` tensors of a file. */
export function fromSafetensors(
  heap: Heap, files: CheckpointFiles, names: unknown,
  options: SafetensorsOptions = {},
): FeedForward {
  const where = 'feedForward.fromSafetensors';
  if (names === null || typeof names !== 'object') throw new TypeError(`${where}: names must be an object such as { fc1: 'fc1', fc2: 'fc2' }, got ${describe(names)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  const given = PROJECTIONS.filter((k) => (names as Record<string, unknown>)[k] !== undefined);
  for (const k of given) {
    const value = (names as Record<string, unknown>)[k];
    if (typeof value !== 'string') throw new TypeError(`${where}: names.${k} must be a tensor name prefix (a string), got ${describe(value)}`);
  }
  const { layout = 'out_in', dtype, ...rest } = options;
  const prefix = (k: string) => (names as Record<string, string>)[k];
  return withCheckpoint(heap, where, files, (checkpoint, open) => {
    const mlp: FeedForwardOptions = { ...Object.fromEntries(given.map((k) => [k, projectionFrom(checkpoint, where, prefix(k), layout, open)])), ...rest };
    const second = given.find((k) => k === 'fc2' || k === 'down');
    setDtypes(checkpoint, mlp, given.filter((k) => k !== second).map(prefix), second && prefix(second), dtype, rest.compute);
    return new FeedForward(heap, mlp, where);
  });
}

export function fromPretrained(heap: Heap, files: CheckpointFiles, config: unknown, options: unknown = {}): FeedForward {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new TypeError(`${WHERE}: config must be the parsed config.json (an object), got ${describe(config)}`);
  }
  const modelType = (config as Config).model_type;
  const family = typeof modelType === 'string' ? FAMILIES[modelType] : undefined;
  if (family === undefined) {
    throw new TypeError(`${WHERE}: config.model_type is ${describe(modelType)}; supported: ${Object.keys(FAMILIES).join(', ')}`);
  }
  const { layer, sublayer, stack, dtype, compute } = checkOptions(family, modelType as string, options);
  const settings = family.settings ? family.settings(config as Config, stack) : (config as Config);
  const layers = family.layers(settings, stack);
  if (layers !== undefined && layer >= layers) {
    throw new RangeError(`${WHERE}: options.layer is ${layer}, but the config has ${layers} layers${stack ? ` in the ${stack} stack` : ''}`);
  }
  const activation = activationOf(family, settings);
  const eps = epsOf(family, settings);

  return withCheckpoint(heap, WHERE, files, (checkpoint, open) => {
    const path = family.path(stack, layer);
    const hidden = family.hidden.map((k) => settings[k]).find((v) => typeof v === 'number') as number | undefined;
    const intermediate = family.intermediate(settings, stack);
    const names = family.mlp(settings);
    /** A projection whose sizes must agree with the config where it gives them. */
    const projection = (relative: string, out: number | undefined, into: number | undefined) => {
      const spec = projectionFrom(checkpoint, WHERE, `${path}.${relative}`, family.layout ?? 'out_in', open);
      for (const [what, got, want] of [['outFeatures', spec.outFeatures, out], ['inFeatures', spec.inFeatures, into]] as const) {
        if (want !== undefined && got !== want) {
          throw new RangeError(`${WHERE}: '${path}.${relative}.weight' has ${what} ${got}, but the config says ${want}`);
        }
      }
      return spec;
    };
    const mlp: FeedForwardOptions = { activation: activation as never, compute };
    if ('fc1' in names) {
      mlp.fc1 = projection(names.fc1, intermediate, hidden);
      mlp.fc2 = projection(names.fc2, hidden, mlp.fc1.outFeatures);
    } else if ('gateUp' in names) {
      mlp.gateUp = projection(names.gateUp, intermediate === undefined ? undefined : 2 * intermediate, hidden);
      mlp.down = projection(names.down, hidden, mlp.gateUp.outFeatures / 2);
    } else {
      mlp.gate = projection(names.gate, intermediate, hidden);
      mlp.up = projection(names.up, mlp.gate.outFeatures, mlp.gate.inFeatures);
      mlp.down = projection(names.down, hidden, mlp.gate.outFeatures);
    }
    const first = 'fc1' in names ? [names.fc1] : 'gateUp' in names ? [names.gateUp] : [names.gate, names.up];
    const second = 'fc1' in names ? names.fc2 : names.down;
    setDtypes(checkpoint, mlp, first.map((name) => `${path}.${name}`), `${path}.${second}`, dtype, compute);
    if (sublayer) {
      const width = mlp.fc1?.inFeatures ?? mlp.gate?.inFeatures ?? mlp.gateUp!.inFeatures;
      const norm = (relative: string): SublayerNorm => {
        const weight = checkpoint.require(`${path}.${relative}.weight`, `${path}.${relative}.gamma`);
        const bias = checkpoint.find(`${path}.${relative}.bias`) ?? checkpoint.find(`${path}.${relative}.beta`);
        for (const name of [weight, bias]) {
          if (name !== undefined && checkpoint.shape(name).join() !== String(width)) {
            throw new RangeError(`${WHERE}: '${name}' has shape [${checkpoint.shape(name).join(', ')}], expected [${width}]`);
          }
        }
        const spec: SublayerNorm = { kind: family.norm.kind, eps, weight: open(weight) };
        if (family.norm.kind === 'rms') spec.offset = family.norm.offset ?? 0;
        else if (bias !== undefined) spec.bias = open(bias);
        return spec;
      };
      mlp.wiring = family.wiring;
      mlp.norm = norm(family.norm.name);
      if (family.postNorm) mlp.postNorm = norm(family.postNorm);
    }
    return new FeedForward(heap, mlp, WHERE);
  });
}
