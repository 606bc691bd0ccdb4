// Types for golden.js: the PyTorch golden vectors in test/golden/.

export interface GoldenFloat32 {
  file: string;
  dtype: 'float32';
  shape: number[];
  bytes: number;
  description: string;
  [extra: string]: unknown;
}

export interface GoldenSafetensors {
  file: string;
  dtype: 'safetensors';
  tensors: Record<string, { dtype: 'F32' | 'F16' | 'BF16'; shape: number[] }>;
  bytes: number;
  description: string;
  [extra: string]: unknown;
}

export interface GoldenManifest {
  generator: string;
  torch: string;
  python: string;
  numpy: string;
  cpu_capability: string | null;
  machine: string;
  byte_order: 'little-endian';
  notes: string[];
  files: Record<string, GoldenFloat32 | GoldenSafetensors>;
  observed_semantics: Record<string, unknown>;
}

export const manifest: GoldenManifest;
/** Absolute path of a golden file by manifest name. */
export function goldenPath(name: string): string;
/** Raw bytes of a golden file (e.g. a .safetensors). */
export function loadGoldenBytes(name: string): Uint8Array;
/** A float32 golden vector by manifest name, e.g. loadGolden('act_gelu_y'). */
export function loadGolden(name: string): Float32Array;
