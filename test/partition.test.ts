// The ranges threads get: contiguous, covering everything once, whole grains, as equal as grains allow.
import { describe, expect, it } from 'vitest';
import { split } from '../src/threads/partition.js';

describe('split', () => {
  it.each([
    [10, 2, 1, [[0, 5], [5, 5]]],
    [13, 3, 4, [[0, 8], [8, 4], [12, 1]]],
    [8, 2, 4, [[0, 4], [4, 4]]],
    [5, 4, 4, [[0, 4], [4, 1]]],
    [3, 8, 1, [[0, 1], [1, 1], [2, 1]]],
    [100_003, 2, 16, [[0, 50_016], [50_016, 49_987]]],
    [0, 3, 1, []],
  ])('split(%i, %i, %i)', (total, parts, grain, want) => {
    expect(split(total, parts, grain).map(({ start, count }) => [start, count])).toEqual(want);
  });

  it('covers every unit once, in at most `parts` ranges of whole grains but the last', () => {
    for (const total of [1, 7, 64, 1001]) {
      for (const parts of [1, 2, 3, 8]) {
        for (const grain of [1, 3, 4, 16]) {
          const ranges = split(total, parts, grain);
          expect(ranges.length).toBeLessThanOrEqual(parts);
          let next = 0;
          ranges.forEach(({ start, count }, i) => {
            expect(start).toBe(next);
            expect(count).toBeGreaterThan(0);
            if (i < ranges.length - 1) expect(count % grain).toBe(0);
            next += count;
          });
          expect(next).toBe(total);
        }
      }
    }
  });
});
