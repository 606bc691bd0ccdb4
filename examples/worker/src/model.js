// The demo feedforward block the worker serves: BERT-base's shape scaled down (d = 64, h = 256),
// with weights made from a fixed seed so that anyone can reproduce the outputs.
export const D_MODEL = 64;
export const D_HIDDEN = 256;
/** The largest request body the worker accepts: 1 MiB, 262,144 float32 values. */
export const MAX_BODY_BYTES = 1 << 20;

function uniform(seed, length, scale) {
  let s = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

/** feedForward options: fc1 [h, d] and fc2 [d, h] in nn.Linear's layout, He-like scales. */
export function demoWeights() {
  return {
    fc1: { weight: uniform(1, D_HIDDEN * D_MODEL, Math.sqrt(3 / D_MODEL)), bias: uniform(2, D_HIDDEN, 0.1), inFeatures: D_MODEL, outFeatures: D_HIDDEN },
    fc2: { weight: uniform(3, D_MODEL * D_HIDDEN, Math.sqrt(3 / D_HIDDEN)), bias: uniform(4, D_MODEL, 0.1), inFeatures: D_HIDDEN, outFeatures: D_MODEL },
    activation: 'gelu',
  };
}
