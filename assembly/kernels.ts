// The exported elementwise kernels: each activation's forward and backward loop over n floats.
import { mapBackward, mapBinary, mapForward, mapForwardSplit } from './map';
import { Gelu, Gelu10, GeluErfFast, GeluTanh, LeakyRelu, QuickGelu, Relu, Sigmoid, Silu, Tanh, ZERO } from './activations';

export function relu(x: usize, y: usize, n: i32): void { mapForward<Relu>(x, y, n, ZERO); }
export function reluBackward(x: usize, dy: usize, dx: usize, n: i32): void { mapBackward<Relu>(x, dy, dx, n, ZERO); }
export function leakyRelu(x: usize, y: usize, n: i32, slope: f32): void {
  mapForward<LeakyRelu>(x, y, n, f32x4.splat(slope));
}
export function leakyReluBackward(x: usize, dy: usize, dx: usize, n: i32, slope: f32): void {
  mapBackward<LeakyRelu>(x, dy, dx, n, f32x4.splat(slope));
}

export function gelu(x: usize, y: usize, n: i32): void { mapForwardSplit<Gelu>(x, y, n, ZERO); }
export function geluBackward(x: usize, dy: usize, dx: usize, n: i32): void { mapBackward<Gelu>(x, dy, dx, n, ZERO); }
export function gelu10(x: usize, y: usize, n: i32): void { mapForwardSplit<Gelu10>(x, y, n, ZERO); }
export function gelu10Backward(x: usize, dy: usize, dx: usize, n: i32): void { mapBackward<Gelu10>(x, dy, dx, n, ZERO); }
export function geluTanh(x: usize, y: usize, n: i32): void { mapForwardSplit<GeluTanh>(x, y, n, ZERO); }
export function geluTanhBackward(x: usize, dy: usize, dx: usize, n: i32): void { mapBackward<GeluTanh>(x, dy, dx, n, ZERO); }
export function geluErfFast(x: usize, y: usize, n: i32): void { mapForward<GeluErfFast>(x, y, n, ZERO); }
export function geluErfFastBackward(x: usize, dy: usize, dx: usize, n: i32): void { mapBackward<GeluErfFast>(x, dy, dx, n, ZERO); }
export function sigmoid(x: usize, y: usize, n: i32): void { mapForward<Sigmoid>(x, y, n, ZERO); }
export function sigmoidBackward(x: usize, dy: usize, dx: usize, n: i32): void { mapBackward<Sigmoid>(x, dy, dx, n, ZERO); }
export function tanh(x: usize, y: usize, n: i32): void { mapForward<Tanh>(x, y, n, ZERO); }
export function tanhBackward(x: usize, dy: usize, dx: usize, n: i32): void { mapBackward<Tanh>(x, dy, dx, n, ZERO); }
export function silu(x: usize, y: usize, n: i32): void { mapForward<Silu>(x, y, n, ZERO); }
export function siluBackward(x: usize, dy: usize, dx: usize, n: i32): void { mapBackward<Silu>(x, dy, dx, n, ZERO); }
export function quickGelu(x: usize, y: usize, n: i32): void { mapForward<QuickGelu>(x, y, n, ZERO); }
export function quickGeluBackward(x: usize, dy: usize, dx: usize, n: i32): void { mapBackward<QuickGelu>(x, dy, dx, n, ZERO); }

// Elementwise arithmetic, for the GEMM epilogue (residuals, gating) and for layers that combine rows.
@final @unmanaged class Sum {
  @inline combine(a: v128, b: v128, p: v128): v128 { return f32x4.add(a, b); }
}
@final @unmanaged class Product {
  @inline combine(a: v128, b: v128, p: v128): v128 { return f32x4.mul(a, b); }
}
export function add(a: usize, b: usize, y: usize, n: i32): void { mapBinary<Sum>(a, b, y, n, ZERO); }
export function multiply(a: usize, b: usize, y: usize, n: i32): void { mapBinary<Product>(a, b, y, n, ZERO); }
