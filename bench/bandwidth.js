// The machine's read bandwidth from WebAssembly on one core: v128 loads streamed over a buffer far
// larger than the last-level cache (OR-ed into four accumulators so the loads are all that limits
// the loop). The GEMV path (batch 1 … 3) reads each weight once, so this is its ceiling. Written as
// WAT and assembled with binaryen, like the SIMD peak (peak.js).
import { assemble } from './peak.js';
import { median, now } from './timing.js';

const PAGE = 65536;

/** WAT of `read(from, to) → i32`: every byte of [from, to), 128 bytes (two cache lines) per iteration. */
export function bandwidthWat(pages) {
  const loads = Array.from({ length: 8 }, (_, i) => `(local.set $a${i % 4} (v128.or (local.get $a${i % 4}) (v128.load offset=${16 * i} (local.get $p))))`);
  return `(module
  (memory (export "memory") ${pages})
  (func (export "read") (param $p i32) (param $end i32) (result i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (loop $loop
      ${loads.join('\n      ')}
      (br_if $loop (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 128))) (local.get $end))))
    (i32x4.extract_lane 0 (v128.or (v128.or (local.get $a0) (local.get $a1)) (v128.or (local.get $a2) (local.get $a3))))))`;
}

/**
 * GB/s of streaming reads over `mib` MiB (default 256: 8× this machine's L3), best and median of
 * `rounds` passes, after a warm-up.
 */
export async function measureBandwidth({ mib = 256, rounds = 7 } = {}) {
  const bytes = mib << 20;
  const { instance } = await WebAssembly.instantiate(assemble(bandwidthWat(bytes / PAGE)));
  const { read, memory } = instance.exports;
  new Uint8Array(memory.buffer).fill(1); // faults every page in
  for (const t0 = now(); now() - t0 < 200; ) read(0, 1 << 20); // tier-up (Liftoff → TurboFan)
  read(0, bytes);
  const samples = Array.from({ length: rounds }, () => {
    const t0 = now();
    read(0, bytes);
    return bytes / (now() - t0) / 1e6;
  });
  return { gbs: Math.max(...samples), median: median(samples), samples, mib };
}

/** Both measurements' samples together (run.js measures before and after its timed sections). */
export function mergeBandwidth(a, b) {
  if (!a || !b) return a ?? b;
  const samples = [...a.samples, ...b.samples];
  return { ...a, gbs: Math.max(...samples), median: median(samples), samples };
}
