#!/usr/bin/env node
// GEMM kernel microbenchmark: GFLOP/s of the packed `linear` export (assembly/gemm/) on the
// transformer FFN shapes and a square GEMM, for both builds, as a fraction of the machine's WASM
// SIMD peak (bench/peak.js's register-resident loop: mul+add for the simd build, relaxed_madd for
// the relaxed build). The peak loops are contenders too: everything takes turns sample by sample in
// one process and the median sample counts, so load from other processes hits all alike.
//
//   node bench/gemm-kernel.js [--shapes ffn1,ffn8,ffn128,sq512] [--builds simd,relaxed] [--rounds 15]
//                             [--target-ms 20] [--hidden Gelu] [--wasm label=path.wasm …] [--json out.json]
//
// So does the tile's own k loop with its loads in L1 (peak.js tileWat): "% of tile loop" is the share
// of what the 4×8 tile reaches on this core at the moment, which moves with the machine (on the project's
// VMs it varied per process and vCPU while the register-only peak loop did not: README, FFN at scale).
//
// The streaming-read loop of bench/bandwidth.js takes turns too: "% of read" compares the weights'
// GB/s with the read bandwidth measured in the same rounds.
//
// --hidden names the activation of the FFN's hidden layer as the module exports it (Activation.<name>:
// Gelu by default, Identity to time the GEMM alone); a module without it runs Identity.
//
// --wasm adds other builds of the kernels (any module exporting memory, alloc, pack, packedBytes,
// linear; linearScratchBytes if it takes a scratch) as contenders: this is how tile variants were compared (see the numbers in
// assembly/gemm/microkernel.ts). A module counts as relaxed if its RELAXED global is 1 or, lacking
// one, its path says "relaxed".
import v8 from 'node:v8';
import { readFileSync, writeFileSync } from 'node:fs';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); // before any module compiles
const { init } = await import('ffwd');
const { peakWat, tileWat, assemble, FLOPS_PER_STEP, TILE_FLOPS } = await import('./peak.js');
const { bandwidthRunner } = await import('./bandwidth.js');
const { median, now } = await import('./timing.js');
const { rawFfn } = await import('./raw-ffn.js');

const SHAPES = {
  // [batch, d0, d1, …]: a chain of linear layers d0→d1→…; the hidden layers get the FFN activation.
  ffn1: [1, 512, 2048, 512],
  ffn8: [8, 512, 2048, 512],
  ffn128: [128, 512, 2048, 512],
  sq512: [512, 512, 512],
  ffn2: [2, 512, 2048, 512],
  ffn3: [3, 512, 2048, 512],
  ffn32: [32, 512, 2048, 512],
  sq1024: [1024, 1024, 1024],
  down1: [1, 11008, 4096], // a long-K GEMV
  // the scale section's shapes (bench/layers.js SCALE_WORKLOADS)
  ffn1k8: [8, 1024, 4096, 1024],
  ffn1k64: [64, 1024, 4096, 1024],
  ffn2k1: [1, 2048, 8192, 2048],
  ffn2k8: [8, 2048, 8192, 2048],
  ffn2k64: [64, 2048, 8192, 2048],
  down8: [8, 11008, 4096],
  down64: [64, 11008, 4096],
  vocab1: [1, 768, 50257],
  ffn1k512: [512, 1024, 4096, 1024],
  // batch 8 with the weights in L3 (8 MiB) and out of it (64 MiB): what streaming from memory costs
  l3w8: [8, 2048, 1024],
  // short K: the cost of a tile's start and end
  k64: [512, 64, 2048],
  k256: [512, 256, 2048],
  memw8: [8, 2048, 8192],
};

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const shapes = option('shapes', 'ffn1,ffn8,ffn128,sq512').split(',');
const rounds = Number(option('rounds', 15));
const targetMs = Number(option('target-ms', 20));
const hidden = option('hidden', 'Gelu');
const builds = option('builds', 'simd,relaxed').split(',').filter(Boolean);
const extra = args.flatMap((a, i) => (args[i - 1] === '--wasm' ? [a] : []));

// A deterministic N(0, 1)-ish generator (sum of uniforms), so runs compare like with like.
function filler(seed) {
  let s = seed >>> 0;
  const u = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return (n, scale = 1) => Float32Array.from({ length: n }, () => (u() + u() + u() - 1.5) * 2 * scale);
}

async function contenders() {
  const list = [];
  for (const build of builds) {
    const f = await init({ build });
    list.push({ label: build, relaxed: build === 'relaxed', e: f.heap.exports });
  }
  for (const spec of extra) {
    const [label, path] = spec.includes('=') ? spec.split('=') : [spec, spec];
    const { instance } = await WebAssembly.instantiate(readFileSync(path), {});
    const e = instance.exports;
    list.push({ label, relaxed: e.RELAXED ? e.RELAXED.value === 1 : /relaxed/.test(path), e });
  }
  return list;
}

/** Packs the layers of `dims` into c's memory and returns run() plus what it costs. */
function prepare(c, dims, seed) {
  const global = c.e[`Activation.${hidden}`];
  const ffn = rawFfn(c.e, dims, { fill: filler(seed), act: global ? global.value : 0 });
  return { ...ffn, hidden: dims.length > 3 ? (global ? hidden : 'Identity') : '-' };
}

function time(run, reps) {
  const t0 = now();
  for (let i = 0; i < reps; i++) run();
  return (now() - t0) / reps;
}

// The peak loops, timed in the same rounds as the kernels.
async function peakRunners() {
  const list = [];
  for (const kind of ['mulAdd', 'relaxedMadd']) {
    const [chains, unroll] = [12, 4];
    const bytes = assemble(peakWat(kind, chains, unroll));
    if (!WebAssembly.validate(bytes)) continue;
    const { instance } = await WebAssembly.instantiate(bytes);
    const iterations = 4096;
    list.push({ kind, run: () => instance.exports.run(iterations), flops: chains * unroll * FLOPS_PER_STEP * iterations });
  }
  // The tile's own k loop with its loads, everything in L1 (peak.js tileWat): the GEMM's ceiling now.
  for (const [kind, mulAdd] of [['tileMulAdd', true], ['tileRelaxedMadd', false]]) {
    const { instance } = await WebAssembly.instantiate(assemble(tileWat(true, true, mulAdd)));
    const passes = 16;
    list.push({ kind, run: () => instance.exports.run(passes), flops: TILE_FLOPS * passes });
  }
  return list;
}

console.log(`# ffwd GEMM kernels, node ${process.version}, one thread, medians of ${rounds} rounds`);
// The streaming-read loop over 256 MiB in three runs (as the batch-1 tile reads), timed in the same
// rounds too: the GEMV's ceiling.
const readRunner = async () => ({ kind: 'read', ...(await bandwidthRunner(256, 3)) });

const peakList = [...(await peakRunners()), await readRunner()];
const all = await contenders();
const results = [];
for (const name of shapes) {
  const dims = SHAPES[name];
  if (!dims) throw new Error(`unknown shape ${name}; known: ${Object.keys(SHAPES).join(', ')}`);
  const runs = all.map((c) => prepare(c, dims, 0x5eed));
  // Same inputs everywhere: outputs agree to float32 accumulation error.
  const ref = runs[0];
  ref.run();
  const want = ref.output();
  for (const r of runs.slice(1)) {
    r.run();
    const got = r.output();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
    if (worst > 1e-3) throw new Error(`${name}: contenders disagree (${worst})`);
  }
  const timed = [...runs, ...peakList];
  const reps = timed.map((r) => {
    time(r.run, 3); // warm-up, tier-up
    let n = 1;
    while (time(r.run, n) * n < targetMs / 2 && n < 1e6) n *= 2;
    return n;
  });
  const samples = timed.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < timed.length; k++) {
      const i = (k + round) % timed.length;
      samples[i].push(time(timed[i].run, reps[i]));
    }
  }
  const peak = {};
  peakList.forEach((p, j) => (peak[p.kind] = (p.flops ?? p.bytes) / median(samples[runs.length + j]) / 1e6));
  const peakOf = (c) => (c.relaxed ? peak.relaxedMadd : peak.mulAdd) ?? NaN;
  const tileOf = (c) => (c.relaxed ? peak.tileRelaxedMadd : peak.tileMulAdd);
  runs.forEach((r, i) => {
    const ms = median(samples[i]);
    const gflops = r.flops / ms / 1e6;
    const row = {
      shape: name, dims: dims.join('×'), build: all[i].label, hidden: r.hidden, ms, gflops,
      peak: peakOf(all[i]), ofPeak: gflops / peakOf(all[i]), tile: tileOf(all[i]), ofTile: gflops / tileOf(all[i]), weightGBs: r.weightBytes / ms / 1e6, readGBs: peak.read, min: Math.min(...samples[i]),
    };
    results.push(row);
    console.log(
      `${name.padEnd(7)} ${row.dims.padEnd(16)} ${row.build.padEnd(20)} ${ms.toFixed(3).padStart(8)} ms ` +
        `${gflops.toFixed(1).padStart(6)} GFLOP/s ${(100 * row.ofPeak).toFixed(0).padStart(4)}% of peak ${row.peak.toFixed(1)} ` +
        `${(100 * row.ofTile).toFixed(0).padStart(4)}% of tile loop ${row.tile.toFixed(1)} ` +
        `${row.weightGBs.toFixed(0).padStart(4)} GB/s weights (${(100 * row.weightGBs / row.readGBs).toFixed(0)}% of read ${row.readGBs.toFixed(1)})  (hidden ${r.hidden})`,
    );
  });
  for (const r of runs) r.release();
}
const json = option('json');
if (json) writeFileSync(json, JSON.stringify({ node: process.version, rounds, targetMs, hidden, results }, null, 2));
