// The one place where the two builds differ: a multiply-add that the relaxed build may fuse.
// The simd build rounds twice and is bit-reproducible on every engine.

@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** 1 when this module was built with relaxed SIMD. */
export const RELAXED: i32 = ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
