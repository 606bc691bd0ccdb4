#!/usr/bin/env node
// Before and after a change to the thread pool, in one process: the FFN 512 → 2048 → GELU → 512 and GELU
// over 2^20 floats on 1 thread (this tree), on 2 threads with another tree's build (--base, e.g. a git
// worktree of main with `npm run build` run in it) and on 2 threads with this tree's, calls of the three
// alternating round by round, medians. How the shares of src/threads/ were measured (README, Threads).
//
//   node bench/threads-ab.js --base ../main-before [--build simd|relaxed] [--batches 1,8,128] [--rounds 21]
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); // before any module compiles
const { makeLayers, normal } = await import('./data.js');
const { alternate } = await import('./timing.js');

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    build: { type: 'string', default: 'relaxed' },
    batches: { type: 'string', default: '1,8,128' },
    rounds: { type: 'string', default: '21' },
  },
});
if (!values.base) {
  console.error('usage: node bench/threads-ab.js --base <another checkout, built> [--build simd|relaxed] [--batches 1,8,128] [--rounds 21]');
  process.exit(2);
}
const dist = (root) => import(pathToFileURL(resolve(root, 'dist/index.node.js')).href);
const [base, here] = [await dist(values.base), await dist(new URL('..', import.meta.url).pathname)];
const { build } = values;
const rounds = Number(values.rounds);

const contenders = [['1 thread', here, 1], ['base 2 threads', base, 2], ['2 threads', here, 2]];
const instances = await Promise.all(contenders.map(([, m, threads]) => m.init({ build, threads })));
const [fc1, fc2] = makeLayers([[512, 2048, 'gelu'], [2048, 512, null]]).map(({ weight, bias, inFeatures, outFeatures }) => ({ weight, bias, inFeatures, outFeatures }));
const xs = normal(128 * 512, 5);
const g = normal(1 << 20, 6);

const workloads = values.batches.split(',').map(Number).map((batch) => ({
  name: `FFN batch ${batch}`,
  reps: Math.max(2, Math.round(256 / batch)),
  calls: instances.map((f) => {
    const block = f.feedForward({ fc1, fc2, activation: 'gelu' });
    const [x, y] = [f.tensor(xs.subarray(0, batch * 512)), f.tensor(batch * 512)];
    return () => block.forward(x, batch, y);
  }),
}));
workloads.push({
  name: 'GELU 1M',
  reps: 5,
  calls: instances.map((f) => {
    const [x, y] = [f.tensor(g), f.tensor(g.length)];
    return () => f.gelu(x, y);
  }),
});

for (const { name, reps, calls } of workloads) {
  // a second of calls first: the pools' dispatch is JavaScript, slow until the JIT has it (bench/case.js)
  for (const call of calls) for (const t0 = performance.now(); performance.now() - t0 < 1000; ) call();
  const [one, before, after] = alternate(calls, { rounds, reps });
  const us = (ms) => `${(ms * 1000).toFixed(0)} µs`;
  console.log(`${build} ${name}: ${contenders.map(([label], i) => `${label} ${us([one, before, after][i])}`).join(', ')}; ` +
    `2 threads ÷ 1: base ${(one / before).toFixed(2)}×, this tree ${(one / after).toFixed(2)}×`);
}
await Promise.all(instances.map((f) => f.close()));
