// Moving f32x4 lanes to and from float64: the accurate paths evaluate in two f64x2 halves, and the
// single rounding back to float32 happens in `narrow`.

/** Lanes 0 and 1 of an f32x4 as f64x2 (exact). */
@inline export function lo64(v: v128): v128 { return f64x2.promote_low_f32x4(v); }

/** Lanes 2 and 3 of an f32x4 as f64x2 (exact). */
@inline export function hi64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Two f64x2 halves rounded once to one f32x4 (lo → lanes 0, 1; hi → lanes 2, 3). */
@inline export function narrow(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}
