// The one place where the two builds differ: a multiply-add that the relaxed build may fuse.
// The simd build rounds twice and is bit-reproducible on every engine.

@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c - a·b, fused in the relaxed build like madd. */
@inline export function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

/** The same on f64x2 lanes (the accurate paths of the activations evaluate in float64). */
@inline export function madd64(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/** 1 when this module was built with relaxed SIMD. */
export const RELAXED: i32 = ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
