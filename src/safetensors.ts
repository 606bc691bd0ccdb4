// .safetensors, the format PyTorch and Hugging Face write: an 8-byte little-endian header length,
// a JSON header { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {…} }, then the
// raw little-endian data. The whole header is validated before a byte is copied into WASM memory;
// a tensor is converted to float32 only when it is first asked for, so a checkpoint of many layers
// costs memory only for what is used.
import { describe, isDetached } from './errors.js';
import { type Heap, Tensor } from './memory.js';

/** The dtypes ffwd loads, as float32. */
export type Dtype = 'F32' | 'F16' | 'BF16';
/** Every dtype of the format with its element size: the others (masks, ids) are validated, never loaded. */
const BYTES_PER_ELEMENT: Record<string, number> = {
  F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};
const LOADABLE: readonly string[] = ['F32', 'F16', 'BF16'];

export interface TensorInfo {
  /** As stored: a loadable Dtype or another of the format's dtypes. */
  dtype: string;
  shape: number[];
  /** Byte range inside the data section. */
  begin: number;
  end: number;
}

export interface Header {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Where the data section starts in the file. */
  dataStart: number;
}

const fail = (message: string): never => {
  throw new RangeError(`safetensors: ${message}`);
};

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Parses and checks the header against the file's size; throws a RangeError naming the problem. */
export function parseHeader(bytes: Uint8Array): Header {
  if (bytes.length < 8) fail(`the file has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(`the header length ${headerLength} runs past the end of the file (${bytes.length} bytes)`);
  }
  const dataStart = 8 + Number(headerLength);
  const dataLength = bytes.length - dataStart;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    fail(`the header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('the header is not a JSON object');

  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      const ok = entry !== null && typeof entry === 'object' && Object.values(entry).every((v) => typeof v === 'string');
      if (!ok) fail('__metadata__ must be an object of strings');
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in BYTES_PER_ELEMENT)) {
      fail(`tensor '${name}' has dtype ${JSON.stringify(dtype)}, which is not a safetensors dtype (${Object.keys(BYTES_PER_ELEMENT).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(`tensor '${name}' has no valid shape (a list of counts)`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      fail(`tensor '${name}' has no valid data_offsets ([begin, end])`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end || end > dataLength) {
      fail(`tensor '${name}' has data_offsets [${begin}, ${end}] outside the ${dataLength}-byte data section`);
    }
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = elements * BYTES_PER_ELEMENT[dtype as string];
    if (expected !== end - begin) {
      fail(`tensor '${name}' is ${dtype}[${(shape as number[]).join(', ')}] = ${expected} bytes, but data_offsets span ${end - begin}`);
    }
    tensors.set(name, { dtype: dtype as string, shape: shape as number[], begin, end });
  }
  const ranges = [...tensors].filter(([, t]) => t.end > t.begin).sort(([, a], [, b]) => a.begin - b.begin);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][1].begin < ranges[i - 1][1].end) fail(`tensors '${ranges[i - 1][0]}' and '${ranges[i][0]}' overlap`);
  }
  return { tensors, metadata, dataStart };
}

/**
 * The tensors of one .safetensors file, placed in WASM memory as float32 when first asked for. When the
 * file's bytes already lie in this instance's memory (read into a Tensor's data, say), its 4-byte-aligned
 * F32 tensors are views of them and nothing is copied: they stay valid as long as those bytes do. The
 * file keeps a reference to its bytes until it is freed.
 */
export class SafetensorsFile {
  readonly metadata: Record<string, string>;
  readonly #heap: Heap;
  readonly #infos: Map<string, TensorInfo>;
  readonly #tensors = new Map<string, Tensor>();
  readonly #dataStart: number;
  /** The file's bytes, read afresh when they lie in WASM memory (allocating may grow and detach it). */
  #bytes: (() => Uint8Array) | null;
  /** Where the bytes start in WASM memory, or -1 when they lie elsewhere. */
  readonly #at: number;

  constructor(heap: Heap, source: unknown) {
    heap.checkOpen(); // it allocates nothing until a tensor is asked for, but a closed instance takes no file
    const bytes = toBytes(source);
    const header = parseHeader(bytes);
    this.metadata = header.metadata;
    this.#heap = heap;
    this.#infos = header.tensors;
    this.#dataStart = header.dataStart;
    this.#at = bytes.buffer === heap.buffer ? bytes.byteOffset : -1;
    const { length } = bytes;
    this.#bytes = this.#at < 0 ? () => bytes : () => new Uint8Array(heap.buffer, this.#at, length);
  }

  get names(): string[] {
    return [...this.#infos.keys()];
  }

  /** The float32 Tensor stored under `name`, loaded on first use and owned by the file (freed with it). */
  get(name: string): Tensor {
    let tensor = this.#tensors.get(name);
    if (tensor === undefined) {
      tensor = this.open(name);
      this.#tensors.set(name, tensor);
    }
    return tensor;
  }

  /**
   * A new float32 Tensor of `name` that the caller owns and frees (a view of the bytes where `get`
   * would give one): for loaders that pack a weight and need it no longer.
   */
  open(name: string): Tensor {
    const info = this.#info(name);
    if (!LOADABLE.includes(info.dtype)) {
      throw new RangeError(`safetensors: tensor '${name}' is ${info.dtype}; ffwd loads F32, F16 and BF16 tensors`);
    }
    const start = this.#dataStart + info.begin;
    const n = (info.end - info.begin) / BYTES_PER_ELEMENT[info.dtype];
    if (this.#at >= 0 && info.dtype === 'F32' && (this.#at + start) % 4 === 0) return new Tensor(this.#heap, n, this.#at + start);
    const bytes = this.#bytes!;
    if (isDetached(bytes())) throw new TypeError(`safetensors: the file's bytes were detached (transferred?) before '${name}' was loaded`);
    return load(this.#heap, () => bytes().subarray(start, start + info.end - info.begin), info, n);
  }

  /** Shape and stored dtype of `name`. */
  info(name: string): { shape: number[]; dtype: string } {
    const { shape, dtype } = this.#info(name);
    return { shape: [...shape], dtype };
  }

  has(name: string): boolean {
    return this.#infos.has(name);
  }

  #info(name: string): TensorInfo {
    if (this.#bytes === null) throw new TypeError('safetensors: this file was freed and cannot be used');
    const info = this.#infos.get(name);
    if (info === undefined) {
      throw new RangeError(`safetensors: no tensor named '${name}'; the file has: ${this.names.join(', ') || 'none'}`);
    }
    return info;
  }

  /** Frees the tensors `get` loaded and lets go of the bytes. */
  free(): void {
    for (const tensor of this.#tensors.values()) tensor.free();
    this.#tensors.clear();
    this.#bytes = null;
  }

  [Symbol.dispose](): void {
    this.free();
  }
}

/** The bytes of a file given as a Uint8Array or an ArrayBuffer; `where` names the caller in errors. */
export function toBytes(source: unknown, where = 'safetensors'): Uint8Array {
  if (source instanceof ArrayBuffer) {
    if (isDetached(source)) throw new TypeError(`${where}: bytes is a detached ArrayBuffer (transferred?)`);
    return new Uint8Array(source);
  }
  if (source instanceof Uint8Array) {
    if (isDetached(source)) throw new TypeError(`${where}: bytes is a Uint8Array whose ArrayBuffer is detached`);
    return source;
  }
  throw new TypeError(`${where}: bytes must be a Uint8Array or an ArrayBuffer, got ${describe(source)}`);
}

/** Copies (F32) or widens (F16, BF16) one tensor's bytes, read through `raw()` after allocating. */
function load(heap: Heap, raw: () => Uint8Array, info: TensorInfo, n: number): Tensor {
  const tensor = new Tensor(heap, n);
  if (info.dtype === 'F32') {
    new Uint8Array(heap.buffer, tensor.ptr, n * 4).set(raw());
    return tensor;
  }
  let staging = 0;
  try {
    staging = heap.alloc(n * 2);
    new Uint8Array(heap.buffer, staging, n * 2).set(raw());
    const convert = info.dtype === 'F16' ? heap.exports.f16ToF32 : heap.exports.bf16ToF32;
    convert(staging, tensor.ptr, n);
    return tensor;
  } catch (error) {
    tensor.free();
    throw error;
  } finally {
    if (staging) heap.free(staging);
  }
}
