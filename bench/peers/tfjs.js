// tfjs-core with tfjs-backend-wasm (XNNPACK inside), under Node. Under Node the backend needs
// setWasmPaths to its dist folder in node_modules, and it runs single-threaded (its threaded build
// is for browsers). It has no GELU op: GELU is composed from its ops, exact as
// 0.5·x·(1 + erf(x/√2)) (tf.erf, tf.mul, tf.add) and the tanh form as
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Constants are scalar tensors made once.
// Timed end to end: tf.tensor(Float32Array) → ops → dataSync() (a copy out of the WASM heap).
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { LEAKY_SLOPE } from '../kernels.js';

const require = createRequire(import.meta.url);

export const DESCRIPTION = 'tfjs-backend-wasm; GELU composed: 0.5*x*(1+erf(x/sqrt2)), tanh form from mul/add/tanh';

export function wasmDir() {
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

export async function ready() {
  setWasmPaths(wasmDir());
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to initialise');
  await tf.ready();
  tf.env().set('PROD', true);
}

/** Activations by PyTorch id, each (xt: tf.Tensor) → tf.Tensor, built over shared scalar constants. */
function activations() {
  const c = (v) => tf.keep(tf.scalar(v, 'float32'));
  const [half, one, rsqrt2, tanhScale, cubic, quick] = [0.5, 1, Math.SQRT1_2, Math.sqrt(2 / Math.PI), 0.044715, 1.702].map(c);
  return {
    gelu: (x) => tf.mul(tf.mul(x, half), tf.add(one, tf.erf(tf.mul(x, rsqrt2)))),
    gelu_tanh: (x) =>
      tf.mul(tf.mul(x, half), tf.add(one, tf.tanh(tf.mul(tanhScale, tf.add(x, tf.mul(cubic, tf.mul(x, tf.mul(x, x)))))))),
    sigmoid: (x) => tf.sigmoid(x),
    tanh: (x) => tf.tanh(x),
    relu: (x) => tf.relu(x),
    leaky_relu: (x) => tf.leakyRelu(x, LEAKY_SLOPE),
    silu: (x) => tf.mul(x, tf.sigmoid(x)),
    quick_gelu: (x) => tf.mul(x, tf.sigmoid(tf.mul(x, quick))),
  };
}

export async function create() {
  await ready();
  const ACT = activations();
  const run = (f) => {
    const call = () => {
      const y = tf.tidy(f);
      const data = y.dataSync();
      y.dispose();
      return data;
    };
    return { call, output: call };
  };
  return {
    name: 'tfjs-wasm',
    description: DESCRIPTION,
    activation(id, x) {
      if (!(id in ACT)) return null;
      return run(() => ACT[id](tf.tensor1d(x)));
    },
    // Weights transposed once at load ([in, out]), so each layer is matMul + add (+ activation).
    // (tf.fused.matMul with transposeB and a bias is avoided: it gave wrong results and a slow path.)
    layers(layers, x, batch) {
      const kept = layers.map(({ inFeatures, outFeatures, weight, bias }) => ({
        w: tf.keep(tf.transpose(tf.tensor2d(weight, [outFeatures, inFeatures]))),
        b: tf.keep(tf.tensor1d(bias)),
      }));
      const input = x.subarray(0, batch * layers[0].inFeatures);
      const runner = run(() =>
        layers.reduce((h, l, i) => {
          const z = tf.add(tf.matMul(h, kept[i].w), kept[i].b);
          return l.activation ? ACT[l.activation](z) : z;
        }, tf.tensor2d(input, [batch, layers[0].inFeatures])),
      );
      runner.release = () => kept.forEach(({ w, b }) => (w.dispose(), b.dispose()));
      return runner;
    },
    close() {},
  };
}
