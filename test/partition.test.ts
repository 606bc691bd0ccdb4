// The ranges threads get: contiguous, covering everything once, whole grains, as equal as grains allow.
import { describe, expect, it } from 'vitest';
import { type Range, split, taper } from '../src/threads/partition.js';

/** Contiguous from 0 to total, no empty range, whole grains but the last. */
function expectCover(ranges: Range[], total: number, grain: number): void {
  let next = 0;
  ranges.forEach(({ start, count }, i) => {
    expect(start).toBe(next);
    expect(count).toBeGreaterThan(0);
    if (i < ranges.length - 1) expect(count % grain).toBe(0);
    next += count;
  });
  expect(next).toBe(total);
}

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
          expectCover(ranges, total, grain);
        }
      }
    }
  });
});

describe('taper', () => {
  it.each([
    [128, 2, 4, 4, [[0, 32], [32, 16], [48, 8], [56, 8], [64, 32], [96, 16], [112, 8], [120, 8]]],
    [32, 2, 4, 4, [[0, 8], [8, 4], [12, 4], [16, 8], [24, 4], [28, 4]]],
    [10, 1, 4, 1, [[0, 5], [5, 3], [8, 1], [9, 1]]],
    [6, 2, 4, 4, [[0, 4], [4, 2]]],
    [0, 2, 4, 4, []],
  ])('taper(%i, %i, %i, %i)', (total, parts, shares, grain, want) => {
    expect(taper(total, parts, shares, grain).map(({ start, count }) => [start, count])).toEqual(want);
  });

  it('covers every unit once in whole grains, each run of split cut into at most `shares` non-increasing shares', () => {
    for (const total of [1, 7, 64, 1001, 100_003]) {
      for (const parts of [1, 2, 3, 8]) {
        for (const grain of [1, 3, 4, 16]) {
          const ranges = taper(total, parts, 4, grain);
          expectCover(ranges, total, grain);
          for (const run of split(total, parts, grain)) {
            const inRun = ranges.filter(({ start }) => start >= run.start && start < run.start + run.count);
            expect(inRun.length).toBeGreaterThan(0);
            expect(inRun.length).toBeLessThanOrEqual(4);
            expect(inRun.at(-1)!.start + inRun.at(-1)!.count).toBe(run.start + run.count);
            for (let i = 1; i < inRun.length; i++) expect(inRun[i].count).toBeLessThanOrEqual(inRun[i - 1].count);
          }
        }
      }
    }
  });
});
