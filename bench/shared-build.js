#!/usr/bin/env node
// What the shared-memory build costs a thread: the seed FFN on the build that owns its memory, on its
// shared-memory twin (ffwd.<build>-shared.wasm) with 1 thread, and on 2 threads, taking turns round by
// round in one process, medians. If the twin on 1 thread is as fast as the plain build, whatever 2
// threads lose against 2× is lost in the pool, not in the shared build's code.
//
//   node bench/shared-build.js [--batch 128] [--rounds 15]
import v8 from 'node:v8';
import { readFileSync } from 'node:fs';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); // before any module compiles
const { init } = await import('ffwd');
const { makeLayers, normal } = await import('./data.js');
const { alternate, now } = await import('./timing.js');
const { machine } = await import('./machine.js');

const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const batch = option('batch', 128);
const rounds = option('rounds', 15);
const CALLS_PER_SAMPLE = 5;

async function contender(label, options) {
  const ffwd = await init(options);
  const [fc1, fc2] = makeLayers([[512, 2048, 'gelu'], [2048, 512, null]])
    .map(({ weight, bias, inFeatures, outFeatures }) => ({ weight, bias, inFeatures, outFeatures }));
  const block = ffwd.feedForward({ fc1, fc2, activation: 'gelu' });
  const x = ffwd.tensor(normal(batch * 512, 5));
  const y = ffwd.tensor(batch * 512);
  return { label, ffwd, run: () => block.forward(x, batch, y) };
}

const contenders = [];
for (const build of ['simd', 'relaxed']) {
  const twin = new WebAssembly.Module(readFileSync(new URL(`../build/ffwd.${build}-shared.wasm`, import.meta.url)));
  contenders.push(await contender(build, { build }));
  contenders.push(await contender(`${build}-shared, 1 thread`, { module: twin, threads: 1 }));
  contenders.push(await contender(`${build}, 2 threads`, { build, threads: 2 }));
}
const warmUntil = now() + 1000; // a pool's dispatch is JavaScript: past V8's JIT first (bench/README.md)
while (now() < warmUntil) for (const c of contenders) c.run();
const ms = alternate(contenders.map((c) => c.run), { rounds, reps: CALLS_PER_SAMPLE });
const { cpu, cpuFamily, node, date } = machine();
console.log(`# FFN 512→2048→512 batch ${batch}: ${cpu} (${cpuFamily}), Node ${node}, ${date}, medians of ${rounds} rounds`);
contenders.forEach(({ label, ffwd }, i) => console.log(`${label.padEnd(24)} ${ms[i].toFixed(2).padStart(7)} ms  (${ffwd.threads} thread(s))`));
for (const { ffwd } of contenders) await ffwd.close();
