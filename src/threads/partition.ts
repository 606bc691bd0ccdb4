// Deterministic partitions: which thread computes which part. They depend only on the shape and the
// number of threads (never on timing) and never split a dot product (K), so every output is computed
// by exactly the code that computes it on one thread: the bits are the same.

export interface Range {
  start: number;
  count: number;
}

/**
 * `total` units cut into at most `parts` contiguous ranges of whole `grain`s (the last range takes
 * what is left of a partial grain), as equal as the grains allow, larger ones first; no empty range.
 */
export function split(total: number, parts: number, grain = 1): Range[] {
  const grains = Math.ceil(total / grain);
  const per = Math.floor(grains / parts);
  const extra = grains % parts;
  const ranges: Range[] = [];
  let start = 0;
  for (let i = 0; i < parts && start < total; i++) {
    const count = Math.min(total - start, (per + (i < extra ? 1 : 0)) * grain);
    if (count > 0) ranges.push({ start, count });
    start += count;
  }
  return ranges;
}

/**
 * `total` units as shares for `parts` threads: `split` into parts runs, each run cut into at most
 * `shares` contiguous shares of whole grains that halve in size (the last two equal: 8, 4, 2, 2
 * grains of 16). A thread claims its own run's large shares first, and the small ones left at the
 * end even out when the threads finish; equal shares left a thread idle for up to a share's time.
 */
export function taper(total: number, parts: number, shares: number, grain = 1): Range[] {
  const ranges: Range[] = [];
  for (const run of split(total, parts, grain)) {
    let start = run.start;
    let left = run.count;
    for (let i = 0; i < shares && left > 0; i++) {
      const grains = Math.ceil(left / grain);
      const count = Math.min(left, (i === shares - 1 ? grains : Math.ceil(grains / 2)) * grain);
      ranges.push({ start, count });
      start += count;
      left -= count;
    }
  }
  return ranges;
}
