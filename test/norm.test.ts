// layerNorm and rmsNorm: the raw kernels against a float64 two-pass reference computed here (≤ 1 ulp
// of the float32 result), with NaN canaries around every buffer; special values; the public call
// forms, the Norm class and every error; and PyTorch's golden outputs (ffwd's error ≤ PyTorch's).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KernelExports } from '../src/exports.js';
import { BUILDS, instance } from './builds.js';
import { Guarded } from './guarded.js';
import { random } from './matmul.js';
import { maxUlpError } from './reference/ulp.js';

interface Params {
  kind: 'layer' | 'rms';
  weight?: Float32Array;
  bias?: Float32Array;
  eps: number;
  offset?: number;
}

/** The textbook float64 formulas, row by row: mean, then Σ(x − mean)², then each output. */
function reference(x: ArrayLike<number>, n: number, p: Params): Float64Array {
  const y = new Float64Array(x.length);
  for (let at = 0; at < x.length; at += n) {
    let mean = 0;
    if (p.kind === 'layer') {
      for (let i = 0; i < n; i++) mean += x[at + i];
      mean /= n;
    }
    let squares = 0;
    for (let i = 0; i < n; i++) squares += (x[at + i] - mean) ** 2;
    const rstd = 1 / Math.sqrt(squares / n + p.eps);
    for (let i = 0; i < n; i++) {
      let v = (x[at + i] - mean) * rstd;
      if (p.weight) v *= (p.offset ?? 0) + p.weight[i];
      if (p.bias) v += p.bias[i];
      y[at + i] = v;
    }
  }
  return y;
}

const NAN_CANARY = new Float32Array(new Uint32Array([0x7fc0_5a5a]).buffer)[0]; // read into a row, it would make it NaN

/** Runs the raw kernel on canary-guarded copies (y separate, or x itself in place); checks the canaries and x. */
function runRaw(e: KernelExports, x: Float32Array, n: number, p: Params, inPlace = false, misalign = 0): Float32Array {
  const rows = x.length / n;
  const gx = new Guarded(e, x.length, misalign, NAN_CANARY).set(x);
  const gy = inPlace ? gx : new Guarded(e, x.length, misalign, NAN_CANARY);
  const gw = p.weight ? new Guarded(e, n, 0, NAN_CANARY).set(p.weight) : null;
  const gb = p.bias ? new Guarded(e, n, 0, NAN_CANARY).set(p.bias) : null;
  if (p.kind === 'layer') e.layerNorm(gx.ptr, gy.ptr, rows, n, gw?.ptr ?? 0, gb?.ptr ?? 0, p.eps);
  else e.rmsNorm(gx.ptr, gy.ptr, rows, n, gw?.ptr ?? 0, p.eps, p.offset ?? 0);
  for (const g of [gx, gy, gw, gb]) if (g) expect(g.canariesIntact(), 'canaries').toBe(true);
  if (!inPlace) expect(Array.from(gx.data), 'x is left as it was').toEqual(Array.from(x));
  if (gw) expect(Array.from(gw.data)).toEqual(Array.from(p.weight!));
  const y = gy.data.slice();
  for (const g of new Set([gx, gy, gw, gb])) g?.free();
  return y;
}

/** Seeded uniform [0, 1) draws (random() gives [−1, 1)). */
const uniform = (seed: number) => {
  const next = random(seed);
  return () => (next() + 1) / 2;
};
type Draw = (next: () => number) => number;
const normal: Draw = (next) => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());

const INPUTS: { name: string; draw: Draw; eps?: number }[] = [
  { name: 'N(0, 1)', draw: normal },
  { name: '1000 + N(0, 1)', draw: (next) => 1000 + normal(next) },
  { name: 'huge: 3.4e38 · U(−1, 1)', draw: (next) => 3.4e38 * (2 * next() - 1) },
  { name: '1e30 · N(0, 1)', draw: (next) => 1e30 * normal(next) },
  { name: 'tiny: 1e-30 · N(0, 1)', draw: (next) => 1e-30 * normal(next) },
  // eps = 0: float64 statistics keep subnormal rows meaningful (their squares underflow in float32)
  { name: 'subnormal: 1e-40 · N(0, 1), eps 0', draw: (next) => 1e-40 * normal(next), eps: 0 },
];

const SHAPES = [1, 3, 4, 5, 7, 8, 13, 768, 4097]; // 13: an odd vector after the pairs, then a tail

function params(kind: 'layer' | 'rms', n: number, next: () => number, eps: number): Params[] {
  const weight = Float32Array.from({ length: n }, () => 1 + 0.5 * normal(next));
  const bias = Float32Array.from({ length: n }, () => 0.5 * normal(next));
  if (kind === 'layer') {
    return [{ kind, eps }, { kind, eps, weight }, { kind, eps, bias }, { kind, eps, weight, bias }];
  }
  return [{ kind, eps }, { kind, eps, weight }, { kind, eps, weight, offset: 1 }, { kind, eps, offset: 1 }];
}

const label = (n: number, p: Params, input: string) =>
  `${p.kind} n=${n} ${input}${p.weight ? ' weight' : ''}${p.bias ? ' bias' : ''}${p.offset ? ' offset 1' : ''} eps ${p.eps}`;

describe.each(BUILDS)('norm kernels (%s build)', (build) => {
  it.each(SHAPES)('are within 1 ulp of float64 for rows of %i, every input range and parameter set', async (n) => {
    const e = (await instance(build)).heap.exports;
    const next = uniform(n);
    const rows = n > 1000 ? 2 : 3;
    for (const input of INPUTS) {
      const x = Float32Array.from({ length: rows * n }, () => input.draw(next));
      for (const kind of ['layer', 'rms'] as const) {
        for (const p of params(kind, n, next, input.eps ?? 1e-5)) {
          const exact = reference(x, n, p);
          const got = runRaw(e, x, n, p, false, n % 3);
          const worst = maxUlpError(got, exact);
          expect(worst.max, `${label(n, p, input.name)}: at ${worst.index} got ${worst.actual}, exact ${worst.exact}`).toBeLessThanOrEqual(1);
          // finite rows give finite results, except a constant row (n = 1 for LayerNorm) with eps = 0: 0·∞
          const constant = n === 1 && kind === 'layer';
          expect(got.every(Number.isFinite), 'finite').toBe(!(constant && p.eps === 0));
          // and with eps > 0 that row is 0 (+ bias) exactly
          if (constant && p.eps > 0) expect(got.every((v) => v === (p.bias?.[0] ?? 0))).toBe(true);
        }
      }
    }
  });

  it('compute in place (y = x) exactly what they compute into another buffer', async () => {
    const e = (await instance(build)).heap.exports;
    const next = uniform(7);
    for (const n of [5, 768]) {
      const x = Float32Array.from({ length: 3 * n }, () => 5 + 3 * normal(next));
      for (const kind of ['layer', 'rms'] as const) {
        for (const p of params(kind, n, next, 1e-5)) {
          expect(Array.from(runRaw(e, x, n, p, true)), label(n, p, 'in place')).toEqual(Array.from(runRaw(e, x, n, p)));
        }
      }
    }
  });

  it('give a constant row exactly the bias (var = 0), and NaN with eps = 0 (0·∞, as PyTorch)', async () => {
    const e = (await instance(build)).heap.exports;
    const n = 7;
    const bias = Float32Array.from({ length: n }, (_, i) => i - 3.25);
    const weight = Float32Array.from({ length: n }, (_, i) => 2 + i);
    for (const c of [1000.1, -3e38, 1e-30, 0]) {
      const x = new Float32Array(2 * n).fill(c);
      expect(Array.from(runRaw(e, x, n, { kind: 'layer', eps: 1e-5, weight, bias }))).toEqual([...bias, ...bias]);
      expect(runRaw(e, x, n, { kind: 'layer', eps: 0, weight, bias }).every(Number.isNaN), `layer eps 0, rows of ${c}`).toBe(true);
    }
    expect(runRaw(e, new Float32Array(n), n, { kind: 'rms', eps: 0, weight }).every(Number.isNaN), 'rms eps 0, rows of 0').toBe(true);
    expect(Array.from(runRaw(e, new Float32Array(n), n, { kind: 'rms', eps: 1e-6, weight }))).toEqual(new Array(n).fill(0));
  });

  it('keep a NaN or an infinity to its own row', async () => {
    const e = (await instance(build)).heap.exports;
    const n = 6;
    const next = uniform(11);
    for (const special of [NaN, Infinity, -Infinity]) {
      const x = Float32Array.from({ length: 3 * n }, () => normal(next));
      x[n + 4] = special;
      const rowOf = (y: Float32Array, r: number) => Array.from(y.subarray(r * n, (r + 1) * n));
      const layer = runRaw(e, x, n, { kind: 'layer', eps: 1e-5 });
      const rms = runRaw(e, x, n, { kind: 'rms', eps: 1e-5 });
      expect(rowOf(layer, 1).every(Number.isNaN), `layer, ${special}`).toBe(true);
      // RMSNorm: x/√∞ is ±0 for the finite elements and ∞/∞ = NaN for the infinite one (as PyTorch)
      expect(rowOf(rms, 1).map((v) => (Number.isNaN(v) ? 'NaN' : v === 0 ? 0 : v)))
        .toEqual(Array.from({ length: n }, (_, i) => (i === 4 || Number.isNaN(special) ? 'NaN' : 0)));
      for (const y of [layer, rms]) {
        for (const r of [0, 2]) expect(rowOf(y, r).every(Number.isFinite), `row ${r} untouched by ${special}`).toBe(true);
      }
    }
  });
});

describe.each(BUILDS)('ffwd.layerNorm, ffwd.rmsNorm and Norm (%s build)', (build) => {
  const n = 5;
  const x = Float32Array.from({ length: 3 * n }, (_, i) => Math.sin(i * 1.7) * 4 + i);
  const weight = Float32Array.from({ length: n }, (_, i) => 0.5 + i);
  const bias = Float32Array.from({ length: n }, (_, i) => i * 0.25 - 1);
  const layerExact = Float32Array.from(reference(x, n, { kind: 'layer', eps: 1e-5, weight, bias }));
  const rmsExact = Float32Array.from(reference(x, n, { kind: 'rms', eps: 1e-5, weight, offset: 1 }));
  const plainExact = Float32Array.from(reference(x, n, { kind: 'layer', eps: 1e-5 }));
  const close = (got: Float32Array, exact: Float32Array) => expect(maxUlpError(got, exact).max).toBeLessThanOrEqual(1);

  it('have the call forms of every kernel, weights as Tensors, Float32Arrays or arrays', async () => {
    const f = await instance(build);
    // the copied path, with default options
    close(f.layerNorm(x, n), plainExact);
    close(f.layerNorm(x, n, { weight: Array.from(weight), bias }), layerExact);
    close(f.rmsNorm(x, n, { weight, offset: 1 }), rmsExact);
    const out = new Float32Array(x.length);
    expect(f.layerNorm(x, n, { weight, bias }, out)).toBe(out);
    close(out, layerExact);
    // the zero-copy path: a new Tensor, out, and in place; Tensor weights used where they lie
    const tx = f.tensor(x);
    const tw = f.tensor(weight);
    const fresh = f.layerNorm(tx, n, { weight: tw, bias: f.tensor(bias) });
    close(fresh.data, layerExact);
    const tout = f.tensor(x.length);
    expect(f.rmsNorm(tx, n, { weight: tw, offset: 1 }, tout)).toBe(tout);
    close(tout.data, rmsExact);
    expect(f.layerNorm(tx, n, { weight: tw, bias }, tx)).toBe(tx);
    close(tx.data, layerExact);
    // eps and offset reach the kernel
    close(f.rmsNorm(x, n, { eps: 0.5 }), Float32Array.from(reference(x, n, { kind: 'rms', eps: 0.5 })));
    for (const t of [tx, tw, fresh, tout]) t.free();
  });

  it('Norm copies its parameters once and runs on pointers', async () => {
    const f = await instance(build);
    const w = f.tensor(weight);
    const b = Array.from(bias);
    const norm = f.norm({ kind: 'layer', n, weight: w, bias: b });
    w.free(); // the Norm holds its own copy
    b.fill(100);
    expect([norm.kind, norm.n, norm.eps, norm.hasWeight, norm.hasBias, norm.parameters, norm.bytes]).toEqual(['layer', n, 1e-5, true, true, 2 * n, 8 * n]);
    const tx = f.tensor(x);
    const ty = f.tensor(x.length);
    norm.run(tx.ptr, ty.ptr, 3);
    close(ty.data, layerExact);
    norm.run(tx.ptr, tx.ptr, 2); // in place, two rows of three
    expect(Array.from(tx.data)).toEqual([...ty.data.subarray(0, 2 * n), ...x.subarray(2 * n)]);
    close(norm.forward(x), layerExact);
    norm.free();
    norm.free();
    expect(() => norm.run(tx.ptr, ty.ptr, 3)).toThrow(/Norm was freed/);
    {
      using rms = f.norm({ kind: 'rms', n, weight, offset: 1 });
      expect([rms.bytes, rms.offset]).toEqual([4 * n, 1]);
      close(rms.forward(x), rmsExact);
      const bare = f.norm({ kind: 'rms', n, eps: 1e-6 });
      expect(bare.bytes).toBe(0);
      close(bare.forward(x), Float32Array.from(reference(x, n, { kind: 'rms', eps: 1e-6 })));
      bare[Symbol.dispose]();
      expect(() => bare.forward(x)).toThrow(/Norm was freed/);
    }
    tx.free();
    ty.free();
  });

  it('reject bad arguments with errors that name them, before any kernel runs', async () => {
    const f = await instance(build);
    const tensorOut = f.tensor(15);
    const bad: [() => unknown, ErrorConstructor, RegExp][] = [
      [() => f.layerNorm(x, 0), RangeError, /layerNorm: rowLength must be between 1 and \d+, got 0/],
      [() => f.layerNorm(x, 2.5), TypeError, /layerNorm: rowLength must be an integer, got number 2.5/],
      [() => f.rmsNorm(x, '5' as never), TypeError, /rmsNorm: rowLength must be an integer, got string "5"/],
      [() => f.layerNorm(x, 4), RangeError, /layerNorm: x has length 15, expected a multiple of rowLength \(4\)/],
      [() => f.layerNorm('x' as never, 5), TypeError, /layerNorm: x must be a Tensor or a Float32Array, got string "x"/],
      [() => f.layerNorm(x, n, { weight: new Float32Array(4) }), RangeError, /layerNorm: weight has length 4, expected 5 \(rowLength\)/],
      [() => f.layerNorm(x, n, { bias: [1, 2, 3, 4, 5, 6] }), RangeError, /layerNorm: bias has length 6, expected 5 \(rowLength\)/],
      [() => f.rmsNorm(x, n, { weight: 3 as never }), TypeError, /rmsNorm: weight must be a Tensor, a Float32Array or an array of numbers, got number 3/],
      [() => f.rmsNorm(x, n, { bias } as never), TypeError, /rmsNorm: options.bias is for LayerNorm only; RMSNorm has no bias, got Float32Array\(5\)/],
      [() => f.rmsNorm(x, n, { offset: 2 as never }), RangeError, /rmsNorm: options.offset must be 0 or 1, got number 2/],
      [() => f.layerNorm(x, n, { offset: 1 } as never), TypeError, /layerNorm: options.offset is for RMSNorm only, got number 1/],
      [() => f.layerNorm(x, n, { eps: -1e-5 }), RangeError, /layerNorm: options.eps must be a finite number ≥ 0, got -0.00001/],
      [() => f.rmsNorm(x, n, { eps: Infinity }), RangeError, /rmsNorm: options.eps must be a finite number ≥ 0, got Infinity/],
      [() => f.rmsNorm(x, n, { eps: NaN }), TypeError, /rmsNorm: options.eps must be a number, got number NaN/],
      [() => f.rmsNorm(x, n, { eps: '1e-5' as never }), TypeError, /rmsNorm: options.eps must be a number, got string "1e-5"/],
      [() => f.layerNorm(x, n, 1e-5 as never), TypeError, /layerNorm: options must be an object, got number 0.00001/],
      [() => f.layerNorm(x, n, {}, new Float32Array(14)), RangeError, /layerNorm: out has length 14, expected 15 \(the length of x\)/],
      [() => f.layerNorm(x, n, {}, tensorOut), TypeError, /layerNorm: out must be a Float32Array when x is a Float32Array, got Tensor/],
      [() => f.norm({ kind: 'batch' as never, n }), TypeError, /norm: kind must be 'layer' or 'rms', got string "batch"/],
      [() => f.norm({ kind: 'rms', n: 0 }), RangeError, /norm: n must be between 1 and \d+, got 0/],
      [() => f.norm({ kind: 'layer', n, weight: [1] }), RangeError, /norm: weight has length 1, expected 5 \(n\)/],
      [() => f.norm({ kind: 'layer', n, weight, bias: [1, 2] }), RangeError, /norm: bias has length 2, expected 5 \(n\)/],
      [() => f.norm(null as never), TypeError, /norm: options must be an object, got null/],
      [() => f.norm({ kind: 'layer', n }).forward(new Float32Array(7)), RangeError, /Norm.forward: x has length 7, expected a multiple of n \(5\)/],
    ];
    for (const [call, type, message] of bad) {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    }
    const freed = f.tensor(x);
    freed.free();
    expect(() => f.layerNorm(freed, n)).toThrow(/layerNorm: x is a Tensor that was freed/);
    // A failed call keeps no memory: repeating them all does not raise the heap's high-water mark.
    const top = f.heap.exports.heapSize();
    for (let round = 0; round < 20; round++) for (const [call] of bad) expect(call).toThrow();
    expect(f.heap.exports.heapSize()).toBe(top);
    tensorOut.free();
  });
});

// ---- PyTorch golden data (scripts/golden_norms.py)
const GOLDEN = new URL('./golden/norms/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('manifest.json', GOLDEN), 'utf8'));
const load = (entry: { file: string }) => {
  const bytes = readFileSync(new URL(entry.file, GOLDEN));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
const GOLDEN_CASES = Object.entries(golden.cases).flatMap(([name, c]: [string, any]) =>
  Object.entries(c.outputs).map(([form, o]: [string, any]) => ({ name, form, c, o })));

describe.each(BUILDS)('norms against PyTorch (%s build)', (build) => {
  it.each(GOLDEN_CASES)('$name, $form: ffwd is at least as accurate as PyTorch float32', async ({ c, o }) => {
    const f = await instance(build);
    const x = load(c.x);
    const weight = load(c.weight);
    const p: Params = o.kind === 'layer'
      ? { kind: 'layer', eps: o.eps, weight, bias: load(c.bias) }
      : { kind: 'rms', eps: o.eps, weight, offset: o.offset };
    const exact = reference(x, c.n, p);
    const torchError = maxUlpError(load(o), exact).max;
    // our float64 reference agrees with PyTorch's float64 on PyTorch's error (up to a rounding at a midpoint)
    expect(Math.abs(torchError - o.torch_max_ulp)).toBeLessThanOrEqual(1);
    const got = p.kind === 'layer' ? f.layerNorm(x, c.n, p) : f.rmsNorm(x, c.n, { weight, eps: p.eps, offset: p.offset as 0 | 1 });
    const ours = maxUlpError(got, exact).max;
    expect(ours).toBeLessThanOrEqual(1);
    expect(ours).toBeLessThanOrEqual(torchError);
  });
});

it('the simd and relaxed builds give the same bits (the float64 arithmetic has no fusable multiply-add)', async () => {
  const next = uniform(5);
  const n = 771;
  const x = Float32Array.from({ length: 4 * n }, () => 10 + 5 * normal(next));
  const p = params('layer', n, next, 1e-5)[3];
  const bits = async (build: (typeof BUILDS)[number], kind: 'layer' | 'rms') => {
    const e = (await instance(build)).heap.exports;
    return Array.from(new Uint32Array(runRaw(e, x, n, kind === 'layer' ? p : { kind, eps: 1e-6, weight: p.weight, offset: 1 }).buffer));
  };
  for (const kind of ['layer', 'rms'] as const) expect(await bits('relaxed', kind)).toEqual(await bits('simd', kind));
});
