// onnxruntime-web, WASM execution provider, under Node. Its Node entry (dist/ort.node.min.mjs)
// finds its glue (ort-wasm-simd-threaded.mjs) and .wasm beside itself in node_modules; threads are
// Emscripten pthreads on worker_threads. The thread count is fixed per JS realm at the first session
// (ort.env.wasm.numThreads; session options cannot change it), so run.js hosts the 2-thread
// configuration in a worker thread of its own (remote.js).
// Timed end to end: Float32Array → ort.Tensor → session.run (copies into and out of ORT's heap).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-web';
import { LEAKY_SLOPE } from '../kernels.js';
import { layersModel, swigluModel, unaryModel } from '../onnx.js';

const require = createRequire(import.meta.url);
const node = (op, inputs, outputs, extra = {}) => ({ op, inputs, outputs, ...extra });
const MS = 'com.microsoft';

/**
 * Graphs by PyTorch id: (x, y) → nodes. GELU is the ONNX opset-20 `Gelu` (approximate='none' or
 * 'tanh'), which this onnxruntime-web runs natively (com.microsoft Gelu/FastGelu work too and time
 * the same). SiLU has no ONNX op: Sigmoid + Mul. quick_gelu is com.microsoft QuickGelu(alpha 1.702).
 */
const GRAPHS = {
  gelu: (x, y) => [node('Gelu', [x], [y])],
  gelu_tanh: (x, y) => [node('Gelu', [x], [y], { attributes: { approximate: 'tanh' } })],
  sigmoid: (x, y) => [node('Sigmoid', [x], [y])],
  tanh: (x, y) => [node('Tanh', [x], [y])],
  relu: (x, y) => [node('Relu', [x], [y])],
  leaky_relu: (x, y) => [node('LeakyRelu', [x], [y], { attributes: { alpha: LEAKY_SLOPE } })],
  silu: (x, y) => [node('Sigmoid', [x], [`${y}_s`]), node('Mul', [x, `${y}_s`], [y])],
  quick_gelu: (x, y) => [node('QuickGelu', [x], [y], { domain: MS, attributes: { alpha: 1.702 } })],
};
const OPSETS = { '': 20, [MS]: 1 };

export const DESCRIPTION = 'onnxruntime-web WASM EP; opset-20 Gelu; Float32Array in/out incl. copies';

/** The .wasm file this onnxruntime-web runs under Node. */
export function wasmPath() {
  return require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm');
}

export function version() {
  return ort.env.versions.web;
}

export function configure({ threads = 1, wasmBinary } = {}) {
  ort.env.logLevel = 'error';
  ort.env.wasm.numThreads = threads;
  if (wasmBinary) ort.env.wasm.wasmBinary = wasmBinary;
}

export const createSession = (bytes) => ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });

/** One session as a runner: `shape` is the input's dims; `bytes` is the model's size. */
async function runner(bytes, x, shape) {
  const session = await createSession(bytes);
  const call = async () => (await session.run({ x: new ort.Tensor('float32', x, shape) })).y.data;
  return { call, async: true, output: call, bytes: bytes.length, release: () => session.release() };
}

export async function create({ threads = 1 } = {}) {
  configure({ threads });
  return {
    name: `onnxruntime-web ${threads}t`,
    description: DESCRIPTION,
    activation(id, x) {
      if (!(id in GRAPHS)) return null;
      return runner(unaryModel({ nodes: GRAPHS[id]('x', 'y'), opsets: OPSETS }), x, [x.length]);
    },
    layers(layers, x, batch) {
      const bytes = layersModel({ layers, activationNodes: (id, a, b) => GRAPHS[id](a, b), opsets: OPSETS });
      return runner(bytes, x.subarray(0, batch * layers[0].inFeatures), [batch, layers[0].inFeatures]);
    },
    /**
     * The stack dynamically quantised (onnx.js layersModel `quantized`: 'DynamicQuantizeMatMul', the
     * default, or 'MatMulInteger'); int8 weights per output column, x per tensor uint8 at run time.
     */
    quantizedLayers(layers, x, batch, quantized = 'DynamicQuantizeMatMul') {
      const bytes = layersModel({ layers, activationNodes: (id, a, b) => GRAPHS[id](a, b), opsets: OPSETS, quantized });
      return runner(bytes, x.subarray(0, batch * layers[0].inFeatures), [batch, layers[0].inFeatures]);
    },
    swiglu(weights, x, batch, sublayer) {
      const width = weights.norm.length;
      return runner(swigluModel({ weights, sublayer, opsets: OPSETS }), x.subarray(0, batch * width), [batch, width]);
    },
    close() {},
  };
}

export const readWasm = () => readFileSync(wasmPath());
