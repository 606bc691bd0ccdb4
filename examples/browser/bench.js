// ffwd against plain JavaScript on the same activations: each side runs in place over N float32
// values for about BUDGET_MS, after a warm-up; the page yields between steps so the progress bar moves.
const N = 65536;
const BUDGET_MS = 150;

// Plain JavaScript, as one would write it: a loop over a Float32Array with Math functions.
// erfc: the Chebyshev fit of Numerical Recipes (relative error < 1.2e-7).
function erfc(x) {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
const K = Math.sqrt(2 / Math.PI);
const PLAIN = {
  gelu: (a) => { for (let i = 0; i < a.length; i++) { const x = a[i]; a[i] = 0.5 * x * erfc(-x * Math.SQRT1_2); } },
  geluTanh: (a) => { for (let i = 0; i < a.length; i++) { const x = a[i]; a[i] = 0.5 * x * (1 + Math.tanh(K * (x + 0.044715 * x * x * x))); } },
  sigmoid: (a) => { for (let i = 0; i < a.length; i++) a[i] = 1 / (1 + Math.exp(-a[i])); },
  tanh: (a) => { for (let i = 0; i < a.length; i++) a[i] = Math.tanh(a[i]); },
  relu: (a) => { for (let i = 0; i < a.length; i++) { const x = a[i]; a[i] = x < 0 ? 0 : x; } },
  leakyRelu: (a) => { for (let i = 0; i < a.length; i++) { const x = a[i]; a[i] = x > 0 ? x : x * 0.1; } },
};

const now = () => performance.now();
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Calls `step` repeatedly for about BUDGET_MS (after a warm-up); ns per value. */
async function time(step, refill) {
  for (let i = 0; i < 3; i++) step();
  let calls = 0;
  let spent = 0;
  while (spent < BUDGET_MS) {
    refill();
    const t0 = now();
    for (let i = 0; i < 8; i++) step();
    spent += now() - t0;
    calls += 8;
    if (calls % 64 === 0) await tick();
  }
  return (spent * 1e6) / (calls * N);
}

/** Runs every function both ways; `onProgress(fraction, label)` after each step. */
export async function runBenchmark(ffwd, { onProgress = () => {} } = {}) {
  const names = Object.keys(PLAIN);
  const input = new Float32Array(N);
  for (let i = 0; i < N; i++) input[i] = -6 + (12 * i) / N;
  const rows = [];
  const steps = names.length * 2;
  let done = 0;
  onProgress(0, 'starting…');
  await tick();
  for (const name of names) {
    // ffwd: a Tensor in WASM memory, in place (the zero-copy path).
    const x = ffwd.tensor(input);
    const kernel = name === 'leakyRelu' ? () => ffwd.leakyRelu(x, 0.1, x) : () => ffwd[name](x, x);
    onProgress(done / steps, `${name}: ffwd…`);
    await tick();
    const ffwdNs = await time(kernel, () => x.data.set(input));
    x.free();
    onProgress(++done / steps, `${name}: plain JavaScript…`);
    await tick();
    const plain = new Float32Array(N);
    const jsNs = await time(() => PLAIN[name](plain), () => plain.set(input));
    onProgress(++done / steps, `${name}: done`);
    rows.push({ name, ffwdNs, jsNs, speedup: jsNs / ffwdNs });
    await tick();
  }
  return rows;
}
