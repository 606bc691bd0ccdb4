// Types for math.js: float64 reference functions (see math.js for accuracy and conventions).

/** The error function (W. J. Cody's rational Chebyshev approximations). */
export function erf(x: number): number;
/** The complementary error function, relatively accurate up to x ≈ 26.5. */
export function erfc(x: number): number;
/** Standard normal CDF, erfc(-x/√2)/2, relatively accurate on the negative tail. */
export function Phi(x: number): number;
/** Standard normal density exp(-x²/2)/√(2π). */
export function phi(x: number): number;

/** x·Φ(x) (PyTorch gelu, approximate='none'). */
export function gelu(x: number): number;
/** Φ(x) + x·φ(x). */
export function geluDerivative(x: number): number;
/** 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) (PyTorch gelu, approximate='tanh'). */
export function geluTanh(x: number): number;
export function geluTanhDerivative(x: number): number;
/** 1/(1 + e^{-x}). */
export function sigmoid(x: number): number;
/** σ(x)·σ(-x). */
export function sigmoidDerivative(x: number): number;
export function tanh(x: number): number;
/** 1 - tanh²(x), without cancellation. */
export function tanhDerivative(x: number): number;
/** x·σ(x). */
export function silu(x: number): number;
export function siluDerivative(x: number): number;
/** x·σ(1.702x). */
export function quickGelu(x: number): number;
export function quickGeluDerivative(x: number): number;
/** x > 0 ? x : 0, with relu(-0) = -0 and relu(NaN) = NaN. */
export function relu(x: number): number;
/** x > 0 ? 1 : 0 (0 at ±0), NaN at NaN. */
export function reluDerivative(x: number): number;
/** x > 0 ? x : slope·x (slope defaults to 0.01). */
export function leakyRelu(x: number, slope?: number): number;
/** x > 0 ? 1 : slope (slope at ±0), NaN at NaN. */
export function leakyReluDerivative(x: number, slope?: number): number;

/** clip(gelu(x), −10, 10), Hugging Face's gelu_10. */
export function gelu10(x: number): number;
/** gelu′(x) inside the clip, else 0. */
export function gelu10Derivative(x: number): number;

export type ActivationId =
  | 'gelu'
  | 'gelu_erf_fast'
  | 'gelu_10'
  | 'gelu_tanh'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'silu'
  | 'quick_gelu';

export interface ReferenceActivation {
  /** f(x); leaky_relu takes the slope as the second argument. */
  readonly forward: (x: number, slope?: number) => number;
  /** f'(x); leaky_relu takes the slope as the second argument. */
  readonly derivative: (x: number, slope?: number) => number;
}

/** Forward and derivative by PyTorch string id (gelu_erf_fast's reference is gelu). */
export const ACTIVATIONS: Readonly<Record<ActivationId, ReferenceActivation>>;
