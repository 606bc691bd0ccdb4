// ffwd as a bench contender: one instance per build (both live in this process), timed on the
// zero-copy Tensor path (inputs and outputs already in WASM memory) or on the copied path (plain
// Float32Arrays in and out, as a user without Tensors calls it). Every build exports every kernel
// and layer API, so a missing one is an error in the report, never a silently empty column.
import { init } from 'ffwd';
import { llamaCheckpoint } from './checkpoints.js';
import { KERNELS, kernelById } from './kernels.js';

const instances = new Map();

/** The shared instance of a build ('simd' | 'relaxed') on `threads` threads (its workers never keep the process alive). */
export async function instance(build, threads = 1) {
  const key = `${build}/${threads}`;
  if (!instances.has(key)) {
    instances.set(key, init({ build, threads }).then((f) => {
      if (f.threads !== threads) throw new Error(`ffwd ${build} runs ${f.threads} thread(s), not ${threads}: ${f.threadsUnavailable}`);
      return f;
    }));
  }
  return instances.get(key);
}

/** The storage options of a layer, as given (dtype: the weights' storage; compute: 'int8' quantises x too). */
const storageOf = ({ dtype, compute }) => ({ ...(dtype ? { dtype } : {}), ...(compute ? { compute } : {}) });

/** Each layer as an ffwd option object (activation omitted when the layer has none). */
const layerOptions = ({ weight, bias, inFeatures, outFeatures, activation, ...rest }) => ({
  weight,
  bias,
  inFeatures,
  outFeatures,
  ...(activation ? { activation } : {}),
  ...storageOf(rest),
});

/**
 * The model a layer stack becomes: a 2-layer stack whose hidden layer is activated is a
 * feedForward (fused FFN), anything else a chain of linear layers.
 */
function buildModel(f, layers) {
  if (layers.length === 2 && layers[0].activation && !layers[1].activation) {
    const [fc1, fc2] = layers.map(({ weight, bias, inFeatures, outFeatures, ...rest }) => ({ weight, bias, inFeatures, outFeatures, ...storageOf(rest) }));
    return { api: 'feedForward', parts: [f.feedForward({ fc1, fc2, activation: layers[0].activation })] };
  }
  return { api: 'linear', parts: layers.map((l) => f.linear(layerOptions(l))) };
}

const release = (...things) => things.forEach((t) => (t?.free ?? t?.dispose)?.call(t));

/** The kernels and layer APIs the bench uses, for the report; one the instance lacks is an error. */
export function capabilities(f) {
  const methods = [...KERNELS.map((k) => k.ffwd), 'feedForward', 'linear', 'sequential'];
  const missing = methods.filter((name) => typeof f[name] !== 'function');
  if (missing.length) throw new TypeError(`the ${f.build} build is missing ${missing.map((m) => `ffwd.${m}`).join(', ')}`);
  return methods;
}

/** `instance` overrides the shared one (tests of this file pass a stand-in). */
export async function create({ build, copy = false, threads = 1, instance: given }) {
  const f = given ?? (await instance(build, threads));
  return {
    name: `ffwd ${build}${threads > 1 ? ` ${threads} threads` : ''}${copy ? ' (copy)' : ''}`,
    instance: f,
    description: `${copy ? 'Float32Array in/out (copied into WASM memory and back)' : 'zero-copy Tensor path'}${threads > 1 ? `, init({ threads: ${threads} })` : ''}`,
    activation(id, x, slope) {
      const name = kernelById(id).ffwd;
      const kernel = f[name];
      // Thrown here, it becomes this case's error (an ERR cell and a line under Problems).
      if (typeof kernel !== 'function') throw new TypeError(`ffwd.${name} is missing from the ${f.build} build`);
      const apply = slope === undefined ? (a, b) => kernel.call(f, a, b) : (a, b) => kernel.call(f, a, slope, b);
      if (copy) {
        const y = new Float32Array(x.length);
        const call = () => apply(x, y);
        return { call, output: () => (call(), y) };
      }
      const xt = f.tensor(x);
      const yt = f.tensor(x.length);
      const call = () => apply(xt, yt);
      return { call, output: () => (call(), yt.data), release: () => release(xt, yt) };
    },
    layers(layers, x, batch) {
      const model = buildModel(f, layers);
      const input = x.subarray(0, batch * layers[0].inFeatures);
      // Tensors between the parts (a chain of linears) and for the output; the copied path hands
      // Float32Arrays to forward and lets it allocate its output.
      const widths = model.api === 'feedForward' ? [layers[1].outFeatures] : layers.map((l) => l.outFeatures);
      const outs = copy ? [] : widths.map((w) => f.tensor(batch * w));
      const xt = copy ? input : f.tensor(input);
      const call = () => model.parts.reduce((h, part, i) => part.forward(h, batch, outs[i]), xt);
      const output = () => {
        const y = call();
        return y instanceof Float32Array ? y : y.data;
      };
      // The layers' own size (panels: weights, biases, int8 scales), where the build reports it.
      const bytes = model.parts.every((p) => Number.isFinite(p.bytes)) ? model.parts.reduce((s, p) => s + p.bytes, 0) : undefined;
      return { call, output, api: model.api, bytes, release: () => release(...model.parts, ...outs, copy ? null : xt) };
    },
    /** The LLaMA MLP (or sublayer) loaded by fromPretrained from its checkpoint's bytes. */
    swiglu(weights, x, batch, sublayer) {
      const { bytes, config } = llamaCheckpoint(weights);
      const block = f.feedForward.fromPretrained(bytes, config, { sublayer });
      const input = x.subarray(0, batch * block.inFeatures);
      const xt = copy ? input : f.tensor(input);
      const yt = copy ? undefined : f.tensor(batch * block.outFeatures);
      const call = () => block.forward(xt, batch, yt);
      const output = () => {
        const y = call();
        return y instanceof Float32Array ? y : y.data;
      };
      return { call, output, api: 'fromPretrained', release: () => release(block, yt, copy ? null : xt) };
    },
    close() {},
  };
}
