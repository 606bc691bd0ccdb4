// The machine's WebAssembly SIMD peak on one core: a loop of `chains` independent f32x4 chains,
// either acc = acc·a + b with f32x4.mul + f32x4.add (2 ops, 8 flops per chain step) or
// acc = relaxed_madd(acc, a, b) (1 op, 8 flops). The module is written as WAT here and assembled
// with binaryen's JS API at bench time.
import binaryen from 'binaryen';
import { median, now } from './timing.js';

const STEPS = {
  mulAdd: (acc) => `(local.set ${acc} (f32x4.add (f32x4.mul (local.get ${acc}) (local.get $a)) (local.get $b)))`,
  relaxedMadd: (acc) => `(local.set ${acc} (f32x4.relaxed_madd (local.get ${acc}) (local.get $a) (local.get $b)))`,
};
export const FLOPS_PER_STEP = 8;

/** WAT of `run(iterations) → f32`: `chains` accumulators, `unroll` steps of each per iteration. */
export function peakWat(kind, chains = 12, unroll = 4) {
  const accs = Array.from({ length: chains }, (_, i) => `$c${i}`);
  const body = Array.from({ length: unroll }, () => accs.map(STEPS[kind]).join('\n      ')).join('\n      ');
  const sum = accs.slice(1).reduce((s, acc) => `(f32x4.add ${s} (local.get ${acc}))`, `(local.get ${accs[0]})`);
  return `(module
  (func (export "run") (param $n i32) (result f32)
    (local $a v128) (local $b v128) ${accs.map((a) => `(local ${a} v128)`).join(' ')}
    ;; acc → acc·0.999 + 0.001 converges to 1: no overflow, no subnormals
    (local.set $a (f32x4.splat (f32.const 0.999)))
    (local.set $b (f32x4.splat (f32.const 0.001)))
    ${accs.map((acc, i) => `(local.set ${acc} (f32x4.splat (f32.const ${i})))`).join('\n    ')}
    (loop $loop
      ${body}
      (br_if $loop (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f32x4.extract_lane 0 ${sum})))`;
}

/** k steps per pass of the tile loop: 8 KiB of weights and 4 KiB of x, in L1. */
export const TILE_K = 256;
/** Flops per pass of the tile loop: 8 multiply-adds of 4 lanes per k. */
export const TILE_FLOPS = 8 * FLOPS_PER_STEP * TILE_K;

/**
 * WAT of `run(passes) → f32`: the 4×8 tile's k loop (microkernel.ts) over TILE_K k's, acc[r][v] +=
 * w[v]·x[r] for 4 rows and 2 weight vectors, with the weights and/or the broadcasts of x loaded each
 * k as the microkernel does, or held in registers; by relaxed_madd, or by mul+add (only with both
 * loaded: else the mul would be hoisted out of the loop). What the GEMM's tile can reach, caches aside.
 */
export function tileWat(loadWeights, loadX, mulAdd = false) {
  const w = (v) => (loadWeights ? `(v128.load offset=${16 * v} (local.get $pb))` : `(local.get $w${v})`);
  const x = (r) => (loadX ? `(v128.load32_splat offset=${4 * r} (local.get $pa))` : `(local.get $x${r})`);
  const steps = [0, 1, 2, 3].flatMap((r) => [0, 1].map((v) => {
    const acc = `$c${2 * r + v}`;
    const [wk, xk] = [`(local.get $w${v}k)`, `(local.get $x${r}k)`];
    const step = mulAdd ? `(f32x4.add (local.get ${acc}) (f32x4.mul ${wk} ${xk}))` : `(f32x4.relaxed_madd ${wk} ${xk} (local.get ${acc}))`;
    return `(local.set ${acc} ${step})`;
  }));
  const accs = Array.from({ length: 8 }, (_, i) => `$c${i}`);
  const sum = accs.slice(1).reduce((s, acc) => `(f32x4.add ${s} (local.get ${acc}))`, `(local.get ${accs[0]})`);
  return `(module (memory 1)
  (func (export "run") (param $n i32) (result f32)
    (local $pa i32) (local $pb i32) (local $k i32)
    ${['$w0', '$w1', '$x0', '$x1', '$x2', '$x3', '$w0k', '$w1k', '$x0k', '$x1k', '$x2k', '$x3k', ...accs].map((l) => `(local ${l} v128)`).join(' ')}
    ${[0, 1].map((v) => `(local.set $w${v} (f32x4.splat (f32.const 0.5)))`).join(' ')}
    ${[0, 1, 2, 3].map((r) => `(local.set $x${r} (f32x4.splat (f32.const 0.25)))`).join(' ')}
    (loop $pass
      (local.set $pa (i32.const 0)) (local.set $pb (i32.const ${16 * TILE_K})) (local.set $k (i32.const ${TILE_K}))
      (loop $step
        ${[0, 1].map((v) => `(local.set $w${v}k ${w(v)})`).join(' ')}
        ${[0, 1, 2, 3].map((r) => `(local.set $x${r}k ${x(r)})`).join(' ')}
        ${steps.join('\n        ')}
        (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
        (br_if $step (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
      (br_if $pass (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f32x4.extract_lane 0 ${sum})))`;
}

export function assemble(text) {
  const module = binaryen.parseText(text);
  module.setFeatures(binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD);
  if (!module.validate()) throw new Error('peak: the generated module does not validate');
  const bytes = module.emitBinary();
  module.dispose();
  return bytes;
}

/**
 * GFLOP/s of each kind that this runtime validates, over `rounds` runs of about `targetMs`.
 * `gflops` is the best run (a limit: other load only ever slows a run down), `median` the median.
 * Returns { mulAdd, relaxedMadd } (null where unsupported).
 */
export async function measurePeaks({ rounds = 7, targetMs = 100, chains = 12, unroll = 4 } = {}) {
  const result = {};
  for (const kind of Object.keys(STEPS)) {
    const bytes = assemble(peakWat(kind, chains, unroll));
    if (!WebAssembly.validate(bytes)) {
      result[kind] = null;
      continue;
    }
    const { instance } = await WebAssembly.instantiate(bytes);
    const run = instance.exports.run;
    const flopsPerIteration = chains * unroll * FLOPS_PER_STEP;
    run(1000); // tier up
    let iterations = 1e5;
    for (let t = 0; (t = timeIt(run, iterations)) < targetMs / 4; ) iterations *= 4;
    iterations = Math.round((iterations * targetMs) / timeIt(run, iterations));
    const samples = Array.from({ length: rounds }, () => (flopsPerIteration * iterations) / timeIt(run, iterations) / 1e6);
    result[kind] = { gflops: Math.max(...samples), median: median(samples), samples, chains, unroll };
  }
  return result;
}

function timeIt(run, iterations) {
  const t0 = now();
  run(iterations);
  return now() - t0;
}

/** Both measurements' samples together (the run measures at its start and again after its sections). */
export function mergePeaks(a, b) {
  return Object.fromEntries(
    Object.keys(STEPS).map((kind) => {
      if (!a?.[kind] || !b?.[kind]) return [kind, a?.[kind] ?? b?.[kind] ?? null];
      const samples = [...a[kind].samples, ...b[kind].samples];
      return [kind, { ...a[kind], gflops: Math.max(...samples), median: median(samples), samples }];
    }),
  );
}
