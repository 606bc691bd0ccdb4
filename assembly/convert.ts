// Widening conversions used when loading .safetensors weights stored in half precision.
// Both are exact: every float16 and bfloat16 value is a float32 value.

/** dst[i] = float32(src[i]) for n bfloat16 values: bfloat16 is the upper half of a float32. */
export function bf16ToF32(src: usize, dst: usize, n: i32): void {
  for (let i: usize = 0; i < <usize>n; i++) {
    store<u32>(dst + (i << 2), <u32>load<u16>(src + (i << 1)) << 16);
  }
}

/** dst[i] = float32(src[i]) for n IEEE float16 values, subnormals, infinities and NaN included. */
export function f16ToF32(src: usize, dst: usize, n: i32): void {
  for (let i: usize = 0; i < <usize>n; i++) {
    const h = <u32>load<u16>(src + (i << 1));
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    let bits: u32;
    if (exponent == 0x1f) {
      bits = sign | 0x7f80_0000 | (mantissa << 13); // Inf, or NaN keeping its payload
    } else if (exponent != 0) {
      bits = sign | ((exponent + 112) << 23) | (mantissa << 13); // rebias 15 → 127
    } else {
      // Zero or subnormal: mantissa · 2⁻²⁴ is exact in float32.
      bits = sign | reinterpret<u32>(<f32>mantissa * 5.9604645e-8);
    }
    store<u32>(dst + (i << 2), bits);
  }
}
