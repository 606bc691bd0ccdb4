// Timing: a runner's calls become samples (mean ms per call over `reps` calls), contenders take
// turns round by round (so drift in machine load hits them all alike), and the median sample wins.

export const now = () => performance.now();

export function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Wraps a runner ({ call, async, output, release }) as a sampler: sample(reps) resolves to the
 * total ms of `reps` calls. Sync runners are timed without any await inside the loop.
 */
export function sampler(runner) {
  const sample = runner.async
    ? async (reps) => {
        const t0 = now();
        for (let i = 0; i < reps; i++) await runner.call();
        return now() - t0;
      }
    : async (reps) => {
        const t0 = now();
        for (let i = 0; i < reps; i++) runner.call();
        return now() - t0;
      };
  return {
    sample,
    output: async () => Float32Array.from(await runner.output()),
    release: async () => runner.release?.(),
  };
}

/**
 * Calls per sample so that one sample lasts about `targetMs` (at least one call), after a warm-up
 * of at least `warmupMs` of calls (first-call allocation, JIT tier-up, caches).
 */
async function calibrate(s, targetMs, warmupMs) {
  let reps = 1;
  let ms = await s.sample(reps);
  let spent = ms;
  while (spent < warmupMs || (ms < targetMs / 4 && reps < 1e7)) {
    if (ms < targetMs / 4) reps *= Math.min(16, Math.max(2, Math.ceil(targetMs / 2 / Math.max(ms, 1e-3))));
    ms = await s.sample(reps);
    spent += ms;
  }
  return Math.max(1, Math.round((reps * targetMs) / Math.max(ms, 1e-3)));
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Synchronous calls timed back to back: in each of `rounds` rounds every call runs `reps` times in
 * turn; returns each call's median ms per call (the standalone A/B scripts: dispatch.js, threads-ab.js).
 */
export function alternate(calls, { rounds, reps }) {
  const samples = calls.map(() => []);
  for (let r = 0; r < rounds; r++) {
    calls.forEach((call, i) => {
      const t0 = now();
      for (let k = 0; k < reps; k++) call();
      samples[i].push((now() - t0) / reps);
    });
  }
  return samples.map(median);
}

/**
 * Times every contender ({ label, sampler, settleMs?, warmupMs? }) in `rounds` rounds; each round
 * visits all of them, in an order rotated from round to round. `settleMs` is a pause after that
 * contender's samples (a thread pool that spin-waits after its work would otherwise steal the next
 * one's core); `warmupMs` replaces the default warm-up (3 samples' worth, at least 30 ms).
 * Returns, per label, the median ms per call, the calls per sample and the samples.
 */
export async function roundRobin(contenders, { rounds, targetMs }) {
  const reps = [];
  for (const c of contenders) {
    reps.push(await calibrate(c.sampler, targetMs, c.warmupMs ?? Math.max(30, 3 * targetMs)));
    if (c.settleMs) await sleep(c.settleMs);
  }
  const samples = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + r) % contenders.length;
      samples[i].push((await contenders[i].sampler.sample(reps[i])) / reps[i]);
      if (contenders[i].settleMs) await sleep(contenders[i].settleMs);
    }
  }
  return contenders.map((c, i) => ({ label: c.label, ms: median(samples[i]), best: Math.min(...samples[i]), reps: reps[i], samples: samples[i] }));
}
