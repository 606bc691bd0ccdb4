// The GEMM's exported ABI: pack a weight once, then run linear layers on it.
export { pack, packedBytes } from './pack';
export { gatedLinear, linear, linearScratchBytes } from './driver';
