// A boundary-tag allocator over the module's linear memory.
//
// Every block starts with a 64-byte header unit, so payloads are 64-byte aligned (one cache line, and
// the alignment the GEMM panels want). Free neighbours are merged at once and a free block at the top
// of the heap is given back to the bump region, so any alloc/free order leaves memory bounded by the
// peak of live bytes plus fragmentation between live blocks. Growth is checked: alloc returns 0 instead
// of trapping, and the TypeScript layer turns that into a RangeError.
//
// Header (at block start):  +0 size in bytes incl. header | USED bit, +4 size of the physically
// previous block (0 for the first), +8 next free block, +12 previous free block (0 ends the list).

const UNIT: usize = 64;
const USED: u32 = 1;
const PAGE: usize = 65536;

let heapStart: usize = (__heap_base + UNIT - 1) & ~(UNIT - 1);
let top: usize = heapStart; // end of the last block; everything above is unused
let lastSize: u32 = 0; // size of the block that ends at `top`
let freeHead: usize = 0;
let limitPages: i32 = 65536;

@inline function sizeOf(b: usize): u32 { return load<u32>(b) & ~USED; }
@inline function isFree(b: usize): bool { return (load<u32>(b) & USED) == 0; }
@inline function prevSize(b: usize): u32 { return load<u32>(b, 4); }
@inline function nextFree(b: usize): usize { return load<u32>(b, 8); }
@inline function prevFree(b: usize): usize { return load<u32>(b, 12); }

function unlink(b: usize): void {
  const next = nextFree(b);
  const prev = prevFree(b);
  if (prev) store<u32>(prev, next, 8); else freeHead = next;
  if (next) store<u32>(next, prev, 12);
}

function pushFree(b: usize, size: u32): void {
  store<u32>(b, size);
  store<u32>(b, freeHead, 8);
  store<u32>(b, 0, 12);
  if (freeHead) store<u32>(freeHead, b, 12);
  freeHead = b;
  store<u32>(b + size, size, 4); // tell the next block how far back this one starts
}

/** Sets the most linear memory the allocator may grow to, in bytes (rounded down to pages). */
export function setMemoryLimit(bytes: f64): void {
  limitPages = <i32>Math.min(65536, Math.floor(bytes / <f64>PAGE));
}

/** Returns a 64-byte-aligned block of at least `bytes` bytes, or 0 when memory may not grow enough. */
export function alloc(bytes: usize): usize {
  if (bytes > 0xF000_0000) return 0;
  const need = <u32>(((bytes + UNIT - 1) & ~(UNIT - 1)) + UNIT);

  // Best fit among the free blocks.
  let best: usize = 0;
  let bestSize: u32 = 0xFFFF_FFFF;
  for (let b = freeHead; b; b = nextFree(b)) {
    const s = sizeOf(b);
    if (s >= need && s < bestSize) { best = b; bestSize = s; if (s == need) break; }
  }
  if (best) {
    unlink(best);
    if (bestSize - need >= 2 * <u32>UNIT) {
      pushFree(best + need, bestSize - need);
      store<u32>(best + need, need, 4);
      bestSize = need;
    }
    store<u32>(best, bestSize | USED);
    return best + UNIT;
  }

  // Nothing fits: carve from the top, growing memory within the limit.
  const b = top;
  const end = <u64>b + need; // 64-bit: a request near 4 GiB must not wrap
  const pages = <i32>memory.size();
  const want = <i32>((end + PAGE - 1) / PAGE);
  if (want > pages && (want > limitPages || memory.grow(want - pages) < 0)) return 0;
  store<u32>(b, need | USED);
  store<u32>(b, lastSize, 4);
  top = <usize>end;
  lastSize = need;
  return b + UNIT;
}

/** Frees a block returned by alloc. The TypeScript layer guarantees it is live and freed once. */
export function free(ptr: usize): void {
  let b = ptr - UNIT;
  let size = sizeOf(b);
  const next = b + size;
  if (next < top && isFree(next)) { unlink(next); size += sizeOf(next); }
  const before = prevSize(b);
  if (before && isFree(b - before)) { b -= before; unlink(b); size += before; }
  if (b + size == top) {
    top = b;
    lastSize = prevSize(b);
  } else {
    pushFree(b, size);
  }
}

/** Bytes between the heap start and the top of the highest block: what the allocator holds. */
export function heapSize(): usize { return top - heapStart; }
