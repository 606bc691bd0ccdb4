// The seed's example: a transformer FeedForwardBlock(512, 2048) — Linear(512→2048) → GELU →
// Linear(2048→512) — on x = randn(8, 512). `npm start` runs it: output shape, agreement with a
// float64 reference, median latency, and the speed-up over the same block in plain JavaScript.
import { init } from 'ffwd';

const [D, H, BATCH] = [512, 2048, 8];

// Deterministic N(0, 1) and nn.Linear's default init U(−1/√in, 1/√in).
let seed = 42;
const uniform = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const randn = (n) => Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()));
const linearInit = (inF, outF) => {
  const bound = 1 / Math.sqrt(inF);
  const init = (n) => Float32Array.from({ length: n }, () => (2 * uniform() - 1) * bound);
  return { weight: init(outF * inF), bias: init(outF), inFeatures: inF, outFeatures: outF };
};
const fc1 = linearInit(D, H);
const fc2 = linearInit(H, D);
const xData = randn(BATCH * D);

// erf in float64: its Taylor series near 0, a continued fraction for erfc in the tails.
function erfc(z) {
  if (z < 0) return 2 - erfc(-z);
  if (z < 3) {
    let term = z, sum = z;
    for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0; // Lentz-free backward evaluation of erfc(z) = exp(−z²)/√π · 1/(z + 1/2/(z + 1/(z + 3/2/(z + …))))
  for (let k = 60; k >= 1; k--) f = (k / 2) / (z + f);
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + f);
}
const gelu64 = (v) => 0.5 * v * erfc(-v / Math.SQRT2);

/** The block in plain JavaScript: y = fc2(act(fc1(x))), Float32Array storage, `act` per hidden unit. */
function feedForwardJs(x, act, Out = Float32Array) {
  const layer = (input, { weight, bias, inFeatures: K, outFeatures: N }, f) => {
    const y = new Out(BATCH * N);
    for (let b = 0; b < BATCH; b++) {
      for (let n = 0; n < N; n++) {
        let sum = bias[n];
        for (let k = 0; k < K; k++) sum += input[b * K + k] * weight[n * K + k];
        y[b * N + n] = f(sum);
      }
    }
    return y;
  };
  return layer(layer(x, fc1, act), fc2, (v) => v);
}

function medianMs(fn, rounds = 31) {
  fn();
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[rounds >> 1];
}

const ffwd = await init();
const block = ffwd.feedForward({ fc1, fc2, activation: 'gelu' });
const x = ffwd.tensor(xData); // lives in WASM memory: forward() copies nothing
const y = ffwd.tensor(BATCH * D);
block.forward(x, BATCH, y);

const reference = feedForwardJs(xData, gelu64, Float64Array);
let maxError = 0;
let maxValue = 0;
for (let i = 0; i < reference.length; i++) {
  maxError = Math.max(maxError, Math.abs(y.data[i] - reference[i]));
  maxValue = Math.max(maxValue, Math.abs(reference[i]));
}

const ffwdMs = medianMs(() => block.forward(x, BATCH, y));
const jsMs = medianMs(() => feedForwardJs(xData, gelu64), 5);

console.log(`FeedForwardBlock(${D}, ${H}) with exact GELU, ffwd ${ffwd.build} build, ${block.parameters} parameters`);
console.log(`input [${BATCH}, ${D}] → output [${BATCH}, ${y.length / BATCH}]`);
console.log(`agreement with float64: max |error| ${maxError.toExponential(2)} (outputs up to ${maxValue.toFixed(3)})`);
console.log(`median latency: ffwd ${ffwdMs.toFixed(3)} ms, plain JavaScript ${jsMs.toFixed(1)} ms → ${(jsMs / ffwdMs).toFixed(1)}× faster`);
console.log(`(${((2 * BATCH * 2 * D * H) / ffwdMs / 1e6).toFixed(1)} GFLOP/s on one core; more in npm run bench)`);
block.free();
x.free();
y.free();
