// Hugging Face's activation strings (transformers' ACT2FN) mean in ffwd what transformers computes:
// each string goes into a Linear (y = act(1·x), so the GEMM is exact and only the activation is
// measured) and is checked against a float64 evaluation of the formula transformers' activations.py
// writes for it, within the ≤ 2 ulp contract.
import { describe, expect, it } from 'vitest';
import * as M from './reference/math.js';
import { sampleInputs, ulpError } from './reference/ulp.js';
import { BUILDS, instance } from './builds.js';

/** x·σ(2u) = 0.5·x·(1 + tanh(u)), evaluated without the cancellation of 1 + tanh(u) for u ≪ 0. */
const xSigmoid2u = (x: number, u: number) => x / (1 + Math.exp(-2 * u));
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** ACT2FN's strings and transformers' formulas (activations.py), in float64. */
const HF: Record<string, (x: number) => number> = {
  gelu: M.gelu, // GELUActivation: nn.functional.gelu, exact
  gelu_python: M.gelu, // x·0.5·(1 + erf(x/√2))
  gelu_new: (x) => xSigmoid2u(x, SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)), // NewGELUActivation
  gelu_pytorch_tanh: (x) => xSigmoid2u(x, SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)), // gelu(approximate='tanh')
  gelu_python_tanh: (x) => xSigmoid2u(x, SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)),
  gelu_accurate: (x) => xSigmoid2u(x, SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)), // AccurateGELUActivation
  gelu_fast: (x) => xSigmoid2u(x, 0.7978845608 * x * (1 + 0.044715 * x * x)), // FastGELUActivation: the tanh form
  gelu_10: (x) => Math.min(Math.max(M.gelu(x), -10), 10), // ClippedGELUActivation(-10, 10)
  quick_gelu: (x) => x / (1 + Math.exp(-1.702 * x)), // QuickGELUActivation
  silu: (x) => x / (1 + Math.exp(-x)),
  swish: (x) => x / (1 + Math.exp(-x)),
  relu: M.relu,
  sigmoid: M.sigmoid,
  tanh: M.tanh,
  leaky_relu: (x) => M.leakyRelu(x, Math.fround(0.01)), // nn.LeakyReLU's default slope
};

// Finite inputs not at ±0 (1 + (-0) is +0 in the GEMM; signs of zero are the elementwise tests' business).
const inputs = Float32Array.from(sampleInputs().filter((x) => Number.isFinite(x) && x !== 0));

describe.each(BUILDS)('%s build: Hugging Face activation strings', (build) => {
  it.each(Object.keys(HF))("'%s' in a Linear is transformers' function, ≤ 2 ulp", async (id) => {
    const ffwd = await instance(build);
    const layer = ffwd.linear({ weight: [1], inFeatures: 1, outFeatures: 1, activation: id as never });
    const y = layer.forward(inputs, inputs.length);
    layer.free();
    let worst = 0;
    let where = 0;
    for (let i = 0; i < inputs.length; i++) {
      const e = ulpError(y[i], HF[id](inputs[i]));
      if (!(e <= worst)) [worst, where] = [e, inputs[i]];
    }
    expect(worst, `worst at x = ${where}`).toBeLessThanOrEqual(2);
  });

  it("'gelu_fast' is the tanh form, not an exact GELU; ffwd's fast exact GELU is 'gelu_erf_fast'", async () => {
    const ffwd = await instance(build);
    const x = new Float32Array([-3, -1.5, 0.75, 2.5]);
    const make = (activation: string) => ffwd.linear({ weight: [1], inFeatures: 1, outFeatures: 1, activation: activation as never });
    const [fast, tanh, erfFast] = ['gelu_fast', 'gelu_tanh', 'gelu_erf_fast'].map(make);
    expect(fast.forward(x, 4)).toEqual(tanh.forward(x, 4));
    expect(erfFast.forward(x, 4)).toEqual(ffwd.geluErfFast(x));
    expect(Math.abs(fast.forward(x, 4)[0] - M.gelu(-3))).toBeGreaterThan(1e-4); // the two GELUs differ visibly at −3
    for (const layer of [fast, tanh, erfFast]) layer.free();
    expect(() => (ffwd as unknown as { geluFast: unknown }).geluFast).toThrow(/renamed ffwd\.geluErfFast/);
    expect(() => (ffwd as unknown as { geluFastBackward: unknown }).geluFastBackward).toThrow(/renamed ffwd\.geluErfFastBackward/);
  });

  it('an unknown string is a TypeError listing the accepted ones', async () => {
    const ffwd = await instance(build);
    expect(() => ffwd.linear({ weight: [1], inFeatures: 1, outFeatures: 1, activation: 'gelu_42' as never })).toThrow(
      /activation must be one of .*'gelu_pytorch_tanh'.*'swish', got string "gelu_42"/,
    );
  });
});
