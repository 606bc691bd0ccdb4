// The accuracy contract of the smooth activations (DESIGN.md), on a deterministic sample of inputs
// (test/reference/ulp.js: every exponent, dense near 0, the transition and underflow regions, all
// specials) in both builds, against the independent float64 reference (test/reference/math.js).
// The exhaustive version, every float32 bit pattern, is `npm run accuracy` (scripts/accuracy.js).
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from './reference/math.js';
import { sampleInputs, ulpError } from './reference/ulp.js';
import { BUILDS, instance } from './builds.js';

const KERNELS = [
  ['gelu', 'gelu'],
  ['geluTanh', 'gelu_tanh'],
  ['geluErfFast', 'gelu_erf_fast'],
  ['gelu10', 'gelu_10'],
  ['sigmoid', 'sigmoid'],
  ['tanh', 'tanh'],
  ['silu', 'silu'],
  ['quickGelu', 'quick_gelu'],
] as const;

type Name = (typeof KERNELS)[number][0];
type Kernel = (x: Float32Array, out?: Float32Array) => Float32Array;
type BackwardKernel = (x: Float32Array, dy: Float32Array, out?: Float32Array) => Float32Array;

const inputs = sampleInputs();

/** The first input breaking `ok`, described, or null. */
function firstFailure(
  xs: Float32Array,
  ys: Float32Array,
  exact: (i: number) => number,
  ok: (y: number, e: number, x: number) => boolean,
): string | null {
  for (let i = 0; i < xs.length; i++) {
    const e = exact(i);
    if (!ok(ys[i], e, xs[i])) {
      return `x = ${xs[i]}: got ${ys[i]}, exact ${e} (${ulpError(ys[i], e)} ulp)`;
    }
  }
  return null;
}

describe.each(BUILDS)('%s build: smooth activations within their contract', (build) => {
  describe.each(KERNELS)('%s', (name: Name, id) => {
    const ref = ACTIVATIONS[id];

    it(name === 'geluErfFast' ? 'forward: |error| ≤ max(4e-7, 2 ulp)' : 'forward: ≤ 2 ulp', async () => {
      const ffwd = await instance(build);
      const y = (ffwd[name] as Kernel)(inputs);
      const ok =
        name === 'geluErfFast'
          ? (v: number, e: number) => ulpError(v, e) <= 2 || Math.abs(v - e) <= 4e-7
          : (v: number, e: number) => ulpError(v, e) <= 2;
      expect(firstFailure(inputs, y, (i) => ref.forward(inputs[i]), ok)).toBeNull();
    });

    it('backward (dy = 1 and dy = -1.5): ≤ 4 ulp, or ≤ 2^-24·max(1, |x|) absolute', async () => {
      const ffwd = await instance(build);
      const backward = ffwd[`${name}Backward`] as BackwardKernel;
      const ok = (v: number, e: number, x: number) =>
        ulpError(v, e) <= 4 || Math.abs(v - e) <= 2 ** -24 * Math.max(1, Math.abs(x));
      for (const dy of [1, -1.5]) {
        const dx = backward(inputs, new Float32Array(inputs.length).fill(dy));
        expect(firstFailure(inputs, dx, (i) => dy * ref.derivative(inputs[i]), ok)).toBeNull();
      }
    });

    // gelu_tanh takes its float32 path only for groups of vectors with every |x| ≤ 3, so the same
    // input may round differently (within the contract) with other neighbours: 1 ulp apart at most.
    const tailUlps = name === 'geluTanh' ? 1 : 0;
    it(`keeps ±0 and NaN, and gives tails (n % 4 ≠ 0) the results of full vectors (±${tailUlps} ulp)`, async () => {
      const ffwd = await instance(build);
      const f = ffwd[name] as Kernel;
      const zeros = f(new Float32Array([0, -0, NaN, -NaN]));
      expect(Object.is(zeros[0], name === 'sigmoid' ? 0.5 : 0)).toBe(true);
      expect(Object.is(zeros[1], name === 'sigmoid' ? 0.5 : -0)).toBe(true);
      expect(zeros[2]).toBeNaN();
      expect(zeros[3]).toBeNaN();
      expect((ffwd[`${name}Backward`] as BackwardKernel)(new Float32Array([NaN]), new Float32Array([1]))[0]).toBeNaN();
      const xs = new Float32Array([-12.5, -3.25, -0.75, 0.5, 2, 7.5, -20, 1e-30]);
      const whole = f(xs);
      for (let n = 1; n < xs.length; n++) {
        const part = f(xs.subarray(0, n));
        for (let i = 0; i < n; i++) expect(ulpError(part[i], whole[i]), `n = ${n}, x = ${xs[i]}`).toBeLessThanOrEqual(tailUlps);
      }
    });
  });

  it('special values: gelu(±∞) = +∞ / -0, sigmoid(±∞) = 1 / 0, tanh(±∞) = ±1', async () => {
    const ffwd = await instance(build);
    const inf = new Float32Array([Infinity, -Infinity]);
    for (const name of ['gelu', 'geluErfFast', 'geluTanh', 'silu', 'quickGelu'] as const) {
      const [p, n] = (ffwd[name] as Kernel)(inf);
      expect(p, `${name}(+∞)`).toBe(Infinity);
      expect(Object.is(n, -0), `${name}(-∞) = ${n}`).toBe(true);
    }
    expect(Array.from(ffwd.sigmoid(inf))).toEqual([1, 0]);
    expect(Array.from(ffwd.tanh(inf))).toEqual([1, -1]);
    // gelu underflows to -0 near x ≈ -13.2 (its first subnormal results are just above)
    const [under, far] = ffwd.gelu(new Float32Array([-14.5, -1e30]));
    expect(Object.is(under, -0) && Object.is(far, -0)).toBe(true);
    // derivatives at ±∞ are their limits
    const ones = new Float32Array([1, 1]);
    for (const name of ['gelu', 'geluTanh', 'silu', 'quickGelu', 'sigmoid', 'tanh'] as const) {
      const [p, n] = (ffwd[`${name}Backward`] as BackwardKernel)(inf, ones);
      expect([p + 0, n + 0], `${name}'(±∞)`).toEqual(name === 'sigmoid' || name === 'tanh' ? [0, 0] : [1, 0]);
    }
  });
});
