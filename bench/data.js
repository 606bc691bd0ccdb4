// Deterministic inputs: every implementation gets the very same Float32Arrays.

/** mulberry32: a small, fast 32-bit PRNG; uniform in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller). */
export function normal(n, seed, scale = 1) {
  const u = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u())) * scale;
    const t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

export function uniform(n, seed, lo, hi) {
  const u = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * u();
  return out;
}

/** The input distributions of the activation section, by id. */
export const DISTRIBUTIONS = {
  normal: { label: 'N(0,1)', make: (n) => normal(n, 0x5eed) },
  uniform: { label: 'U[-10,10]', make: (n) => uniform(n, 0x5eed + 1, -10, 10) },
};

/**
 * A stack of linear layers in PyTorch layout (weight [out, in], N(0,1)/√in; bias N(0,1)/√in),
 * e.g. [[512, 2048, 'gelu'], [2048, 512, null]].
 */
export function makeLayers(shape, seed = 0xffd) {
  return shape.map(([inFeatures, outFeatures, activation], i) => ({
    inFeatures,
    outFeatures,
    activation,
    weight: normal(inFeatures * outFeatures, seed + 2 * i, 1 / Math.sqrt(inFeatures)),
    bias: normal(outFeatures, seed + 2 * i + 1, 1 / Math.sqrt(inFeatures)),
  }));
}
