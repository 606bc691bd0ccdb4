// The module's ABI: pointers and element counts in, nothing else. Only re-exports live here.
export { alloc, free, heapSize, setMemoryLimit } from './memory';
export { RELAXED } from './simd';
export { Activation } from './activations';
export { WeightDtype } from './gemm/weights';
export * from './kernels';
export { bf16ToF32, f16ToF32 } from './convert';
export { gatedLinear, linear, linearScratchBytes, pack, packedBytes } from './gemm/index';
export { DOT_MODE, DotMode, INT8_DOT_MAX_K, quantizeRows } from './gemm/index';
export { layerNorm, rmsNorm } from './norm';
export { setTailScratch } from './scratch';
export { checksum } from './checksum';
