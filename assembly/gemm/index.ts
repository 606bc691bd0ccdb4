// The GEMM's exported ABI: pack a weight once, then run linear layers on it.
export { pack, packedBytes } from './pack';
export { gatedLinear, linear, linearScratchBytes } from './driver';
export { DOT_MODE, DotMode } from './dot';
export { MAX_K as INT8_DOT_MAX_K } from './integer';
export { quantizeRows } from './quantize';
