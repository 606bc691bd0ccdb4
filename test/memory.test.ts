import { describe, expect, it } from 'vitest';
import { init } from '../src/index.node.js';
import { Tensor } from '../src/memory.js';
import { BUILDS, instance } from './builds.js';

// A small deterministic generator, so that failures reproduce.
function random(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe.each(BUILDS)('memory (%s build)', (build) => {
  it('hands out 64-byte-aligned tensors that start zeroed or as a copy', async () => {
    const f = await instance(build);
    for (const n of [0, 1, 3, 17, 1000]) {
      const t = f.tensor(n);
      expect(t.ptr % 64).toBe(0);
      expect(t.data.length).toBe(n);
      expect(t.data.every((v) => v === 0)).toBe(true);
      t.free();
    }
    const c = f.tensor([1.5, -2, 3]);
    expect(Array.from(c.data)).toEqual([1.5, -2, 3]);
    c.free();
  });

  it('copies another Tensor\'s data even when the copy makes memory grow', async () => {
    const f = await init({ build });
    const a = f.tensor(Float32Array.from({ length: 1 << 20 }, (_, i) => i));
    const before = f.heap.buffer;
    const b = f.tensor(a.data); // needs 4 MiB more: memory grows while a.data is the source
    expect(f.heap.buffer).not.toBe(before);
    expect(b.data[(1 << 20) - 1]).toBe((1 << 20) - 1);
    expect(b.ptr).not.toBe(a.ptr);
  });

  it('keeps a Tensor readable after memory grows', async () => {
    const f = await init({ build });
    const held = f.tensor(Float32Array.from({ length: 1000 }, (_, i) => i * 0.5));
    const oldView = held.data;
    const oldBuffer = f.heap.buffer;
    const filler: Tensor[] = [];
    while (f.heap.buffer === oldBuffer) filler.push(f.tensor(1 << 18));
    expect(oldView.length).toBe(0); // the old view detached, as views do on growth...
    expect(held.data.length).toBe(1000); // ...but the Tensor rebuilds its own
    expect(held.data[999]).toBe(499.5);
    expect(Array.from(f.relu(held).data.subarray(0, 3))).toEqual([0, 0.5, 1]);
  });

  it('reuses freed blocks: 100 000 random alloc/free operations stay bounded and leak nothing', async () => {
    const f = await init({ build });
    const next = random(7);
    const live: { t: Tensor; mark: number }[] = [];
    let liveBytes = 0;
    let peakLive = 0;
    for (let op = 0; op < 100_000; op++) {
      if (live.length > 0 && (next() < 0.5 || live.length > 200)) {
        const { t, mark } = live.splice(Math.floor(next() * live.length), 1)[0];
        // Each block still holds what was written to it: no block overlapped another.
        expect(t.data[0] === mark && t.data[t.length - 1] === mark).toBe(true);
        liveBytes -= t.length * 4;
        t.free();
      } else {
        const n = 1 + Math.floor(next() ** 3 * 50_000);
        const t = f.tensor(n);
        const mark = op + 0.5;
        t.data[0] = mark;
        t.data[n - 1] = mark;
        live.push({ t, mark });
        liveBytes += n * 4;
        peakLive = Math.max(peakLive, liveBytes);
      }
    }
    // Bounded: the heap never needs more than a small multiple of the peak of live bytes.
    expect(f.memoryBytes).toBeLessThan(3 * peakLive + (1 << 20));
    for (const { t } of live) t.free();
    expect(f.heap.exports.heapSize()).toBe(0);
  });

  it('throws a RangeError naming the request and the limit when memory runs out, then keeps working', async () => {
    const f = await init({ build, maxMemory: 8 << 20 });
    expect(() => f.tensor(4 << 20)).toThrow(RangeError);
    expect(() => f.tensor(4 << 20)).toThrow(/cannot allocate 16777216 bytes; the memory limit is 8388608 bytes/);
    expect(() => f.relu(new Float32Array(3 << 20))).toThrow(/out of memory/);
    const t = f.tensor([-1, 1]);
    expect(Array.from(f.relu(t).data)).toEqual([0, 1]);
  });

  it('refuses a freed Tensor everywhere; freeing twice is harmless', async () => {
    const f = await instance(build);
    const t = f.tensor(4);
    t.free();
    t.free();
    t[Symbol.dispose]();
    expect(t.freed).toBe(true);
    expect(() => t.data).toThrow(/freed/);
    expect(() => t.ptr).toThrow(TypeError);
    expect(() => f.relu(t)).toThrow(/relu: x is a Tensor that was freed/);
    const live = f.tensor(4);
    expect(() => f.relu(live, t)).toThrow(/relu: out is a Tensor that was freed/);
  });

  it('validates tensor() arguments', async () => {
    const f = await instance(build);
    expect(() => f.tensor(-1)).toThrow(RangeError);
    expect(() => f.tensor(1.5)).toThrow(/length must be an integer, got number 1\.5/);
    expect(() => f.tensor('3' as never)).toThrow(TypeError);
    expect(() => f.tensor(2 ** 31)).toThrow(/length must be between 0 and/);
  });
});
