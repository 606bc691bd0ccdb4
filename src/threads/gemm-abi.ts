// The GEMM exports as the partitions call them: the only file that knows the argument lists of
// `linear` and `gatedLinear`, and how much scratch a call wants. Each call gets its own scratch (the
// driver writes packed slices of x there), so threads never share one; it is allocated for the
// dispatch and freed after it: a freed block of that size is reused by the next call, so this costs
// next to nothing, and no layer holds scratch between calls.
import type { KernelExports } from '../exports.js';

/** Rows below which the driver reads x in place and needs no scratch (a strip is 4 rows). */
const STRIP = 4;

/** Bytes of scratch a GEMM call of `batch` rows of inF floats wants (0: none). */
export function scratchBytes(exports: KernelExports, batch: number, inF: number): number {
  return batch < STRIP ? 0 : exports.linearScratchBytes(inF) >>> 0;
}

export function linearArgs(
  x: number, packed: number, y: number, batch: number, inF: number, outF: number, act: number, param: number,
  residual: number, scratch: number,
): number[] {
  return [x, packed, y, batch, inF, outF, act, param, residual, scratch];
}

export function gatedLinearArgs(
  x: number, packed: number, y: number, h: number, batch: number, inF: number, hidden: number, act: number,
  param: number, scratch: number,
): number[] {
  return [x, packed, y, h, batch, inF, hidden, act, param, scratch];
}
