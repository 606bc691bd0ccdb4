// The raw ABI of the .wasm module (assembly/index.ts): pointers and element counts.

type Ptr = number;
type Unary = (x: Ptr, y: Ptr, n: number) => void;
type Backward = (x: Ptr, dy: Ptr, dx: Ptr, n: number) => void;
type Binary = (a: Ptr, b: Ptr, y: Ptr, n: number) => void;

export interface KernelExports {
  memory: WebAssembly.Memory;
  RELAXED: WebAssembly.Global;
  /** What the engine's i32x4.relaxed_dot_i8x16_i7x16_add_s computes (assembly/gemm/dot.ts DotMode), probed at instantiation. */
  DOT_MODE: WebAssembly.Global;
  /** The largest inFeatures whose int8 dot products stay exact in int32. */
  INT8_DOT_MAX_K: WebAssembly.Global;
  /** x [rows, K] → int8 q [rows, K] and per row [float32 scale, int32 zero point] (assembly/gemm/quantize.ts). */
  quantizeRows(x: Ptr, rows: number, K: number, q: Ptr, params: Ptr): void;
  alloc(bytes: number): Ptr;
  free(ptr: Ptr): void;
  heapSize(): number;
  setMemoryLimit(bytes: number): void;
  /** Points this instance's n % 4 tail scratch (48 bytes) at ptr: each thread's instance has its own. */
  setTailScratch(ptr: number): void;
  bf16ToF32(src: Ptr, dst: Ptr, n: number): void;
  f16ToF32(src: Ptr, dst: Ptr, n: number): void;
  packedBytes(inFeatures: number, outFeatures: number, dtype: number): number;
  /** transposed: the weight is [inFeatures, outFeatures] (Conv1D) instead of [outFeatures, inFeatures]. */
  /** dtype: a WeightDtype code; returns -1, or the index of the first weight the dtype cannot hold (f16: out of range; int8: not finite). */
  pack(weight: Ptr, bias: Ptr, packed: Ptr, inFeatures: number, outFeatures: number, transposed: boolean, dtype: number): number;
  /** y = act(x·Wᵀ + b) + residual (residual 0: none); scratch: linearScratchBytes(inFeatures, dtype) bytes the call may overwrite (0: x is read in place, slower). */
  linear(x: Ptr, packed: Ptr, y: Ptr, batch: number, inFeatures: number, outFeatures: number, activation: number, param: number, residual: Ptr, scratch: Ptr, dtype: number): void;
  linearScratchBytes(inFeatures: number, dtype: number): number;
  /** h = act(x·Gᵀ + b_g) ⊙ (x·Uᵀ + b_u), packed = gate panels then up panels, y the [gate | up] workspace. */
  gatedLinear(x: Ptr, packed: Ptr, y: Ptr, h: Ptr, batch: number, inFeatures: number, hidden: number, activation: number, param: number, scratch: Ptr, dtype: number): void;
  /** src/saved.ts's checksum of `bytes` bytes (a multiple of 4) at ptr, continuing from seed; unsigned. */
  checksum(ptr: Ptr, bytes: number, seed: number): number;
  add: Binary;
  multiply: Binary;
  /** weight, bias: 0 for none. */
  layerNorm(x: Ptr, y: Ptr, rows: number, n: number, weight: Ptr, bias: Ptr, eps: number): void;
  /** weight: 0 for none; offset 0 (w) or 1 (1 + w). */
  rmsNorm(x: Ptr, y: Ptr, rows: number, n: number, weight: Ptr, eps: number, offset: number): void;
  relu: Unary;
  reluBackward: Backward;
  leakyRelu(x: Ptr, y: Ptr, n: number, slope: number): void;
  leakyReluBackward(x: Ptr, dy: Ptr, dx: Ptr, n: number, slope: number): void;
  gelu: Unary;
  geluBackward: Backward;
  geluTanh: Unary;
  geluTanhBackward: Backward;
  geluErfFast: Unary;
  geluErfFastBackward: Backward;
  gelu10: Unary;
  gelu10Backward: Backward;
  sigmoid: Unary;
  sigmoidBackward: Backward;
  tanh: Unary;
  tanhBackward: Backward;
  silu: Unary;
  siluBackward: Backward;
  quickGelu: Unary;
  quickGeluBackward: Backward;
}
