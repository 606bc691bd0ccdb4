#!/usr/bin/env node
// What the microkernel's 4×8 tile can reach on this core, from loops without the GEMM around them:
// the peak loop (bench/peak.js) at other chain counts and unrolls (how many independent accumulator
// chains the core needs), and a loop of the tile's own shape, eight relaxed_madd chains per k fed by
// its loads (two weight vectors and four broadcasts of x, all in L1) or by registers instead. Every
// variant takes turns round by round, medians.
//
//   node bench/chains.js [--rounds 9]
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); // before any module compiles
const { peakWat, tileWat, assemble, FLOPS_PER_STEP, TILE_FLOPS } = await import('./peak.js');
const { alternate } = await import('./timing.js');
const { machine } = await import('./machine.js');

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 9;
// [chains, unroll]: the tile's eight chains as it runs them, then the unrolled loops peak.js uses.
const SHAPES = [[8, 1], [8, 4], [10, 4], [12, 4], [14, 2]];
const PEAK_ITERATIONS = 4096 * 50;
const PASSES = 800;

const variants = [];
for (const kind of ['mulAdd', 'relaxedMadd']) {
  for (const [chains, unroll] of SHAPES) {
    const { instance } = await WebAssembly.instantiate(assemble(peakWat(kind, chains, unroll)));
    const flops = chains * unroll * FLOPS_PER_STEP * PEAK_ITERATIONS;
    variants.push({ label: `${kind} peak loop, ${chains} chains × ${unroll} unrolled`, run: () => instance.exports.run(PEAK_ITERATIONS), flops });
  }
}
const TILE_LOOPS = [[false, false, false, 'no loads'], [true, false, false, 'weight loads'], [false, true, false, 'x broadcasts'],
  [true, true, false, 'both, as the GEMM'], [true, true, true, 'both, mul+add']];
for (const [loadWeights, loadX, mulAdd, what] of TILE_LOOPS) {
  const { instance } = await WebAssembly.instantiate(assemble(tileWat(loadWeights, loadX, mulAdd)));
  variants.push({ label: `4×8 tile loop, ${what}`, run: () => instance.exports.run(PASSES), flops: TILE_FLOPS * PASSES });
}
for (const v of variants) for (let i = 0; i < 20; i++) v.run(); // past V8's tier-up
const ms = alternate(variants.map((v) => v.run), { rounds, reps: 1 });
const { cpu, cpuFamily, node, date } = machine();
console.log(`# ${cpu} (${cpuFamily}), Node ${node}, ${date}, GFLOP/s, medians of ${rounds} rounds`);
variants.forEach(({ label, flops }, i) => console.log(`${label.padEnd(44)} ${(flops / ms[i] / 1e6).toFixed(1).padStart(6)}`));
