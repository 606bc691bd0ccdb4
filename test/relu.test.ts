// relu and leakyRelu are exact: bit-equal to their JavaScript definitions, -0 included, and a NaN
// comes out as the very NaN that went in (its bits, not just NaN-ness).
// They also carry the call-form and error tests that every elementwise kernel shares.
import { describe, expect, it } from 'vitest';
import { BUILDS, instance } from './builds.js';

const SPECIALS = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-45, -1e-45, 1.1754942e-38, -3.4028235e38, 3.4028235e38];

function inputs(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = i < SPECIALS.length ? SPECIALS[i] : Math.sin(i * 12.9898) * 43758.5453 % 7;
  if (n > SPECIALS.length) new Uint32Array(x.buffer)[SPECIALS.length] = 0xffc0_1234; // a negative NaN with a payload
  return x;
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Compares bit patterns and reports the first difference (deep equality on 1e6 elements is slow). */
function expectBits(actual: Float32Array, expected: Uint32Array, label = '') {
  const got = bits(actual);
  expect(got.length, label).toBe(expected.length);
  const i = got.findIndex((v, k) => v !== expected[k]);
  expect(i === -1 ? 'all equal' : `index ${i}: bits ${got[i]?.toString(16)}, expected ${expected[i].toString(16)}`, label).toBe('all equal');
}
const f32 = Math.fround;
const reluJs = (x: number) => (x < 0 ? 0 : x); // PyTorch's: relu(-0) = -0
const reluGradJs = (x: number, dy: number) => (x <= 0 ? 0 : dy);
const leakyJs = (slope: number) => (x: number) => (x > 0 ? x : f32(x * f32(slope)));
const leakyGradJs = (slope: number) => (x: number, dy: number) => (x > 0 || Number.isNaN(dy) ? dy : f32(dy * f32(slope)));

/** Bits of `f` applied elementwise, where a NaN result must be the NaN input `nanSource` holds. */
function expectedBits(f: (a: number, b: number) => number, nanSource: Float32Array, a: Float32Array, b = a): Uint32Array {
  const out = new Float32Array(nanSource.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a[i], b[i]);
  const result = bits(out);
  const source = bits(nanSource);
  for (let i = 0; i < out.length; i++) if (Number.isNaN(out[i]) && Number.isNaN(nanSource[i])) result[i] = source[i];
  return result;
}

describe.each(BUILDS)('relu and leakyRelu (%s build)', (build) => {
  it.each([0, 1, 3, 4, 5, 7, 8, 17, 1_000_003])('are bit-exact for length %i, on Tensors and in place', async (n) => {
    const f = await instance(build);
    const x = inputs(n);
    const dy = inputs(n).map((v) => v * 0.5 - 1);
    const cases = [
      { name: 'relu', run: (t: any) => f.relu(t), expect: reluJs },
      { name: 'leakyRelu(0.01)', run: (t: any) => f.leakyRelu(t), expect: leakyJs(0.01) },
      { name: 'leakyRelu(-0.3)', run: (t: any) => f.leakyRelu(t, -0.3), expect: leakyJs(-0.3) },
    ];
    for (const c of cases) {
      const t = f.tensor(x);
      const y = c.run(t);
      expectBits(y.data, expectedBits(c.expect, x, x), c.name);
      y.free();
      t.free();
    }
    const gradCases = [
      { run: (a: any, b: any) => f.reluBackward(a, b), expect: reluGradJs },
      { run: (a: any, b: any) => f.leakyReluBackward(a, b, 0.2), expect: leakyGradJs(0.2) },
    ];
    for (const c of gradCases) {
      const got = c.run(x, dy);
      expectBits(got, expectedBits(c.expect, dy, x, dy));
    }
    // In place: out is x itself.
    const t = f.tensor(x);
    expect(f.relu(t, t)).toBe(t);
    expectBits(t.data, expectedBits(reluJs, x, x));
    t.free();
  });

  it('supports every call form', async () => {
    const f = await instance(build);
    const x = new Float32Array([-2, -0.5, 0, 0.5, 2]);
    const expected = [-0.02, -0.005, 0, 0.5, 2].map(f32);

    const tx = f.tensor(x);
    const fresh = f.leakyRelu(tx); // Tensor in, new Tensor out
    expect(Array.from(fresh.data)).toEqual(expected);
    const out = f.tensor(5);
    expect(f.leakyRelu(tx, 0.01, out)).toBe(out); // into a given Tensor
    expect(Array.from(out.data)).toEqual(expected);

    const copied = f.leakyRelu(x); // Float32Array in, new Float32Array out
    expect(copied).toBeInstanceOf(Float32Array);
    expect(copied).not.toBe(x);
    expect(Array.from(copied)).toEqual(expected);
    const into = new Float32Array(5);
    expect(f.leakyRelu(x, undefined, into)).toBe(into);
    expect(Array.from(into)).toEqual(expected);
    expect(Array.from(x)).toEqual([-2, -0.5, 0, 0.5, 2]); // the input is untouched

    // A Float32Array that is a view of WASM memory survives the growth the copy may cause.
    const big = f.tensor(1 << 22);
    big.data.set(x);
    const viaView = f.relu(big.data.subarray(0, 5));
    expect(Array.from(viaView)).toEqual([0, 0, 0, 0.5, 2]);
    for (const t of [tx, fresh, out, big]) t.free();
  });

  it('rejects bad arguments with errors that name them', async () => {
    const f = await instance(build);
    const t = f.tensor(4);
    const t3 = f.tensor(3);
    expect(() => f.relu([1, 2] as never)).toThrow(/relu: x must be a Tensor or a Float32Array, got Array/);
    expect(() => f.relu(new Float64Array(2) as never)).toThrow(TypeError);
    expect(() => f.relu(null as never)).toThrow(/got null/);
    expect(() => f.relu(t, t3)).toThrow(/relu: out has length 3, expected 4 \(the length of x\)/);
    expect(() => f.relu(t, t3)).toThrow(RangeError);
    expect(() => f.relu(new Float32Array(4), new Float32Array(2))).toThrow(/out has length 2, expected 4/);
    expect(() => f.relu(t, new Float32Array(4) as never)).toThrow(/relu: out must be a Tensor/);
    expect(() => f.relu(new Float32Array(4), t as never)).toThrow(/out must be a Float32Array when x is a Float32Array/);
    expect(() => f.reluBackward(t, t3)).toThrow(/reluBackward: dy has length 3, expected 4/);
    expect(() => f.reluBackward(t, new Float32Array(4) as never)).toThrow(/reluBackward: dy must be a Tensor/);
    expect(() => f.leakyRelu(t, '0.1' as never)).toThrow(/leakyRelu: slope must be a number, got string/);
    expect(() => f.leakyRelu(t, NaN)).toThrow(TypeError);
    const detached = new Float32Array(4);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(() => f.relu(detached)).toThrow(/relu: x is a Float32Array whose ArrayBuffer is detached/);
    t.free();
    t3.free();
  });
});
