// Micro-batching: single-row requests gathered into one forward call. A batch runs as soon as it holds
// maxRows rows, or maxWaitMs after its first row arrived, whichever comes first; while it runs (the call
// is synchronous) the next requests queue up and form the next batch. A row's output has the same bits
// whatever batch it runs in, so batching changes the speed, never the answer.

/**
 * @param {{ inFeatures: number, outFeatures: number, run(x: number, y: number, rows: number): void }} block
 *   a FeedForward (its raw-pointer `run`: no copies)
 * @param {import('ffwd').Ffwd} ffwd
 */
export function createBatcher(ffwd, block, { maxRows = 64, maxWaitMs = 1 } = {}) {
  const { inFeatures, outFeatures } = block;
  const x = ffwd.tensor(maxRows * inFeatures);
  const y = ffwd.tensor(maxRows * outFeatures);
  /** @type {{ row: Float32Array, resolve(y: Float32Array): void, reject(e: unknown): void }[]} */
  let queue = [];
  let timer = null;
  const stats = { batches: 0, rows: 0 };

  function flush() {
    clearTimeout(timer);
    timer = null;
    const batch = queue.slice(0, maxRows);
    queue = queue.slice(batch.length);
    if (queue.length > 0) timer = setTimeout(flush, maxWaitMs);
    try {
      const input = x.data;
      batch.forEach(({ row }, r) => input.set(row, r * inFeatures));
      block.run(x.ptr, y.ptr, batch.length);
      const output = y.data;
      batch.forEach(({ resolve }, r) => resolve(output.slice(r * outFeatures, (r + 1) * outFeatures)));
      stats.batches++;
      stats.rows += batch.length;
    } catch (error) {
      for (const { reject } of batch) reject(error);
    }
  }

  return {
    stats,
    /** Resolves with the block's output for one row of inFeatures floats. */
    submit(row) {
      return new Promise((resolve, reject) => {
        queue.push({ row, resolve, reject });
        if (queue.length >= maxRows) flush();
        else timer ??= setTimeout(flush, maxWaitMs);
      });
    },
    close() {
      clearTimeout(timer);
      x.free();
      y.free();
    },
  };
}
