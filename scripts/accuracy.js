#!/usr/bin/env node
// The exhaustive accuracy sweep: every float32 bit pattern (or every K-th with --stride K) through
// each activation kernel, forward and backward (dy = 1, so dx = f'(x)), in each build, against the
// float64 reference in test/reference/math.js. Prints one row per kernel and build: the largest
// error in ulps (test/reference/ulp.js conventions), the input where it first occurs, how many
// inputs are over 1 ulp, and how many break the contract (DESIGN.md):
//   forward ≤ 2 ulp; gelu_erf_fast |error| ≤ max(4e-7, 2 ulp); backward ≤ 4 ulp, or an absolute error
//   ≤ 2^-24·max(1, |x|) (where f' crosses zero). A result whose zero has the wrong sign (+0 for -0)
//   counts in the "±0" column. Exit code 1 when any contract is broken.
//
//   node scripts/accuracy.js [--kernel gelu,geluBackward] [--build simd|relaxed] [--stride K] [--workers N]
//
// Work is split over worker_threads (default: every core); each worker evaluates the reference
// once per chunk of inputs and compares both builds against it.
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import v8 from 'node:v8';
import * as reference from '../test/reference/math.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const root = fileURLToPath(new URL('..', import.meta.url));
const BUILDS = ['simd', 'relaxed'];
const FORWARD = {
  gelu: 'gelu', geluTanh: 'gelu_tanh', geluErfFast: 'gelu_erf_fast', gelu10: 'gelu_10', sigmoid: 'sigmoid', tanh: 'tanh', silu: 'silu',
  quickGelu: 'quick_gelu',
};
/** Every kernel the sweep knows: export name → { reference function, contract }. */
const KERNELS = {};
for (const [name, id] of Object.entries(FORWARD)) {
  KERNELS[name] = { ref: reference.ACTIVATIONS[id].forward, kind: name === 'geluErfFast' ? 'fast' : 'forward' };
  KERNELS[`${name}Backward`] = { ref: reference.ACTIVATIONS[id].derivative, kind: 'backward' };
}

const CHUNK = 1 << 20;
const TOTAL = 2 ** 32;

function parseArgs(argv) {
  const opts = { kernels: Object.keys(KERNELS), builds: BUILDS, stride: 1, workers: availableParallelism() };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--kernel': opts.kernels = value.split(','); i++; break;
      case '--build': opts.builds = value.split(','); i++; break;
      case '--stride': opts.stride = Number(value); i++; break;
      case '--workers': opts.workers = Number(value); i++; break;
      default: throw new Error(`accuracy: unknown argument ${argv[i]}`);
    }
  }
  for (const k of opts.kernels) if (!KERNELS[k]) throw new Error(`accuracy: unknown kernel ${k} (one of ${Object.keys(KERNELS).join(', ')})`);
  for (const b of opts.builds) if (!BUILDS.includes(b)) throw new Error(`accuracy: unknown build ${b}`);
  if (!(Number.isInteger(opts.stride) && opts.stride >= 1)) throw new Error('accuracy: --stride must be a positive integer');
  return opts;
}

// ---------------------------------------------------------------- worker: one chunk at a time

function newStats() {
  return { max: 0, maxX: NaN, maxY: NaN, maxRef: NaN, over1: 0, bad: 0, badX: NaN, zeroSign: 0, zeroX: NaN, maxAbs: 0, maxAbsX: NaN, n: 0 };
}

function runWorker() {
  const { kernels, builds, stride } = workerData;
  const instances = builds.map((build) => {
    const module = new WebAssembly.Module(readFileSync(`${root}build/ffwd.${build}.wasm`));
    const ex = new WebAssembly.Instance(module, {}).exports;
    const x = ex.alloc(CHUNK * 4);
    const y = ex.alloc(CHUNK * 4);
    const dy = ex.alloc(CHUNK * 4);
    if (!x || !y || !dy) throw new Error('accuracy: out of WASM memory');
    new Float32Array(ex.memory.buffer, dy, CHUNK).fill(1);
    return { build, ex, x, y, dy };
  });
  const xs = new Float32Array(CHUNK);
  const xbits = new Uint32Array(xs.buffer);
  const refs = new Float64Array(CHUNK);
  const ref32 = new Float32Array(CHUNK);
  const refBits = new Int32Array(ref32.buffer);

  parentPort.on('message', ({ start, count }) => {
    if (count === 0) return process.exit(0);
    for (let i = 0; i < count; i++) xbits[i] = (start + i) * stride;
    const result = {};
    for (const name of kernels) {
      const { ref, kind } = KERNELS[name];
      for (let i = 0; i < count; i++) refs[i] = ref(xs[i]);
      ref32.set(refs.subarray(0, count));
      for (const inst of instances) {
        const { ex } = inst;
        new Float32Array(ex.memory.buffer, inst.x, count).set(xs.subarray(0, count));
        if (kind === 'backward') ex[name](inst.x, inst.dy, inst.y, count);
        else ex[name](inst.x, inst.y, count);
        const out = new Float32Array(ex.memory.buffer, inst.y, count);
        const outBits = new Int32Array(ex.memory.buffer, inst.y, count);
        const s = newStats();
        s.n = count;
        for (let i = 0; i < count; i++) {
          const yb = outBits[i];
          const rb = refBits[i];
          let d;
          if ((rb & 0x7f800000) === 0x7f800000 || (yb & 0x7f800000) === 0x7f800000) {
            // NaN or infinity on either side: equal classes only
            const yNaN = out[i] !== out[i];
            const rNaN = ref32[i] !== ref32[i];
            d = (yNaN && rNaN) || yb === rb ? 0 : Infinity;
          } else {
            const yo = yb < 0 ? -(yb & 0x7fffffff) : yb;
            const ro = rb < 0 ? -(rb & 0x7fffffff) : rb;
            d = Math.abs(yo - ro);
            if (d === 0 && yb !== rb && kind !== 'backward') {
              s.zeroSign++;
              if (s.zeroSign === 1) s.zeroX = xs[i];
            }
          }
          if (d === 0) continue;
          if (d > 1) s.over1++;
          const abs = Math.abs(out[i] - refs[i]);
          let ok;
          if (kind === 'forward') ok = d <= 2;
          else if (kind === 'fast') {
            ok = d <= 2 || abs <= 4e-7;
            // the absolute bound is the binding one only where 2 ulp < 4e-7, i.e. |exact| < 2
            if (abs > s.maxAbs && Math.abs(refs[i]) < 2) { s.maxAbs = abs; s.maxAbsX = xs[i]; }
          } else ok = d <= 4 || abs <= 2 ** -24 * Math.max(1, Math.abs(xs[i]));
          if (!ok) {
            s.bad++;
            if (s.bad === 1) s.badX = xs[i];
          }
          if (d > s.max) { s.max = d; s.maxX = xs[i]; s.maxY = out[i]; s.maxRef = refs[i]; }
        }
        result[`${name}/${inst.build}`] = s;
      }
    }
    parentPort.postMessage(result);
  });
}

// ---------------------------------------------------------------- main: split, merge, print

function merge(into, s) {
  into.n += s.n;
  into.over1 += s.over1;
  if (s.bad && !into.bad) into.badX = s.badX;
  into.bad += s.bad;
  if (s.zeroSign && !into.zeroSign) into.zeroX = s.zeroX;
  into.zeroSign += s.zeroSign;
  if (s.max > into.max) Object.assign(into, { max: s.max, maxX: s.maxX, maxY: s.maxY, maxRef: s.maxRef });
  if (s.maxAbs > into.maxAbs) Object.assign(into, { maxAbs: s.maxAbs, maxAbsX: s.maxAbsX });
}

const fmt = (x) => (x !== x ? '-' : Object.is(x, -0) ? '-0' : String(x));

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const indices = Math.ceil(TOTAL / opts.stride);
  const tasks = [];
  for (let start = 0; start < indices; start += CHUNK) tasks.push({ start, count: Math.min(CHUNK, indices - start) });
  const totals = {};
  for (const k of opts.kernels) for (const b of opts.builds) totals[`${k}/${b}`] = newStats();

  const began = Date.now();
  let done = 0;
  const workers = Math.max(1, Math.min(opts.workers, tasks.length));
  process.stderr.write(`accuracy: ${indices} inputs (stride ${opts.stride}) × ${opts.kernels.length} kernels × ` +
    `${opts.builds.length} builds on ${workers} workers\n`);
  await Promise.all(Array.from({ length: workers }, () => new Promise((resolve, reject) => {
    const worker = new Worker(fileURLToPath(import.meta.url), {
      workerData: { kernels: opts.kernels, builds: opts.builds, stride: opts.stride },
    });
    const next = () => worker.postMessage(tasks.length ? tasks.shift() : { start: 0, count: 0 });
    worker.on('message', (result) => {
      for (const [key, s] of Object.entries(result)) merge(totals[key], s);
      done++;
      if (process.stderr.isTTY || done % 64 === 0) {
        const pct = ((100 * done) / Math.ceil(indices / CHUNK)).toFixed(1);
        process.stderr.write(`\r  ${pct}% after ${((Date.now() - began) / 1000).toFixed(0)} s`);
      }
      next();
    });
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
    next();
  })));
  process.stderr.write(`\r  done in ${((Date.now() - began) / 1000).toFixed(0)} s\n`);

  const rows = [['kernel', 'build', 'max ulp', 'at x', 'result', 'exact', '> 1 ulp', 'over contract', '±0', 'max abs (|exact| < 2)']];
  let broken = 0;
  for (const k of opts.kernels) {
    for (const b of opts.builds) {
      const s = totals[`${k}/${b}`];
      broken += s.bad;
      rows.push([
        k, b, fmt(s.max), fmt(s.maxX), fmt(s.maxY), fmt(s.maxRef), String(s.over1),
        s.bad ? `${s.bad} (x=${fmt(s.badX)})` : '0', s.zeroSign ? `${s.zeroSign} (x=${fmt(s.zeroX)})` : '0',
        KERNELS[k].kind === 'fast' ? `${s.maxAbs.toExponential(2)} (x=${fmt(s.maxAbsX)})` : '',
      ]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((v, c) => v.padEnd(widths[c])).join(' | ')} |`;
  console.log(line(rows[0]));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows.slice(1)) console.log(line(r));
  console.log(`\n${indices} inputs per kernel and build${opts.stride > 1 ? ` (every ${opts.stride}th float32 bit pattern)` : ' (every float32 bit pattern)'}; ` +
    `${broken ? `${broken} results break the contract` : 'every contract holds'}.`);
  process.exitCode = broken ? 1 : 0;
}

if (isMainThread) main().catch((error) => { console.error(error); process.exit(2); });
else runWorker();
