// Where the elementwise loops (map.ts) and the norms (norm.ts) put an n % 4 tail. Globals are per
// instance while a shared memory is one for every thread, so each worker instance points this at a
// 48-byte block of its own (allocated by the calling thread); the calling thread keeps the static one.

/** map.ts uses the first 32 bytes (two operands), norm.ts the last 16. */
export let tailScratch: usize = memory.data(48, 16);

/** Gives this instance its own tail scratch: 48 bytes, 16-byte aligned, used by no other thread. */
export function setTailScratch(ptr: usize): void {
  tailScratch = ptr;
}
