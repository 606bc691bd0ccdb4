// The GEMM exports as the partitions call them: the only file that knows the argument lists of
// `linear` and `gatedLinear`, how much scratch a call wants and how far apart panels lie. Each call
// gets its own scratch (the driver writes packed slices of x there, and for 16-bit weights a widened
// panel block), so threads never share one; it is allocated for the dispatch and freed after it: a
// freed block of that size is reused by the next call, so this costs next to nothing, and no layer
// holds scratch between calls.
import type { KernelExports } from '../exports.js';

/** Rows below which the driver reads x in place and needs no scratch (a strip is 4 rows). */
const STRIP = 4;

/** Output columns per panel. */
export const NR = 8;

/** Bytes of scratch a GEMM call of `batch` rows of inF floats over `dtype` panels wants (0: none). */
export function scratchBytes(exports: KernelExports, batch: number, inF: number, dtype: number): number {
  // integer dot products quantise x into the scratch, so they want one at every batch
  const int8Dot = (exports as unknown as Record<string, WebAssembly.Global>)['WeightDtype.INT8_DOT'].value;
  return batch < STRIP && dtype !== int8Dot ? 0 : exports.linearScratchBytes(inF, dtype) >>> 0;
}

/** Bytes from one panel (NR output columns) to the next in `dtype` panels of rows of inF. */
export function panelStride(exports: KernelExports, inF: number, dtype: number): number {
  return exports.packedBytes(inF, NR, dtype) >>> 0;
}

export function linearArgs(
  x: number, packed: number, y: number, batch: number, inF: number, outF: number, act: number, param: number,
  residual: number, scratch: number, dtype: number,
): number[] {
  return [x, packed, y, batch, inF, outF, act, param, residual, scratch, dtype];
}

export function gatedLinearArgs(
  x: number, packed: number, y: number, h: number, batch: number, inF: number, hidden: number, act: number,
  param: number, scratch: number, dtype: number,
): number[] {
  return [x, packed, y, h, batch, inF, hidden, act, param, scratch, dtype];
}
