// The seed block the service serves: FeedForward 512 → 2048 → GELU → 512, with nn.Linear's default
// initialisation U(−1/√in, 1/√in) from a fixed seed (the same weights every start).
export const WIDTH = 512;
export const HIDDEN = 2048;

function uniform(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** The layer options of the block (plain arrays: a client can rebuild the same block). */
export function seedBlockOptions(seed = 42) {
  const next = uniform(seed);
  const linear = (inFeatures, outFeatures) => {
    const bound = 1 / Math.sqrt(inFeatures);
    const values = (n) => Float32Array.from({ length: n }, () => (2 * next() - 1) * bound);
    return { weight: values(outFeatures * inFeatures), bias: values(outFeatures), inFeatures, outFeatures };
  };
  return { fc1: linear(WIDTH, HIDDEN), fc2: linear(HIDDEN, WIDTH), activation: 'gelu' };
}
