// The machine's read bandwidth from WebAssembly on one core: v128 loads streamed over a buffer far
// larger than the last-level cache (OR-ed into four accumulators so the loads are all that limits
// the loop), from 1 … 4 sequential runs at once (the buffer cut into that many parts): one core
// keeps more misses in flight over several runs (here 2–3 runs read ≈ 15 % faster than one), and
// the GEMV path reads three. Batch 1 reads each weight once, so the best of these is its ceiling.
// Written as WAT and assembled with binaryen, like the SIMD peak (peak.js).
import { assemble } from './peak.js';
import { median, now } from './timing.js';

const PAGE = 65536;
export const STREAMS = [1, 2, 3, 4];

/**
 * WAT of `read(from, to, stride) → i32`: every byte of the `streams` runs [from + s·stride, to +
 * s·stride), 128 bytes (two cache lines) of each per iteration.
 */
export function bandwidthWat(pages, streams = 1) {
  const loads = [];
  for (let s = 0; s < streams; s++) {
    const at = s === 0 ? '(local.get $p)' : `(i32.add (local.get $p) (i32.mul (local.get $stride) (i32.const ${s})))`;
    for (let i = 0; i < 8; i++) {
      const acc = `$a${(8 * s + i) % 4}`;
      loads.push(`(local.set ${acc} (v128.or (local.get ${acc}) (v128.load offset=${16 * i} ${at})))`);
    }
  }
  return `(module
  (memory (export "memory") ${pages})
  (func (export "read") (param $p i32) (param $end i32) (param $stride i32) (result i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (loop $loop
      ${loads.join('\n      ')}
      (br_if $loop (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 128))) (local.get $end))))
    (i32x4.extract_lane 0 (v128.or (v128.or (local.get $a0) (local.get $a1)) (v128.or (local.get $a2) (local.get $a3))))))`;
}

/** A runner that reads `mib` MiB as `streams` runs once per call; `bytes` is what one call reads. */
export async function bandwidthRunner(mib, streams) {
  const bytes = mib << 20;
  const { instance } = await WebAssembly.instantiate(assemble(bandwidthWat(bytes / PAGE, streams)));
  const { read, memory } = instance.exports;
  new Uint8Array(memory.buffer).fill(1); // faults every page in
  const part = Math.floor(bytes / streams / 128) * 128;
  for (const t0 = now(); now() - t0 < 200; ) read(0, 1 << 16, 1 << 16); // tier-up (Liftoff → TurboFan)
  return { streams, bytes: part * streams, run: () => read(0, part, part) };
}

/**
 * GB/s of streaming reads over `mib` MiB (default 256: 8× this machine's L3) for each stream count,
 * taking turns round by round; returns the best count's best and median of `rounds` passes.
 */
export async function measureBandwidth({ mib = 256, rounds = 7 } = {}) {
  const runners = [];
  for (const s of STREAMS) runners.push(await bandwidthRunner(mib, s));
  const samples = runners.map(() => []);
  for (let r = 0; r < rounds; r++) {
    runners.forEach((x, i) => {
      const t0 = now();
      x.run();
      samples[i].push(x.bytes / (now() - t0) / 1e6);
    });
  }
  const best = samples.reduce((b, s, i) => (median(s) > median(samples[b]) ? i : b), 0);
  const perStreams = Object.fromEntries(runners.map((x, i) => [x.streams, +median(samples[i]).toFixed(1)]));
  return { gbs: Math.max(...samples[best]), median: median(samples[best]), samples: samples[best], streams: runners[best].streams, perStreams, mib };
}

/** Both measurements' samples together (run.js measures before and after its timed sections). */
export function mergeBandwidth(a, b) {
  if (!a || !b) return a ?? b;
  const samples = [...a.samples, ...b.samples];
  return { ...a, gbs: Math.max(...samples), median: median(samples), samples };
}
