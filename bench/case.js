// One benchmark case: every implementation prepares a runner over the same input, its output is
// checked against the float64 reference (before and after timing), and all of them are timed
// round-robin. Sections differ only in what they prepare and which reference they pass.
// A multi-threaded implementation's pool spin-waits ≈ 15–20 ms after its work: the others wait that out.
// It also warms up for longer: ffwd's dispatch is JavaScript on both threads, and the FFN 512/2048 at
// batch 1 on 2 threads ran 4–6× slower in its first 0.3 s and 1.5× slower until 0.5 s (Zen 4, Node 20,
// with and without --no-liftoff: the JIT, not the wasm tiers), where the default warm-up is 75 ms.
import { asSampler } from './implementations.js';
import { compare } from './reference.js';
import { roundRobin } from './timing.js';

const SETTLE_MS = 25;
const THREADS_WARMUP_MS = 1000;
const short = (error) => String(error?.message ?? error).split('\n')[0].slice(0, 160);

/**
 * prepare(impl) → runner | null (null: the implementation doesn't have this). Returns one result
 * per implementation that has it: { key, ms, maxAbs, maxScaled, ok, reps, samples } or { key, error }.
 * With `variants` ([{ id, prepare, reference }]) every implementation runs every variant, all timed in
 * the same rounds (so their ratios are not at the mercy of the machine's load between cases), and each
 * result also carries its `variant`. A variant may also bring its own `tolerance`, and `measure(y)`
 * (fields added to its result from the output after timing, e.g. an error metric against another
 * reference); a runner's `bytes` (the layers' size) is passed on too.
 * `yardsticks` ([{ key, sampler }]: loops that compute nothing to check, such as the read-bandwidth
 * loop) take turns in the same rounds; each result is { key, yardstick: true, ms, samples }.
 */
export async function runCase({ impls, prepare, reference, variants = [{ id: undefined, prepare, reference }], tolerance, timing, yardsticks = [] }) {
  const results = [];
  const contenders = [];
  for (const variant of variants) {
    for (const impl of impls) {
      if (!impl.peer) continue;
      const tag = variant.id === undefined ? {} : { variant: variant.id };
      let s = null;
      try {
        const runner = await variant.prepare(impl);
        s = asSampler(impl, runner);
        if (s === null) continue;
        const check = compare(await s.output(), variant.reference);
        contenders.push({
          label: impl.key, tag, reference: variant.reference, tolerance: variant.tolerance ?? tolerance, measure: variant.measure,
          sampler: s, check, api: runner.api, bytes: runner.bytes, settleMs: impl.threads > 1 ? SETTLE_MS : 0, ...(impl.threads > 1 ? { warmupMs: THREADS_WARMUP_MS } : {}),
        });
      } catch (error) {
        results.push({ key: impl.key, ...tag, error: short(error) });
        await s?.release().catch(() => {});
      }
    }
  }
  const timed = await roundRobin([...contenders, ...yardsticks.map(({ key, sampler }) => ({ label: key, sampler }))], timing);
  for (const [i, { key }] of yardsticks.entries()) {
    const { ms, samples } = timed[contenders.length + i];
    results.push({ key, yardstick: true, ms, samples });
  }
  for (const [i, c] of contenders.entries()) {
    const y = await c.sampler.output();
    const after = compare(y, c.reference);
    const measured = c.measure ? c.measure(y) : {};
    await c.sampler.release();
    const maxAbs = Math.max(c.check.maxAbs, after.maxAbs);
    const maxScaled = Math.max(c.check.maxScaled, after.maxScaled);
    const { ms, best, reps, samples } = timed[i];
    results.push({ key: c.label, ...c.tag, ms, best, reps, samples, maxAbs, maxScaled, ok: maxScaled <= c.tolerance, ...(c.api ? { api: c.api } : {}), ...(c.bytes !== undefined ? { bytes: c.bytes } : {}), ...measured });
  }
  return results;
}
