// Feature probes: the smallest modules that use one SIMD128 and one relaxed-SIMD instruction.
// `WebAssembly.validate` compiles nothing, so it is allowed in edge workers too.

/** (func (drop (i8x16.splat (i32.const 0)))) */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11,
]);

/** (func (drop (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))) */
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 62, 1, 60, 0,
  253, 12, ...new Array<number>(16).fill(0),
  253, 12, ...new Array<number>(16).fill(0),
  253, 12, ...new Array<number>(16).fill(0),
  253, 133, 2, 26, 11,
]);

export function hasSimd(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}
