#!/usr/bin/env node
// The peak loop (bench/peak.js) at other chain counts and unrolls: how many independent accumulator
// chains a core needs to reach its SIMD peak, and what the microkernel's eight chains (the 4×8 tile,
// one step per k) can reach with no loads at all. Every variant takes turns round by round, medians.
//
//   node bench/chains.js [--rounds 9]
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); // before any module compiles
const { peakWat, assemble, FLOPS_PER_STEP } = await import('./peak.js');
const { median, now } = await import('./timing.js');
const { machine } = await import('./machine.js');

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 9;
const ITERATIONS = 4096 * 50;
// [chains, unroll]: the tile's eight chains as it runs them, then the unrolled loops peak.js uses.
const SHAPES = [[8, 1], [8, 4], [10, 4], [12, 4], [14, 2]];

const variants = [];
for (const kind of ['mulAdd', 'relaxedMadd']) {
  for (const [chains, unroll] of SHAPES) {
    const { instance } = await WebAssembly.instantiate(assemble(peakWat(kind, chains, unroll)));
    variants.push({ kind, chains, unroll, run: instance.exports.run, samples: [] });
  }
}
for (const v of variants) v.run(100_000); // past V8's tier-up
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    const start = now();
    v.run(ITERATIONS);
    v.samples.push(now() - start);
  }
}
const { cpu, cpuFamily, node, date } = machine();
console.log(`# peak loop by chains: ${cpu} (${cpuFamily}), Node ${node}, ${date}, medians of ${rounds} rounds`);
for (const { kind, chains, unroll, samples } of variants) {
  const gflops = (chains * unroll * FLOPS_PER_STEP * ITERATIONS) / median(samples) / 1e6;
  console.log(`${kind.padEnd(12)} ${String(chains).padStart(2)} chains × ${unroll} unrolled  ${gflops.toFixed(1)} GFLOP/s`);
}
