// Types for ulp.js: float32 ulp distances and sampled test inputs (see ulp.js for conventions).

export interface UlpOptions {
  /** Count +0 against -0 as Infinity instead of 0. Default false. */
  signedZeros?: boolean;
}

/** The uint32 bit pattern of Math.fround(x). */
export function f32Bits(x: number): number;
/** The float32 value with the given uint32 bit pattern. */
export function f32FromBits(bits: number): number;
/** Ordered integer of Math.fround(x): monotonic, ±0 → 0, NaN → NaN. */
export function f32Ordered(x: number): number;
/** The float32 `steps` places from Math.fround(x) (positive: towards +∞); default 1. */
export function f32Step(x: number, steps?: number): number;
/** Distance in float32 ulps between Math.fround(a) and Math.fround(b). */
export function ulpDistance(a: number, b: number, options?: UlpOptions): number;
/** ulpDistance(actual, Math.fround(exact)): the error of a float32 result against a float64 reference. */
export function ulpError(actual: number, exact: number, options?: UlpOptions): number;

export interface MaxUlpError {
  /** The largest error in ulps (0 for empty arrays). */
  max: number;
  /** Where it occurs (first occurrence), -1 for empty arrays. */
  index: number;
  actual: number;
  exact: number;
}
/** The largest ulpError over two arrays of the same length (RangeError otherwise). */
export function maxUlpError(
  actual: ArrayLike<number>,
  exact: ArrayLike<number>,
  options?: UlpOptions,
): MaxUlpError;

/** About 150k deterministic float32 test inputs (specials, every exponent, dense grids); a fresh copy per call. */
export function sampleInputs(): Float32Array;
