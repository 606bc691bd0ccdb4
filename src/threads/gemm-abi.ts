// The GEMM exports as the partitions call them: the only file that knows the argument lists of
// `linear` and `gatedLinear`. The driver of this branch keeps one static 64 KiB scratch for packed
// rows of x, so two threads must not run a packed call at once: such calls are serialised (they
// still run their own range, so the bits tested are those of the parallel partition). When the
// per-call scratch lands (linear(…, residual, scratch), gatedLinear(…, param, scratch),
// linearScratchBytes(inF)), pass `scratch` below, return the export from scratchBytes and drop
// usesSharedScratch with the serialisation.
import type { KernelExports } from '../exports.js';

/** Longest row the driver packs into its scratch (16·K bytes per strip of 4 rows in 64 KiB). */
const PACKED_MAX_K = 4096;

/** Whether a GEMM call of `batch` rows packs x into the driver's static scratch. */
export function usesSharedScratch(batch: number, inF: number): boolean {
  return batch >= 4 && inF <= PACKED_MAX_K;
}

/** Bytes of per-thread scratch a GEMM over rows of inF floats wants (0: none on this ABI). */
export function scratchBytes(_exports: KernelExports, _inF: number): number {
  return 0;
}

export function linearArgs(
  x: number, packed: number, y: number, batch: number, inF: number, outF: number, act: number, param: number,
  residual: number, _scratch: number,
): number[] {
  return [x, packed, y, batch, inF, outF, act, param, residual];
}

export function gatedLinearArgs(
  x: number, packed: number, y: number, h: number, batch: number, inF: number, hidden: number, act: number,
  param: number, _scratch: number,
): number[] {
  return [x, packed, y, h, batch, inF, hidden, act, param];
}
