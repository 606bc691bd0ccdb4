// .safetensors, the format PyTorch and Hugging Face write: an 8-byte little-endian header length,
// a JSON header { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {…} }, then the
// raw little-endian data. Everything is validated before a byte is copied into WASM memory.
import { describe, isDetached } from './errors.js';
import { type Heap, Tensor } from './memory.js';

export type Dtype = 'F32' | 'F16' | 'BF16';
const BYTES_PER_ELEMENT: Record<Dtype, number> = { F32: 4, F16: 2, BF16: 2 };

export interface TensorInfo {
  dtype: Dtype;
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
      fail(`tensor '${name}' has dtype ${JSON.stringify(dtype)}; supported: F32, F16, BF16`);
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
    const expected = elements * BYTES_PER_ELEMENT[dtype as Dtype];
    if (expected !== end - begin) {
      fail(`tensor '${name}' is ${dtype}[${(shape as number[]).join(', ')}] = ${expected} bytes, but data_offsets span ${end - begin}`);
    }
    tensors.set(name, { dtype: dtype as Dtype, shape: shape as number[], begin, end });
  }
  const ranges = [...tensors].filter(([, t]) => t.end > t.begin).sort(([, a], [, b]) => a.begin - b.begin);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][1].begin < ranges[i - 1][1].end) fail(`tensors '${ranges[i - 1][0]}' and '${ranges[i][0]}' overlap`);
  }
  return { tensors, metadata, dataStart };
}

/**
 * The tensors of one .safetensors file, converted to float32 and placed in WASM memory. When the file's
 * bytes already lie in this instance's memory (read into a Tensor's data, say), its 4-byte-aligned F32
 * tensors are views of them and nothing is copied: they stay valid as long as those bytes do.
 */
export class SafetensorsFile {
  readonly metadata: Record<string, string>;
  readonly #infos: Map<string, TensorInfo>;
  readonly #tensors = new Map<string, Tensor>();

  constructor(heap: Heap, source: unknown) {
    const bytes = toBytes(source);
    const header = parseHeader(bytes);
    this.metadata = header.metadata;
    this.#infos = header.tensors;
    // Bytes inside this instance's memory: their address, and a fresh view after any allocation
    // (which may grow memory and detach the old one).
    const at = bytes.buffer === heap.buffer ? bytes.byteOffset : -1;
    const length = bytes.length;
    const current = () => (at < 0 ? bytes : new Uint8Array(heap.buffer, at, length));
    try {
      for (const [name, info] of header.tensors) {
        const start = header.dataStart + info.begin;
        const n = (info.end - info.begin) / BYTES_PER_ELEMENT[info.dtype];
        const inPlace = at >= 0 && info.dtype === 'F32' && (at + start) % 4 === 0;
        this.#tensors.set(name, inPlace ? new Tensor(heap, n, at + start) : load(heap, () => current().subarray(start, start + info.end - info.begin), info, n));
      }
    } catch (error) {
      this.free();
      throw error;
    }
  }

  get names(): string[] {
    return [...this.#infos.keys()];
  }

  /** The float32 Tensor stored under `name` (owned by the file: freed with it). */
  get(name: string): Tensor {
    const tensor = this.#tensors.get(name);
    if (tensor === undefined) {
      throw new RangeError(`safetensors: no tensor named '${name}'; the file has: ${this.names.join(', ') || 'none'}`);
    }
    return tensor;
  }

  /** Shape and stored dtype of `name`. */
  info(name: string): { shape: number[]; dtype: Dtype } {
    this.get(name);
    const { shape, dtype } = this.#infos.get(name)!;
    return { shape: [...shape], dtype };
  }

  free(): void {
    for (const tensor of this.#tensors.values()) tensor.free();
  }

  [Symbol.dispose](): void {
    this.free();
  }
}

function toBytes(source: unknown): Uint8Array {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (source instanceof Uint8Array) {
    if (isDetached(source)) throw new TypeError('safetensors: bytes is a Uint8Array whose ArrayBuffer is detached');
    return source;
  }
  throw new TypeError(`safetensors: bytes must be a Uint8Array or an ArrayBuffer, got ${describe(source)}`);
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
