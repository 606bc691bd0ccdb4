// What every platform entry exports besides its own `init`.
export { Ffwd, DEFAULT_MAX_MEMORY, type InitOptions } from './ffwd.js';
export { Tensor, MAX_ELEMENTS } from './memory.js';
export { ACTIVATIONS, type ActivationId, type ActivationName } from './activations.js';
export type { Build, ModuleSource } from './runtime.js';
export { hasRelaxedSimd, hasSimd } from './features.js';
export { Linear, type LinearOptions } from './linear.js';
export { Norm, DEFAULT_EPS, type LayerNormOptions, type NormKind, type NormOptions, type NormSpec, type RmsNormOptions } from './norm.js';
export type { Weights } from './weights.js';
export { FeedForward, Sequential, type FeedForwardOptions, type LayerSpec } from './sequential.js';
export { SafetensorsFile, type Dtype } from './safetensors.js';
