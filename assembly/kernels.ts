// The exported elementwise kernels: each activation's forward and backward loop over n floats.
import { mapBackward, mapForward } from './map';
import { LeakyRelu, Relu, ZERO } from './activations';

export function relu(x: usize, y: usize, n: i32): void { mapForward<Relu>(x, y, n, ZERO); }
export function reluBackward(x: usize, dy: usize, dx: usize, n: i32): void { mapBackward<Relu>(x, dy, dx, n, ZERO); }
export function leakyRelu(x: usize, y: usize, n: i32, slope: f32): void {
  mapForward<LeakyRelu>(x, y, n, f32x4.splat(slope));
}
export function leakyReluBackward(x: usize, dy: usize, dx: usize, n: i32, slope: f32): void {
  mapBackward<LeakyRelu>(x, dy, dx, n, f32x4.splat(slope));
}
