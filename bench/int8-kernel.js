#!/usr/bin/env node
// Integer int8 GEMM (WeightDtype.INT8_DOT = 4) against the float32 layer (and the weight-only int8
// layer, dtype 3) on the same data, through the raw exports: FFN blocks d0→d1→act→d0 at several
// batches, for each module. Everything takes turns in one process, round by round, and the median
// of the rounds counts (the machine is shared); the ratio is f32 time / int8 time of the same round.
// Also prints the accuracy of the int8 FFN: relative RMS of its output against the float32 one, with
// Gaussian weights N(0, 1/K), x ~ N(0, 1), bias N(0, 0.1²).
//
//   node bench/int8-kernel.js [--shapes ffn1,ffn8,ffn128,big1,big8,big128] [--rounds 11] [--target-ms 30]
//                             [--wasm label=path.wasm …] [--dtypes 0,3,4] [--json out.json]
//
// Without --wasm: build/ffwd.simd.wasm and build/ffwd.relaxed.wasm. The relaxed dot's DOT_MODE is
// printed per module (it decides the integer path: dot.ts).
import v8 from 'node:v8';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const { median, now } = await import('./timing.js');
const { rawFfn } = await import('./raw-ffn.js');

const SHAPES = {
  ffn1: [1, 512, 2048, 512],
  ffn8: [8, 512, 2048, 512],
  ffn128: [128, 512, 2048, 512],
  big1: [1, 2048, 8192, 2048],
  big8: [8, 2048, 8192, 2048],
  big128: [128, 2048, 8192, 2048],
};

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const shapes = option('shapes', Object.keys(SHAPES).join(',')).split(',');
const rounds = Number(option('rounds', 11));
const targetMs = Number(option('target-ms', 30));
const dtypes = option('dtypes', '0,3,4').split(',').map(Number);
const wasm = args.flatMap((a, i) => (args[i - 1] === '--wasm' ? [a] : []));
const root = new URL('..', import.meta.url).pathname;
const modules = wasm.length ? wasm : [`simd=${root}build/ffwd.simd.wasm`, `relaxed=${root}build/ffwd.relaxed.wasm`];

function gaussian(seed) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return (n, sd = 1) => Float32Array.from({ length: n }, () => sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

async function load(spec) {
  const [label, path] = spec.split('=');
  const { instance } = await WebAssembly.instantiate(readFileSync(path), {});
  return { label, e: instance.exports };
}

/** One FFN of `dims` in dtype, its weights from the same seed in every module and dtype. */
function prepare(e, dims, dtype) {
  return rawFfn(e, dims, { fill: gaussian(1234), act: e['Activation.Gelu'].value, dtype });
}

function time(run, reps) {
  const t0 = now();
  for (let i = 0; i < reps; i++) run();
  return (now() - t0) / reps;
}

const list = await Promise.all(modules.map(load));
console.log(`CPU ${cpus()[0]?.model ?? '?'}, Node ${process.version}; ${rounds} interleaved rounds, medians`);
for (const { label, e } of list) console.log(`  ${label}: RELAXED=${e.RELAXED.value} DOT_MODE=${e.DOT_MODE.value}`);
const results = [];
for (const name of shapes) {
  const dims = SHAPES[name];
  const flops = dims.slice(1, -1).reduce((s, K, i) => s + 2 * dims[0] * K * dims[i + 2], 0);
  const runs = [];
  for (const { label, e } of list) for (const dtype of dtypes) runs.push({ label, dtype, ...prepare(e, dims, dtype) });
  // accuracy of each module's dtype-4 output against its float32 output
  const accuracy = {};
  for (const { label } of list) {
    const ref = runs.find((r) => r.label === label && r.dtype === 0);
    for (const r of runs.filter((q) => q.label === label && q.dtype !== 0)) {
      ref.run();
      r.run();
      const [a, b] = [ref.output(), r.output()];
      let err = 0;
      let sum = 0;
      for (let i = 0; i < a.length; i++) {
        err += (a[i] - b[i]) ** 2;
        sum += a[i] ** 2;
      }
      accuracy[`${label}/${r.dtype}`] = Math.sqrt(err / sum);
    }
  }
  for (const r of runs) {
    r.run();
    const t = time(r.run, 1);
    r.reps = Math.max(1, Math.round(targetMs / Math.max(t, 1e-3)));
    r.samples = [];
  }
  for (let round = 0; round < rounds; round++) for (const r of runs) r.samples.push(time(r.run, r.reps));
  for (const { label } of list) {
    const ref = runs.find((r) => r.label === label && r.dtype === 0);
    for (const r of runs.filter((q) => q.label === label)) {
      const ms = median(r.samples);
      const ratio = median(r.samples.map((s, i) => ref.samples[i] / s));
      const acc = r.dtype === 0 ? '' : ` rel RMS vs f32 ${(100 * accuracy[`${label}/${r.dtype}`]).toFixed(2)} %`;
      console.log(`${name.padEnd(7)} [${dims.join('→')}] ${label.padEnd(10)} dtype ${r.dtype}: ${ms.toFixed(3).padStart(8)} ms ${(flops / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s  ×${ratio.toFixed(2)} vs f32${acc}`);
      results.push({ shape: name, dims, module: label, dtype: r.dtype, ms, ratio, accuracy: accuracy[`${label}/${r.dtype}`] });
    }
  }
  for (const r of runs) r.release();
}
const out = option('json', null);
if (out) writeFileSync(out, JSON.stringify(results, null, 2));
