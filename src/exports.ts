// The raw ABI of the .wasm module (assembly/index.ts): pointers and element counts.

type Ptr = number;
type Unary = (x: Ptr, y: Ptr, n: number) => void;
type Backward = (x: Ptr, dy: Ptr, dx: Ptr, n: number) => void;

export interface KernelExports {
  memory: WebAssembly.Memory;
  RELAXED: WebAssembly.Global;
  alloc(bytes: number): Ptr;
  free(ptr: Ptr): void;
  heapSize(): number;
  setMemoryLimit(bytes: number): void;
  bf16ToF32(src: Ptr, dst: Ptr, n: number): void;
  f16ToF32(src: Ptr, dst: Ptr, n: number): void;
  packedBytes(inFeatures: number, outFeatures: number): number;
  pack(weight: Ptr, bias: Ptr, packed: Ptr, inFeatures: number, outFeatures: number): void;
  /** scratch: linearScratchBytes(inFeatures) bytes the call may overwrite (0: x is read in place, slower). */
  linear(x: Ptr, packed: Ptr, y: Ptr, batch: number, inFeatures: number, outFeatures: number, activation: number, param: number, scratch?: Ptr): void;
  linearScratchBytes(inFeatures: number): number;
  relu: Unary;
  reluBackward: Backward;
  leakyRelu(x: Ptr, y: Ptr, n: number, slope: number): void;
  leakyReluBackward(x: Ptr, dy: Ptr, dx: Ptr, n: number, slope: number): void;
  gelu: Unary;
  geluBackward: Backward;
  geluTanh: Unary;
  geluTanhBackward: Backward;
  geluFast: Unary;
  geluFastBackward: Backward;
  sigmoid: Unary;
  sigmoidBackward: Backward;
  tanh: Unary;
  tanhBackward: Backward;
  silu: Unary;
  siluBackward: Backward;
  quickGelu: Unary;
  quickGeluBackward: Backward;
}
