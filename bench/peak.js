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
