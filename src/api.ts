// What every platform entry exports besides its own `init`.
export { Ffwd, DEFAULT_MAX_MEMORY, type InitOptions } from './ffwd.js';
export { Tensor, MAX_ELEMENTS } from './memory.js';
export { ACTIVATIONS, type ActivationId, type ActivationName } from './activations.js';
export type { Build, ModuleSource } from './runtime.js';
export { hasRelaxedSimd, hasSimd } from './features.js';
export { Linear, WEIGHT_DTYPES, type LayerDtype, type Layout, type LinearOptions, type WeightDtype } from './linear.js';
export { Norm, DEFAULT_EPS, type LayerNormOptions, type NormKind, type NormOptions, type NormSpec, type RmsNormOptions } from './norm.js';
export type { Weights } from './weights.js';
export { Sequential, type LayerSpec } from './sequential.js';
export { FeedForward, type FeedForwardOptions, type SublayerNorm, type Wiring } from './feedforward.js';
export { GatedLinear, type GatedLinearOptions, type ProjectionOptions } from './gated.js';
export { FAMILIES } from './pretrained/families.js';
export type { PretrainedOptions, ProjectionNames, SafetensorsOptions } from './pretrained/index.js';
export type { CheckpointFiles } from './pretrained/checkpoint.js';
export { SafetensorsFile, type Dtype } from './safetensors.js';
export { FORMAT, FORMAT_VERSION, type SavedLayer } from './saved.js';
