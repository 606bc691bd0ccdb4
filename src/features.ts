// Feature probes: the smallest modules that use one SIMD128 instruction, and the relaxed-SIMD ones.
// `WebAssembly.validate` compiles nothing, so it is allowed in edge workers too.

/** (func (drop (i8x16.splat (i32.const 0)))) */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11,
]);

const ZERO_V128 = [253, 12, ...new Array<number>(16).fill(0)]; // v128.const 0

/**
 * (func (drop (f32x4.relaxed_madd 0 0 0)) (drop (i32x4.relaxed_dot_i8x16_i7x16_add_s 0 0 0))): the
 * relaxed build uses both, and an engine may validate one without the other (JavaScriptCore's
 * relaxed SIMD has relaxed_madd but not the dot product).
 */
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 120, 1, 118, 0,
  ...ZERO_V128, ...ZERO_V128, ...ZERO_V128, 253, 133, 2, 26,
  ...ZERO_V128, ...ZERO_V128, ...ZERO_V128, 253, 147, 2, 26,
  11,
]);

export function hasSimd(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}
