// Float64 references that every implementation's output is checked against, and the checks.

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erfc(z) for z ≥ 2.5 by its continued fraction (60 terms: converged to double precision there). */
function erfcLarge(z) {
  let k = 0;
  for (let n = 60; n >= 1; n--) k = n / 2 / (z + k);
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + k);
}

/** erf by its Taylor series below 2.5 (cancellation costs < 2 digits there), else 1 − erfc. */
export function erf(x) {
  const a = Math.abs(x);
  let r;
  if (a < 2.5) {
    const x2 = a * a;
    let term = a;
    let sum = a;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * sum) break;
    }
    r = sum * TWO_OVER_SQRT_PI;
  } else {
    r = 1 - erfcLarge(a);
  }
  return x < 0 ? -r : r;
}

export function erfc(x) {
  return x >= 2.5 ? erfcLarge(x) : 1 - erf(x);
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const TANH_C = Math.sqrt(2 / Math.PI);

/** Float64 forward functions by PyTorch id. gelu's negative side goes through erfc (no cancellation). */
export const REFERENCE = {
  gelu: (x) => 0.5 * x * erfc(-x / Math.SQRT2),
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(TANH_C * (x + 0.044715 * x * x * x))),
  sigmoid,
  tanh: Math.tanh,
  relu: (x) => (x > 0 ? x : 0),
  leaky_relu: (x, slope) => (x > 0 ? x : x * slope),
  silu: (x) => x * sigmoid(x),
  quick_gelu: (x) => x * sigmoid(1.702 * x),
};

/** Float64 of a layer stack (PyTorch layout) over `batch` rows of x. */
export function layersReference(layers, x, batch) {
  let input = Float64Array.from(x.subarray(0, batch * layers[0].inFeatures));
  for (const { inFeatures: K, outFeatures: N, weight, bias, activation } of layers) {
    const act = activation ? REFERENCE[activation] : (v) => v;
    const out = new Float64Array(batch * N);
    for (let b = 0; b < batch; b++) {
      for (let n = 0; n < N; n++) {
        let s = bias[n];
        for (let k = 0; k < K; k++) s += input[b * K + k] * weight[n * K + k];
        out[b * N + n] = act(s);
      }
    }
    input = out;
  }
  return input;
}

/**
 * How far `y` is from `ref`: the largest absolute difference, and the largest difference scaled by
 * max(1, |ref|) (which the pass/fail check uses: relative for large values, absolute near 0).
 */
export function compare(y, ref) {
  if (y.length !== ref.length) return { maxAbs: Infinity, maxScaled: Infinity };
  let maxAbs = 0;
  let maxScaled = 0;
  for (let i = 0; i < y.length; i++) {
    const d = Math.abs(y[i] - ref[i]);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d; // NaN counts as the worst
    const s = d / Math.max(1, Math.abs(ref[i]));
    if (!(s <= maxScaled)) maxScaled = Number.isNaN(s) ? Infinity : s;
  }
  return { maxAbs, maxScaled };
}
