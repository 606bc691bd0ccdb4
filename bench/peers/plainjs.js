// Plain JavaScript: what a user writes without any library. One loop generator; each kernel is a
// scalar expression compiled into its own loop (new Function), so V8 inlines it monomorphically.
// erf is Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), evaluated in float64, stored as float32.

const HELPERS = {
  erf(x) {
    const a = Math.abs(x);
    const t = 1 / (1 + 0.3275911 * a);
    const p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    const r = 1 - p * Math.exp(-a * a);
    return x < 0 ? -r : r;
  },
};

/** Scalar expressions of `v` (and `slope`), by PyTorch id. */
const EXPRESSIONS = {
  gelu: '0.5 * v * (1 + erf(v * 0.7071067811865476))',
  gelu_tanh: '0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))',
  sigmoid: '1 / (1 + Math.exp(-v))',
  tanh: 'Math.tanh(v)',
  relu: 'v > 0 ? v : 0',
  leaky_relu: 'v > 0 ? v : v * slope',
  silu: 'v / (1 + Math.exp(-v))',
  quick_gelu: 'v / (1 + Math.exp(-1.702 * v))',
};

export const DESCRIPTION = 'plain JS loop, float64 math (erf: A&S 7.1.26)';

/** A fresh `(x, y, slope) => void` loop around one expression. */
export function compileMap(expression) {
  const body = `return function map(x, y, slope) {
    for (let i = 0; i < x.length; i++) { const v = x[i]; y[i] = ${expression}; }
  };`;
  return new Function('erf', body)(HELPERS.erf);
}

/**
 * y[b, n] = act(bias[n] + Σk x[b, k] · W[n, k]) over PyTorch-layout W, four rows of x at a time so
 * each weight row is read once per four outputs. act is applied once per output (not in the hot loop).
 */
function linear(x, batch, { inFeatures: K, outFeatures: N, weight, bias }, act, y) {
  let b = 0;
  for (; b + 4 <= batch; b += 4) {
    const x0 = b * K;
    const x1 = x0 + K;
    const x2 = x1 + K;
    const x3 = x2 + K;
    for (let n = 0; n < N; n++) {
      const w = n * K;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < K; k++) {
        const wk = weight[w + k];
        s0 += x[x0 + k] * wk;
        s1 += x[x1 + k] * wk;
        s2 += x[x2 + k] * wk;
        s3 += x[x3 + k] * wk;
      }
      y[b * N + n] = act(s0 + bias[n]);
      y[(b + 1) * N + n] = act(s1 + bias[n]);
      y[(b + 2) * N + n] = act(s2 + bias[n]);
      y[(b + 3) * N + n] = act(s3 + bias[n]);
    }
  }
  for (; b < batch; b++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[b * K + k] * weight[n * K + k];
      y[b * N + n] = act(s + bias[n]);
    }
  }
}

export async function create() {
  const identity = (v) => v;
  const activationFn = (id) => (id ? scalarOf(id) : identity);
  return {
    name: 'plain JS',
    description: DESCRIPTION,
    activation(id, x, slope) {
      if (!(id in EXPRESSIONS)) return null;
      const map = compileMap(EXPRESSIONS[id]);
      const y = new Float32Array(x.length);
      return { call: () => map(x, y, slope), output: () => (map(x, y, slope), y) };
    },
    layers(layers, x, batch) {
      const outputs = layers.map((l) => new Float32Array(batch * l.outFeatures));
      const acts = layers.map((l) => activationFn(l.activation));
      const call = () => {
        let input = x;
        layers.forEach((l, i) => {
          linear(input, batch, l, acts[i], outputs[i]);
          input = outputs[i];
        });
        return input;
      };
      return { call, output: call };
    },
    close() {},
  };
}

/** The scalar function of one expression (used in the layers' epilogue). */
function scalarOf(id) {
  return new Function('erf', `return (v, slope) => ${EXPRESSIONS[id]};`)(HELPERS.erf);
}
