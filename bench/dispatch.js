#!/usr/bin/env node
// The cost of a threaded dispatch, outside the bench's rounds: the FFN 512 → 2048 → GELU → 512 on 1
// and 2 threads called back to back (rounds of calls, the two instances alternating, medians), and
// relu over 10^5 floats (a dispatch whose work is a few microseconds). Quoted in the README (Threads).
//
//   node bench/dispatch.js [--build simd|relaxed] [--batch 1] [--rounds 30]
import { parseArgs } from 'node:util';
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); // before any module compiles
const { init } = await import('ffwd');
const { alternate } = await import('./timing.js');
const { normal } = await import('./data.js');

const { values } = parseArgs({ options: { build: { type: 'string', default: 'simd' }, batch: { type: 'string', default: '1' }, rounds: { type: 'string', default: '30' } } });
const [build, batch, rounds] = [values.build, Number(values.batch), Number(values.rounds)];
const [d, h] = [512, 2048];
const [w1, w2, xs] = [normal(d * h, 1, 0.04), normal(d * h, 2, 0.02), normal(batch * d, 3)];
const instances = [await init({ build }), await init({ build, threads: 2 })];

/** µs per call of each, alternating (timing.js alternate). */
const timed = (calls) => alternate(calls, { rounds, reps: Math.max(10, Math.round(100 / batch)) }).map((ms) => ms * 1000);

const ffn = instances.map((f) => {
  const block = f.feedForward({ fc1: { weight: w1, inFeatures: d, outFeatures: h }, fc2: { weight: w2, inFeatures: h, outFeatures: d }, activation: 'gelu' });
  const [x, y] = [f.tensor(xs), f.tensor(batch * d)];
  return () => block.forward(x, batch, y);
});
const relu = instances.map((f) => {
  const [x, y] = [f.tensor(normal(100_000, 4)), f.tensor(100_000)];
  return () => f.relu(x, y);
});
const [a, b] = timed(ffn);
const [c, e] = timed(relu);
console.log(`${build}: FFN 512/2048 batch ${batch}: 1 thread ${a.toFixed(1)} µs, 2 threads ${b.toFixed(1)} µs (${(a / b).toFixed(2)}×); relu 10^5: ${c.toFixed(1)} → ${e.toFixed(1)} µs`);
await Promise.all(instances.map((f) => f.close()));
