// Checks the float64 reference (test/reference/math.js), the float32 ulp tools (ulp.js) and the
// PyTorch golden data (test/golden/) before any kernel is judged by them.
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as M from './reference/math.js';
import {
  f32Bits,
  f32FromBits,
  f32Ordered,
  f32Step,
  maxUlpError,
  sampleInputs,
  ulpDistance,
  ulpError,
} from './reference/ulp.js';
import { goldenPath, loadGolden, loadGoldenBytes, manifest } from './golden.js';

const EPS = 2 ** -52; // ulp of 1
const REL = 4 * EPS; // the documented forward bound, 8.9e-16
const MIN_NORMAL = 2.2250738585072014e-308;

/** Relative error of `got` against the exact value hi + lo. */
function relErr(got: number, hi: number, lo = 0): number {
  return Math.abs(got - hi - lo) / Math.abs(hi);
}

type Fn = (x: number) => number;
const fn = (name: string): Fn => (M as unknown as Record<string, Fn>)[name];

describe('erf / erfc against published values', () => {
  // mpmath at 40 digits; the erf values for x ≤ 2 agree with Abramowitz & Stegun Table 7.1
  // (0.112462916018285, 0.520499877813047, 0.842700792949715, 0.995322265018953).
  const table: [number, string, string][] = [
    [0.1, '0.1124629160182848922032751', '0.8875370839817151077967249'],
    [0.5, '0.5204998778130465376827467', '0.4795001221869534623172533'],
    [1, '0.8427007929497148693412206', '0.1572992070502851306587794'],
    [2, '0.9953222650189527341620693', '0.004677734981047265837930744'],
    [3, '0.9999779095030014145586272', '0.00002209049699858544137277613'],
    [5, '0.999999999998462540205572', '1.537459794428034850188343e-12'],
    [10, '1', '2.088487583762544757000786e-45'],
    [20, '1', '5.395865611607900928934999e-176'],
    [26, '1', '5.663192408856142846475728e-296'],
  ];
  it.each(table)('x = %d', (x, erfStr, erfcStr) => {
    const e = Number(erfStr);
    const c = Number(erfcStr);
    // The expected values are themselves rounded to double (≤ 0.5 ulp), hence REL + EPS/2.
    expect(relErr(M.erf(x), e)).toBeLessThanOrEqual(REL + EPS / 2);
    expect(relErr(M.erfc(x), c)).toBeLessThanOrEqual(REL + EPS / 2);
    expect(relErr(M.erf(-x), -e)).toBeLessThanOrEqual(REL + EPS / 2);
    expect(relErr(M.erfc(-x), 2 - c)).toBeLessThanOrEqual(REL + EPS / 2);
  });

  it('Phi on the negative tail', () => {
    const tail: [number, string][] = [
      [-3, '0.001349898031630094526651815'],
      [-5, '2.866515718791939116737523e-7'],
      [-10, '7.619853024160526065973343e-24'],
      [-14, '7.793536819192800254359682e-45'],
      [-20, '2.753624118606233695075623e-89'],
      [-30, '4.906713927148187059533809e-198'],
      [-37, '5.725571222524576822683193e-300'],
    ];
    for (const [x, v] of tail) {
      expect(relErr(M.Phi(x), Number(v)), `Phi(${x})`).toBeLessThanOrEqual(REL + EPS / 2);
      // what the cancelling formula 1 - Phi(-x) would give from x = -9 on
      if (x <= -9) expect(1 - M.Phi(-x)).toBe(0);
    }
  });

  it('limits and special values', () => {
    expect(M.erf(-0)).toBe(-0);
    expect(M.erf(0)).toBe(0);
    expect(M.erf(Infinity)).toBe(1);
    expect(M.erf(-Infinity)).toBe(-1);
    expect(M.erfc(Infinity)).toBe(0);
    expect(M.erfc(-Infinity)).toBe(2);
    expect(M.erfc(27.3)).toBe(0);
    expect(M.erfc(26.6)).toBeGreaterThan(0); // subnormal, not yet 0
    expect(M.Phi(-Infinity)).toBe(0);
    expect(M.Phi(Infinity)).toBe(1);
    expect(M.phi(Infinity)).toBe(0);
    expect(M.phi(0)).toBe(0.3989422804014327);
    for (const f of [M.erf, M.erfc, M.Phi, M.phi]) expect(f(NaN)).toBeNaN();
  });
});

describe('every function against mpmath (test/reference/mp-values.json, 80 digits)', () => {
  const data = JSON.parse(readFileSync(new URL('./reference/mp-values.json', import.meta.url), 'utf8')) as {
    functions: Record<string, [number, number, number][]>;
  };
  const names = Object.keys(data.functions);

  it('covers every reference function', () => {
    expect(names.sort()).toEqual(
      [
        'erf', 'erfc', 'Phi', 'phi', 'gelu', 'geluDerivative', 'geluTanh', 'geluTanhDerivative', 'sigmoid',
        'sigmoidDerivative', 'tanh', 'tanhDerivative', 'silu', 'siluDerivative', 'quickGelu', 'quickGeluDerivative',
      ].sort(),
    );
  });

  it.each(names)('%s', (name) => {
    const f = fn(name);
    const derivative = name.endsWith('Derivative');
    let checked = 0;
    let tailChecked = 0;
    for (const [x, hi, lo] of data.functions[name]) {
      if (Math.abs(hi) < MIN_NORMAL) continue;
      const err = Math.abs(f(x) - hi - lo);
      // forward: ≤ 4 ulp relative; derivatives: the same plus 1.5e-16 absolute (zero crossings)
      const bound = REL * Math.abs(hi) + (derivative ? 1.5e-16 : 0);
      if (err > bound) {
        expect.fail(`${name}(${x}) = ${f(x)}, exact ${hi} + ${lo}: error ${err} > ${bound}`);
      }
      checked++;
      if (Math.abs(hi) < 1e-20) tailChecked++;
    }
    expect(checked).toBeGreaterThan(100);
    // The tails (tiny results) are part of the sample for every function that has one.
    if (!['erf', 'tanh', 'geluTanh', 'geluTanhDerivative'].includes(name)) expect(tailChecked).toBeGreaterThan(5);
  });
});

describe('derivatives against central finite differences (Richardson-extrapolated)', () => {
  const pairs: [string, Fn, Fn][] = [
    ['erf', M.erf, (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x)],
    ['erfc', M.erfc, (x) => (-2 / Math.sqrt(Math.PI)) * Math.exp(-x * x)],
    ['Phi', M.Phi, M.phi],
    ['phi', M.phi, (x) => -x * M.phi(x)],
    ['gelu', M.gelu, M.geluDerivative],
    ['geluTanh', M.geluTanh, M.geluTanhDerivative],
    ['sigmoid', M.sigmoid, M.sigmoidDerivative],
    ['tanh', M.tanh, M.tanhDerivative],
    ['silu', M.silu, M.siluDerivative],
    ['quickGelu', M.quickGelu, M.quickGeluDerivative],
    ['relu', M.relu, M.reluDerivative],
    ['leakyRelu(0.2)', (x) => M.leakyRelu(x, 0.2), (x) => M.leakyReluDerivative(x, 0.2)],
  ];
  const xs = [-30, -20, -12, -8, -5.5, -3, -2, -1.3, -0.75, -0.5, -0.1, 0.03, 0.3, 0.7, 1, 1.7, 2.5, 4, 6, 9];

  it.each(pairs)('%s', (_name, f, df) => {
    for (const x of xs) {
      const d = df(x);
      if (d === 0 || Math.abs(d) < 1e-290) continue; // underflowed (erf at -30 etc.)
      const h = 1e-3 / Math.max(1, Math.abs(x));
      const D = (s: number) => (f(x + s) - f(x - s)) / (2 * s);
      const fd = (4 * D(h / 2) - D(h)) / 3;
      // truncation ~h⁴, plus the rounding of f(x ± h) amplified by 1/h
      const tol = 1e-8 * Math.abs(d) + 1e-13 + (8 * EPS * Math.abs(f(x))) / h;
      if (!(Math.abs(fd - d) <= tol)) expect.fail(`${_name}'(${x}) = ${d}, finite difference ${fd}`);
    }
  });
});

describe('identities', () => {
  const xs: number[] = [];
  for (let i = -600; i <= 600; i++) xs.push(i / 50 + 0.00731 * Math.sign(i));

  it('erf is odd (bitwise), erfc(-x) = 2 - erfc(x), erf + erfc = 1', () => {
    for (const x of xs) {
      expect(Object.is(M.erf(-x), -M.erf(x))).toBe(true);
      if (Math.abs(x) <= 6) {
        expect(Math.abs(M.erf(x) + M.erfc(x) - 1)).toBeLessThanOrEqual(2 * EPS);
        expect(Math.abs(M.erfc(-x) - (2 - M.erfc(x)))).toBeLessThanOrEqual(2 * EPS);
      }
    }
  });

  it('Phi(x) + Phi(-x) = 1 and Phi(x) = erfc(-x/√2)/2', () => {
    for (const x of xs) {
      expect(Math.abs(M.Phi(x) + M.Phi(-x) - 1)).toBeLessThanOrEqual(2 * EPS);
      // the plain formula differs only by the rounding of x/√2 (≈ x²·ε relative)
      expect(relErr(M.Phi(x), M.erfc(-x / Math.SQRT2) / 2)).toBeLessThanOrEqual((4 + x * x) * EPS);
    }
  });

  it('f(x) - f(-x) = x for gelu, gelu_tanh, silu, quick_gelu; σ(x) + σ(-x) = 1; tanh = 2σ(2x) - 1', () => {
    for (const x of xs) {
      for (const f of [M.gelu, M.geluTanh, M.silu, M.quickGelu]) {
        expect(Math.abs(f(x) - f(-x) - x)).toBeLessThanOrEqual(4 * EPS * Math.max(1, Math.abs(x)));
      }
      expect(Math.abs(M.sigmoid(x) + M.sigmoid(-x) - 1)).toBeLessThanOrEqual(2 * EPS);
      expect(Math.abs(M.tanh(x) - (2 * M.sigmoid(2 * x) - 1))).toBeLessThanOrEqual(4 * EPS);
      expect(M.sigmoidDerivative(x)).toBe(M.sigmoidDerivative(-x));
      expect(M.tanhDerivative(x)).toBe(M.tanhDerivative(-x));
    }
  });

  it('relative accuracy on the negative tails (sigmoid, silu and derivatives)', () => {
    // For x ≤ -40, σ(x) = e^x·(1 - e^x + …) = e^x to within 1e-17 relative, so the cancelling
    // formula 1/(1 + e^{-x}) is not needed to know the answer: compare with Math.exp (< 1 ulp).
    for (const x of [-40, -100, -300, -700]) {
      expect(relErr(M.sigmoid(x), Math.exp(x))).toBeLessThanOrEqual(4 * EPS);
      expect(relErr(M.sigmoidDerivative(x), Math.exp(x))).toBeLessThanOrEqual(4 * EPS);
      expect(relErr(M.silu(x), x * Math.exp(x))).toBeLessThanOrEqual(4 * EPS);
      expect(relErr(M.siluDerivative(x), (1 + x) * Math.exp(x))).toBeLessThanOrEqual(4 * EPS);
      expect(relErr(M.tanhDerivative(x / 2), 4 * Math.exp(x))).toBeLessThanOrEqual(4 * EPS);
    }
  });
});

describe('special values', () => {
  const all = Object.entries(M).filter(([, v]) => typeof v === 'function') as [string, Fn][];

  it('NaN in, NaN out, for every function', () => {
    expect(all.length).toBe(22); // 4 special functions, 9 activations × (forward, derivative)
    for (const [name, f] of all) expect(f(NaN), name).toBeNaN();
  });

  it('infinities and signed zeros as documented', () => {
    for (const f of [M.gelu, M.geluTanh, M.silu, M.quickGelu]) {
      expect(f(Infinity)).toBe(Infinity);
      expect(Object.is(f(-Infinity), -0)).toBe(true);
      expect(Object.is(f(-0), -0)).toBe(true);
      expect(Object.is(f(0), 0)).toBe(true);
      expect(Object.is(f(-1e6), -0)).toBe(true);
      expect(f(1e6)).toBe(1e6);
    }
    for (const f of [M.geluDerivative, M.geluTanhDerivative, M.siluDerivative, M.quickGeluDerivative]) {
      expect(f(Infinity)).toBe(1);
      expect(f(-Infinity)).toBe(0);
      expect(f(0)).toBe(0.5);
    }
    expect(M.sigmoid(Infinity)).toBe(1);
    expect(M.sigmoid(-Infinity)).toBe(0);
    expect(M.sigmoid(0)).toBe(0.5);
    expect(M.sigmoidDerivative(0)).toBe(0.25);
    expect(M.tanhDerivative(0)).toBe(1);
    expect(M.tanhDerivative(Infinity)).toBe(0);
    expect(Object.is(M.tanh(-0), -0)).toBe(true);
    expect(Object.is(M.relu(-0), -0)).toBe(true);
    expect(Object.is(M.relu(-3), 0)).toBe(true);
    expect(M.relu(Infinity)).toBe(Infinity);
    expect(M.relu(-Infinity)).toBe(0);
    expect(M.reluDerivative(0)).toBe(0);
    expect(M.reluDerivative(-0)).toBe(0);
    expect(M.reluDerivative(1e-45)).toBe(1);
    expect(Object.is(M.leakyRelu(-0, 0.2), -0)).toBe(true);
    expect(M.leakyRelu(-Infinity, 0.2)).toBe(-Infinity);
    expect(M.leakyRelu(-2)).toBe(-0.02);
    expect(M.leakyReluDerivative(0, 0.2)).toBe(0.2);
    expect(M.leakyReluDerivative(-0)).toBe(0.01);
  });

  it('tiny arguments round correctly to float32 (x/2 + c·x² beside a tie)', () => {
    const u = 2 ** -149;
    for (const f of [M.gelu, M.geluTanh, M.silu, M.quickGelu]) {
      expect(Math.fround(f(u))).toBe(u); // exact ≈ 0.5u + tiny: above the tie, rounds up
      expect(Object.is(Math.fround(f(-u)), -0)).toBe(true); // ≈ -0.5u + tiny: rounds to -0
      expect(Math.fround(f(5 * u))).toBe(3 * u); // 2.5u + tiny → 3u (ties-to-even would give 2u)
      expect(Math.fround(f(-5 * u))).toBe(-2 * u);
      expect(Math.fround(f(3 * u))).toBe(2 * u);
      expect(Math.fround(f(2 ** -126))).toBe(2 ** -127); // even: exact x/2, no tie
    }
  });

  it('ACTIVATIONS table by PyTorch id', () => {
    expect(Object.keys(M.ACTIVATIONS).sort()).toEqual(
      ['gelu', 'gelu_10', 'gelu_erf_fast', 'gelu_tanh', 'leaky_relu', 'quick_gelu', 'relu', 'sigmoid', 'silu', 'tanh'],
    );
    expect(M.ACTIVATIONS.gelu.forward).toBe(M.gelu);
    expect(M.ACTIVATIONS.gelu_erf_fast.derivative).toBe(M.geluDerivative);
    expect(M.ACTIVATIONS.leaky_relu.forward(-1, 0.2)).toBe(-0.2);
    expect(M.ACTIVATIONS.quick_gelu.derivative).toBe(M.quickGeluDerivative);
  });
});

describe('ulp.js', () => {
  const MAX = 3.4028234663852886e38;
  it('bit patterns and ordering', () => {
    expect(f32Bits(1)).toBe(0x3f800000);
    expect(f32Bits(-0)).toBe(0x80000000);
    expect(f32FromBits(0x7f7fffff)).toBe(MAX);
    expect(f32FromBits(1)).toBe(2 ** -149);
    expect(f32Ordered(-0)).toBe(0);
    expect(f32Ordered(0)).toBe(0);
    expect(f32Ordered(-(2 ** -149))).toBe(-1);
    expect(f32Ordered(NaN)).toBeNaN();
    expect(f32Step(1, -1)).toBe(1 - 2 ** -24);
    expect(f32Step(1)).toBe(1 + 2 ** -23);
    expect(f32Step(0, -1)).toBe(-(2 ** -149));
    expect(f32Step(MAX)).toBe(Infinity);
    expect(f32Step(2 ** -126, -1)).toBe(2 ** -126 - 2 ** -149);
  });

  it('distances and conventions', () => {
    expect(ulpError(1, 1)).toBe(0);
    expect(ulpError(1, 1 + 2 ** -23)).toBe(1);
    expect(ulpError(1, 1 - 2 ** -24)).toBe(1);
    expect(ulpError(1, 1 + 2 ** -25)).toBe(0); // the exact value is rounded to float32 first
    expect(ulpError(2, 1)).toBe(2 ** 23);
    expect(ulpError(2 ** -149, 0)).toBe(1);
    expect(ulpError(-(2 ** -149), 2 ** -149)).toBe(2);
    expect(ulpError(2 ** -126, 2 ** -126 - 2 ** -149)).toBe(1);
    expect(ulpError(0, -0)).toBe(0);
    expect(ulpError(0, -0, { signedZeros: true })).toBe(Infinity);
    expect(ulpError(-0, -0, { signedZeros: true })).toBe(0);
    expect(ulpError(NaN, NaN)).toBe(0);
    expect(ulpError(NaN, 1)).toBe(Infinity);
    expect(ulpError(1, NaN)).toBe(Infinity);
    expect(ulpError(Infinity, Infinity)).toBe(0);
    expect(ulpError(-Infinity, Infinity)).toBe(Infinity);
    expect(ulpError(MAX, Infinity)).toBe(Infinity);
    expect(ulpError(Infinity, 1e300)).toBe(0); // 1e300 rounds to +Inf in float32
    expect(ulpDistance(-1, 1)).toBe(2 * 0x3f800000);
  });

  it('maxUlpError', () => {
    const r = maxUlpError(new Float32Array([1, 2, 3]), [1, 2 + 2 ** -21, 3]);
    expect(r).toEqual({ max: 2, index: 1, actual: 2, exact: 2 + 2 ** -21 });
    expect(maxUlpError(new Float32Array(0), []).index).toBe(-1);
    expect(() => maxUlpError(new Float32Array(2), [1])).toThrow(RangeError);
    expect(maxUlpError([NaN, 5], [1, 5]).max).toBe(Infinity);
  });

  it('sampleInputs covers what it promises', () => {
    const s = sampleInputs();
    expect(s.length).toBeGreaterThanOrEqual(50_000);
    expect(s.length).toBeLessThanOrEqual(200_000);
    const u = new Uint32Array(s.buffer, s.byteOffset, s.length);
    const bits = new Set(u);
    for (const v of [0, -0, Infinity, -Infinity, MAX, -MAX, 2 ** -126, -(2 ** -126), 2 ** -149, -(2 ** -149)]) {
      expect(bits.has(f32Bits(v)), `contains ${Object.is(v, -0) ? '-0' : v}`).toBe(true);
    }
    expect(s.some((v) => Number.isNaN(v))).toBe(true);
    const exps = [new Set<number>(), new Set<number>()];
    let sub = 0;
    let dense10 = 0;
    let underflow = 0;
    let near0 = 0;
    for (let i = 0; i < s.length; i++) {
      const e = (u[i] >>> 23) & 0xff;
      if (e !== 0xff) exps[u[i] >>> 31].add(e);
      if (e === 0 && (u[i] & 0x7fffff) !== 0) sub++;
      if (Math.abs(s[i]) <= 10) dense10++;
      if (s[i] >= -14 && s[i] <= -9) underflow++;
      if (Math.abs(s[i]) <= 1) near0++;
    }
    expect(exps[0].size).toBe(255); // every biased exponent 0..254, positive
    expect(exps[1].size).toBe(255); // and negative
    expect(sub).toBeGreaterThanOrEqual(2000);
    expect(dense10).toBeGreaterThan(80_000);
    expect(underflow).toBeGreaterThan(20_000);
    expect(near0).toBeGreaterThan(20_000);
    // deterministic, and each call is a fresh copy
    s[0] = 12345;
    const t = sampleInputs();
    expect(t[0]).not.toBe(12345);
    s[0] = t[0];
    expect(Buffer.compare(Buffer.from(s.buffer), Buffer.from(t.buffer))).toBe(0);
  });
});

describe('PyTorch golden data (test/golden)', () => {
  it('manifest matches the files on disk', () => {
    expect(manifest.torch).toMatch(/^\d+\.\d+/);
    const names = Object.keys(manifest.files);
    expect(names.length).toBeGreaterThan(30);
    let total = 0;
    for (const name of names) {
      const e = manifest.files[name];
      expect(statSync(goldenPath(name)).size, name).toBe(e.bytes);
      total += e.bytes;
      if (e.dtype === 'float32') {
        expect(loadGolden(name).length * 4).toBe(e.bytes);
      }
    }
    expect(total).toBeLessThan(6e6);
    expect(() => loadGolden('no_such_file')).toThrow(RangeError);
    expect(() => loadGolden('ffn512_f16')).toThrow(TypeError);
  });

  it('safetensors files parse and match the manifest', () => {
    for (const name of ['ffn512_f16', 'ffn24_f32', 'ffn24_bf16']) {
      const bytes = loadGoldenBytes(name);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const n = Number(view.getBigUint64(0, true));
      expect(n % 8).toBe(0);
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
      const entry = manifest.files[name] as { tensors: Record<string, { dtype: string; shape: number[] }> };
      let end = 0;
      for (const t of ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']) {
        expect(header[t].dtype).toBe(entry.tensors[t].dtype);
        expect(header[t].shape).toEqual(entry.tensors[t].shape);
        const [b, e] = header[t].data_offsets;
        const count = header[t].shape.reduce((a: number, c: number) => a * c, 1);
        expect(e - b).toBe(count * (header[t].dtype === 'F32' ? 4 : 2));
        end = Math.max(end, e);
      }
      expect(8 + n + end).toBe(bytes.byteLength);
    }
    expect(manifest.files.ffn512_f16.tensors).toEqual({
      'fc1.weight': { dtype: 'F16', shape: [2048, 512] },
      'fc1.bias': { dtype: 'F16', shape: [2048] },
      'fc2.weight': { dtype: 'F16', shape: [512, 2048] },
      'fc2.bias': { dtype: 'F16', shape: [512] },
    });
  });

  // PyTorch's float32 CPU kernels are not ulp-accurate (its gelu is Abramowitz-Stegun 7.1.26 with
  // ≈ 1.5e-7 absolute error in erf), so the cross-check is by absolute error on |x| ≤ 8, and exact
  // for the piecewise-linear ones.
  const x = loadGolden('act_x');
  const dy = loadGolden('act_dy');
  const smooth: [string, string, number][] = [
    // file stem, activation id, absolute tolerance (scaled by max(1, |x|))
    ['gelu', 'gelu', 3e-7],
    ['gelu_tanh', 'gelu_tanh', 3e-7],
    ['sigmoid', 'sigmoid', 1e-7],
    ['tanh', 'tanh', 1e-7],
    ['silu', 'silu', 3e-7],
    ['quick_gelu', 'quick_gelu', 3e-7],
  ];
  it.each(smooth)('%s agrees with the reference where PyTorch is accurate', (stem, id, tol) => {
    const a = M.ACTIVATIONS[id as keyof typeof M.ACTIVATIONS];
    const y = loadGolden(`act_${stem}_y`);
    const dx = loadGolden(`act_${stem}_dx`);
    let checked = 0;
    for (let i = 0; i < x.length; i++) {
      if (!(Math.abs(x[i]) <= 8)) continue;
      const s = Math.max(1, Math.abs(x[i]));
      const ey = a.forward(x[i]);
      const edx = dy[i] * a.derivative(x[i]);
      if (!(Math.abs(y[i] - ey) <= tol * s)) expect.fail(`${stem}(${x[i]}): torch ${y[i]}, reference ${ey}`);
      if (!(Math.abs(dx[i] - edx) <= 4 * tol * s * Math.max(1, Math.abs(dy[i])))) {
        expect.fail(`${stem}'(${x[i]})·${dy[i]}: torch ${dx[i]}, reference ${edx}`);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(3000);
  });

  const linear: [string, number | undefined][] = [
    ['relu', undefined],
    ['leaky_relu_0.01', 0.01],
    ['leaky_relu_0.2', 0.2],
  ];
  it.each(linear)('%s agrees bit for bit (signed zeros included)', (stem, slope) => {
    const y = loadGolden(`act_${stem}_y`);
    const dx = loadGolden(`act_${stem}_dx`);
    const s = slope === undefined ? undefined : Math.fround(slope);
    const f = s === undefined ? M.relu : (v: number) => M.leakyRelu(v, s);
    const df = s === undefined ? M.reluDerivative : (v: number) => M.leakyReluDerivative(v, s);
    for (let i = 0; i < x.length; i++) {
      expect(ulpError(y[i], f(x[i]), { signedZeros: true }), `${stem}(${x[i]})`).toBe(0);
      if (Number.isNaN(x[i])) {
        // documented difference: PyTorch's backward passes dy (times the slope) through at NaN
        expect(dx[i]).toBe(Math.fround(dy[i] * (s ?? 1)));
        continue;
      }
      expect(ulpError(dx[i], dy[i] * df(x[i])), `${stem}'(${x[i]})`).toBe(0);
    }
  });

  it('FFN outputs agree with the float64 evaluation', () => {
    const pairs = [
      ['ffn512_y_b8_gelu', 512 * 8],
      ['ffn512_y_b8_gelu_tanh', 512 * 8],
      ['ffn512_y_b8_relu', 512 * 8],
      ['ffn512_y_b1_gelu', 512],
      ['ffn24_y_b5_gelu_f32', 24 * 5],
      ['ffn24_y_b5_gelu_bf16', 24 * 5],
    ] as const;
    for (const [name, n] of pairs) {
      const y = loadGolden(name);
      const ref = loadGolden(`${name}_f64`);
      expect(y.length).toBe(n);
      let num = 0;
      let den = 0;
      for (let i = 0; i < n; i++) {
        num += (y[i] - ref[i]) ** 2;
        den += ref[i] ** 2;
      }
      expect(den).toBeGreaterThan(0);
      expect(Math.sqrt(num / den), name).toBeLessThan(1e-5);
    }
    // the F32 and BF16 small blocks differ (the BF16 one holds rounded weights)
    expect(loadGolden('ffn24_y_b5_gelu_f32')).not.toEqual(loadGolden('ffn24_y_b5_gelu_bf16'));
  });
});
