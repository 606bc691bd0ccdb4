// Forward and backward kernels. Each activation is a field-less class with `forward(x, p)` and
// `backward(x, dy, p)` on f32x4 lanes (`p` carries a runtime parameter, e.g. the leaky slope);
// the loops live in map.ts and are instantiated once per activation below.
import { mapForward, mapBackward } from './map';

const ZERO = f32x4.splat(0);

@final @unmanaged class Relu {
  // max(x, 0): NaN stays NaN and -0 becomes +0, exactly as Math.max(x, 0).
  @inline forward(x: v128, p: v128): v128 { return f32x4.max(x, ZERO); }
  // PyTorch's convention: the gradient at 0 is 0 (mask x > 0); NaN in x gives 0·dy... see README.
  @inline backward(x: v128, dy: v128, p: v128): v128 { return v128.and(dy, f32x4.gt(x, ZERO)); }
}

@final @unmanaged class LeakyRelu {
  // x > 0 ? x : x·slope, so -0 stays -0 and NaN stays NaN.
  @inline forward(x: v128, slope: v128): v128 {
    return v128.bitselect(x, f32x4.mul(x, slope), f32x4.gt(x, ZERO));
  }
  @inline backward(x: v128, dy: v128, slope: v128): v128 {
    return v128.bitselect(dy, f32x4.mul(dy, slope), f32x4.gt(x, ZERO));
  }
}

export function relu(x: usize, y: usize, n: i32): void { mapForward<Relu>(x, y, n, ZERO); }
export function reluBackward(x: usize, dy: usize, dx: usize, n: i32): void { mapBackward<Relu>(x, dy, dx, n, ZERO); }
export function leakyRelu(x: usize, y: usize, n: i32, slope: f32): void {
  mapForward<LeakyRelu>(x, y, n, f32x4.splat(slope));
}
export function leakyReluBackward(x: usize, dy: usize, dx: usize, n: i32, slope: f32): void {
  mapBackward<LeakyRelu>(x, dy, dx, n, f32x4.splat(slope));
}
