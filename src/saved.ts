// A layer saved by ffwd: a valid .safetensors file whose tensors are the layer's packed panels exactly
// as they lie in WASM memory (and its norms' parameters), and whose __metadata__ says how to rebuild
// it. Loading takes the panels as they are, no repacking; when the file's bytes already lie in the
// instance's memory the layer uses them where they are, zero copies.
//
// Layout: one tensor per block of WASM memory a layer holds, in the order the layer runs them:
//   '<part>panels'      a Linear's panels, F32 [panels, inFeatures + 1, 8] (assembly/gemm/pack.ts),
//                       a gated MLP's gate then up panels, F32 [2, panels, inFeatures + 1, 8]
//   '<part>parameters'  a norm's weight then bias rows, F32 [rows, n] (a norm with neither has none)
//   '<tensor>.padding'  U8 zeros after a tensor whose size is not a multiple of 64, so that every
//                       tensor starts 64-byte aligned in the file; the JSON header is padded with spaces
//                       so that the data section starts 64-byte aligned too.
// <part> is '' (a Linear), 'first.' / 'down.' / 'norm.' / 'postNorm.' (a FeedForward), 'layers.<i>.'
// (a Sequential). The weight dtype sets the panels' element type: F32 as above; BF16 / F16
// [panels, 16 + 8·inFeatures] (the float32 bias row as 16 halves, then the k-rows); I8 [panels, bytes
// per panel] for int8 (its head of float32 bias and scales, then the k-rows, in the layout of its
// compute: metadata 'compute').
import { FeedForward, type FeedForwardOptions, type SavedParts, type SublayerNorm } from './feedforward.js';
import { GatedLinear } from './gated.js';
import { type Compute, type LayerDtype, Linear, type LinearOptions, type SavedPanels, type Storage, WEIGHT_DTYPES, type WeightDtype } from './linear.js';
import type { Heap } from './memory.js';
import { Norm, type SavedParameters } from './norm.js';
import { type Header, parseHeader, toBytes } from './safetensors.js';
import { Sequential } from './sequential.js';

export const FORMAT = 'ffwd';
export const FORMAT_VERSION = '1';
/** Every tensor starts at a multiple of this in the file: a cache line, as the layers' own blocks in WASM memory. */
const ALIGNMENT = 64;
/** The safetensors element type of the panels for each weight dtype, and its bytes. */
const PANEL_DTYPES: Record<WeightDtype, [string, number]> = { f32: ['F32', 4], bf16: ['BF16', 2], f16: ['F16', 2], int8: ['I8', 1] };
/** The file's `dtype` when its projections do not all share one (the layer's own `dtype` then). */
const MIXED: LayerDtype = 'mixed';
const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 16777619;
const WHERE = 'load';

export type SavedLayer = Linear | FeedForward | Sequential;
type Metadata = Record<string, string>;
type Part = Linear | GatedLinear | Norm;

/** One tensor of a saved layer: its header entry and the block of WASM memory it is. */
interface Stored {
  name: string;
  dtype: string;
  shape: number[];
  storage: Storage;
}

/** A header entry as the file has it: a tensor or a padding, at [begin, end) of the data section. */
interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function fail(message: string): never {
  throw new RangeError(`${WHERE}: ${message}`);
}

/** The tensor a part is stored as, under `prefix`. */
function storedOf(prefix: string, part: Part): Stored[] {
  const storage = part.storage;
  if (part instanceof Norm) {
    const rows = Number(part.hasWeight) + Number(part.hasBias);
    return rows === 0 ? [] : [{ name: `${prefix}parameters`, dtype: 'F32', shape: [rows, part.n], storage }];
  }
  // A float32 panel is [bias row, k-rows] of 8 floats; the others are a run of elements
  // (assembly/gemm/weights.ts): for 16 bits 16 + 8·inFeatures.
  const count = Math.ceil(part.outFeatures / 8);
  const halves = part instanceof GatedLinear ? 2 : 1;
  const [dtype, size] = PANEL_DTYPES[part.dtype];
  const panels = part.dtype === 'f32' ? [count, part.inFeatures + 1, 8] : [count, storage.bytes / (halves * count * size)];
  return [{ name: `${prefix}panels`, dtype, shape: halves === 2 ? [2, ...panels] : panels, storage }];
}

/** The parts of a layer with the prefix of each. */
function partsOf(layer: SavedLayer): [string, Part | null][] {
  if (layer instanceof Linear) return [['', layer]];
  if (layer instanceof Sequential) return layer.layers.map((l, i) => [`layers.${i}.`, l]);
  return [['first.', layer.first], ['down.', layer.down], ['norm.', layer.norm], ['postNorm.', layer.postNorm]];
}

/** The layer's projections: the parts with panels. */
const storedTensors = (layer: SavedLayer) => partsOf(layer).flatMap(([prefix, part]) => (part ? storedOf(prefix, part) : []));

/** Header entries for `tensors` back to back, each followed by the zeros that align the next one. */
function layOut(tensors: Stored[]): { entries: Entry[]; dataLength: number } {
  const entries: Entry[] = [];
  let at = 0;
  for (const { name, dtype, shape, storage } of tensors) {
    entries.push({ name, dtype, shape, begin: at, end: at + storage.bytes });
    at += storage.bytes;
    const padding = -at & (ALIGNMENT - 1);
    if (padding === 0) continue;
    entries.push({ name: `${name}.padding`, dtype: 'U8', shape: [padding], begin: at, end: at + padding });
    at += padding;
  }
  return { entries, dataLength: at };
}

/** The metadata keys of a projection (a Linear or the gated first half) under `prefix`. */
function projectionMetadata(p: Linear | GatedLinear, prefix: string): Metadata {
  const keys: Metadata = {
    [`${prefix}inFeatures`]: String(p.inFeatures),
    [`${prefix}outFeatures`]: String(p.outFeatures),
    [`${prefix}hasBias`]: String(p.hasBias),
    [`${prefix}dtype`]: p.dtype,
    [`${prefix}compute`]: p.compute,
  };
  if (p instanceof Linear) keys[`${prefix}layout`] = p.layout;
  return keys;
}

const activationMetadata = (p: Linear | GatedLinear, prefix: string): Metadata => ({
  [`${prefix}activation`]: p.activation,
  [`${prefix}slope`]: String(p.slope),
});

const normMetadata = (norm: Norm | null, prefix: string): Metadata => (norm === null ? {} : {
  [`${prefix}kind`]: norm.kind,
  [`${prefix}eps`]: String(norm.eps),
  [`${prefix}offset`]: String(norm.offset),
  [`${prefix}hasWeight`]: String(norm.hasWeight),
  [`${prefix}hasBias`]: String(norm.hasBias),
});

/** Everything that rebuilds `layer`, as strings (JavaScript numbers print and parse back exactly). */
function metadataOf(layer: SavedLayer): Metadata {
  const common = { format: FORMAT, version: FORMAT_VERSION, dtype: layer.dtype };
  if (layer instanceof Linear) return { ...common, kind: 'linear', ...projectionMetadata(layer, ''), ...activationMetadata(layer, '') };
  if (layer instanceof Sequential) {
    const layers = layer.layers.map((l, i) => ({ ...projectionMetadata(l, `layers.${i}.`), ...activationMetadata(l, `layers.${i}.`) }));
    return Object.assign({ ...common, kind: 'sequential', layers: String(layer.layers.length) }, ...layers);
  }
  return {
    ...common,
    kind: 'feedForward',
    gated: String(layer.gated),
    wiring: layer.wiring,
    ...activationMetadata(layer.first, ''),
    ...projectionMetadata(layer.first, 'first.'),
    ...projectionMetadata(layer.down, 'down.'),
    ...normMetadata(layer.norm, 'norm.'),
    ...normMetadata(layer.postNorm, 'postNorm.'),
  };
}

/**
 * FNV-1a of the tensors' bytes in WASM memory (assembly/checksum.ts, one tensor after the other),
 * then of the metadata (every key but 'checksum', sorted): 8 hex digits.
 */
function checksumOf(heap: Heap, tensors: Stored[], metadata: Metadata): string {
  let h = FNV_BASIS;
  for (const { storage } of tensors) h = heap.exports.checksum(storage.ptr, storage.bytes, h) >>> 0;
  const text = JSON.stringify(Object.keys(metadata).filter((k) => k !== 'checksum').sort().map((k) => [k, metadata[k]]));
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** layer.save(): the layer as a .safetensors file (see the top of this file). */
export function saveLayer(heap: Heap, layer: SavedLayer): Uint8Array {
  heap.checkOpen(); // the checksum is a kernel call like any other
  const tensors = storedTensors(layer);
  const metadata = metadataOf(layer);
  metadata.checksum = checksumOf(heap, tensors, metadata);
  const { entries, dataLength } = layOut(tensors);
  const header: Record<string, unknown> = { __metadata__: metadata };
  for (const { name, dtype, shape, begin, end } of entries) header[name] = { dtype, shape, data_offsets: [begin, end] };
  const json = JSON.stringify(header); // ASCII: every name and value is
  const headerLength = json.length + (-(8 + json.length) & (ALIGNMENT - 1));
  const dataStart = 8 + headerLength;
  const file = new Uint8Array(dataStart + dataLength);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerLength), true);
  file.fill(0x20, 8, dataStart);
  new TextEncoder().encodeInto(json, file.subarray(8));
  const begins = new Map(entries.map((e) => [e.name, e.begin]));
  for (const { name, storage } of tensors) file.set(new Uint8Array(heap.buffer, storage.ptr, storage.bytes), dataStart + begins.get(name)!);
  return file;
}

/** Reads typed values out of the metadata strings; a missing or malformed one is a RangeError. */
class MetadataReader {
  readonly #metadata: Metadata;

  constructor(metadata: Metadata) {
    this.#metadata = metadata;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.#metadata, key);
  }

  text(key: string): string {
    const value = this.has(key) ? this.#metadata[key] : undefined;
    if (value === undefined) fail(`the file's __metadata__ has no '${key}', which a layer saved by ffwd has`);
    return value;
  }

  number(key: string): number {
    const value = Number(this.text(key));
    if (!Number.isFinite(value)) fail(`the file's __metadata__ '${key}' is ${JSON.stringify(this.#metadata[key])}, expected a number`);
    return value;
  }

  flag(key: string): boolean {
    const value = this.text(key);
    if (value !== 'true' && value !== 'false') fail(`the file's __metadata__ '${key}' is ${JSON.stringify(value)}, expected 'true' or 'false'`);
    return value === 'true';
  }
}

/** Where the file's tensor `name` lies in WASM memory, when the file does (else undefined: a new block). */
type Placement = (name: string) => number | undefined;

const projectionFrom = (r: MetadataReader, prefix: string, withLayout: boolean) => ({
  inFeatures: r.number(`${prefix}inFeatures`),
  outFeatures: r.number(`${prefix}outFeatures`),
  dtype: r.text(`${prefix}dtype`) as WeightDtype,
  compute: (r.has(`${prefix}compute`) ? r.text(`${prefix}compute`) : 'f32') as Compute, // (files saved before int8 have none)
  ...(withLayout ? { layout: r.text(`${prefix}layout`) as never } : {}),
});

const panelsFrom = (r: MetadataReader, prefix: string, place: Placement): SavedPanels => ({
  at: place(`${prefix}panels`),
  hasBias: r.flag(`${prefix}hasBias`),
});

const activationFrom = (r: MetadataReader, prefix: string) => ({
  activation: r.text(`${prefix}activation`) as never,
  slope: r.number(`${prefix}slope`),
});

function normFrom(r: MetadataReader, prefix: string, place: Placement): [SublayerNorm | undefined, SavedParameters | undefined] {
  if (!r.has(`${prefix}kind`)) return [undefined, undefined];
  const kind = r.text(`${prefix}kind`) as SublayerNorm['kind'];
  const spec: SublayerNorm = { kind, eps: r.number(`${prefix}eps`) };
  if (kind === 'rms') spec.offset = r.number(`${prefix}offset`) as 0 | 1;
  return [spec, { at: place(`${prefix}parameters`), hasWeight: r.flag(`${prefix}hasWeight`), hasBias: r.flag(`${prefix}hasBias`) }];
}

function linearFrom(heap: Heap, r: MetadataReader, prefix: string, place: Placement, where?: string): Linear {
  const options = { ...projectionFrom(r, prefix, true), ...activationFrom(r, prefix) } as unknown as LinearOptions; // no weight: the panels stand for it
  return new Linear(heap, options, where, panelsFrom(r, prefix, place));
}

function feedForwardFrom(heap: Heap, r: MetadataReader, place: Placement): FeedForward {
  const gated = r.flag('gated');
  const first = projectionFrom(r, 'first.', !gated);
  const down = projectionFrom(r, 'down.', true);
  const [norm, savedNorm] = normFrom(r, 'norm.', place);
  const [postNorm, savedPostNorm] = normFrom(r, 'postNorm.', place);
  const options: FeedForwardOptions = {
    ...(gated ? { gate: first, up: first, down } : { fc1: first, fc2: down }) as FeedForwardOptions,
    ...activationFrom(r, ''),
    dtype: first.dtype,
    compute: first.compute,
    wiring: r.text('wiring') as never,
    norm,
    postNorm,
  };
  const saved: SavedParts = { first: panelsFrom(r, 'first.', place), down: panelsFrom(r, 'down.', place), norm: savedNorm, postNorm: savedPostNorm };
  return new FeedForward(heap, options, undefined, saved);
}

function sequentialFrom(heap: Heap, r: MetadataReader, place: Placement): Sequential {
  const count = r.number('layers');
  if (!Number.isInteger(count) || count < 1) fail(`the file's __metadata__ 'layers' is ${count}, expected an integer ≥ 1`);
  const layers: Linear[] = [];
  try {
    for (let i = 0; i < count; i++) layers.push(linearFrom(heap, r, `layers.${i}.`, place, `sequential: layer ${i}`));
    return new Sequential(heap, layers);
  } catch (error) {
    for (const layer of layers) layer.free();
    throw error;
  }
}

const BUILDERS = {
  linear: (heap: Heap, r: MetadataReader, place: Placement) => linearFrom(heap, r, '', place),
  feedForward: feedForwardFrom, sequential: sequentialFrom,
} as const;

/** The checks on what the file says it is, before anything is built. */
function checkFormat(metadata: Metadata): keyof typeof BUILDERS {
  if (metadata.format !== FORMAT) {
    fail(`this .safetensors file is not a layer saved by ffwd (its __metadata__ has no "format": "${FORMAT}"): for a checkpoint, `
      + 'build the layer with ffwd.feedForward.fromSafetensors(files, names) or ffwd.feedForward.fromPretrained(files, config)');
  }
  if (metadata.version !== FORMAT_VERSION) {
    fail(`the file is ffwd format version ${JSON.stringify(metadata.version)}; this ffwd reads version ${FORMAT_VERSION}`);
  }
  if (!(WEIGHT_DTYPES as string[]).includes(metadata.dtype) && metadata.dtype !== MIXED) {
    fail(`the file's weight dtype is ${JSON.stringify(metadata.dtype)}; this ffwd reads ${[...WEIGHT_DTYPES, MIXED].map((d) => `'${d}'`).join(', ')}`);
  }
  const kind = metadata.kind;
  if (!Object.hasOwn(BUILDERS, kind)) fail(`the file's layer kind is ${JSON.stringify(kind)}, expected one of ${Object.keys(BUILDERS).join(', ')}`);
  return kind as keyof typeof BUILDERS;
}

/** Throws unless the file's tensors are exactly the entries the rebuilt layer stores, data section included. */
function checkTensors(header: Header, entries: Entry[], dataLength: number, fileDataLength: number): void {
  for (const e of entries) {
    const t = header.tensors.get(e.name);
    const want = `${e.dtype}[${e.shape.join(', ')}] at [${e.begin}, ${e.end})`;
    if (t === undefined) fail(`the file has no tensor '${e.name}'; its metadata makes it ${want}`);
    const got = `${t.dtype}[${t.shape.join(', ')}] at [${t.begin}, ${t.end})`;
    if (got !== want) fail(`tensor '${e.name}' is ${got}, but the file's metadata makes it ${want}`);
  }
  const expected = new Set(entries.map((e) => e.name));
  const extra = [...header.tensors.keys()].find((name) => !expected.has(name));
  if (extra !== undefined) fail(`the file has a tensor '${extra}' that its metadata does not account for`);
  if (fileDataLength !== dataLength) fail(`the data section has ${fileDataLength} bytes, but the file's tensors cover ${dataLength}`);
}

/**
 * ffwd.load(bytes): rebuilds a layer that `save` wrote. When the bytes lie in this instance's memory
 * the layer uses its panels and parameters where they are (the bytes must then outlive the layer);
 * otherwise each part gets a new block and one copy of its bytes. Everything about the file is checked
 * before a byte is copied but the checksum, which is computed over the copy in WASM memory (a
 * fraction of a millisecond there, the whole budget of a load in JavaScript) and frees it on a mismatch.
 */
export function loadLayer(heap: Heap, source: unknown): SavedLayer {
  heap.checkOpen(); // before the bytes are judged: a closed instance loads nothing
  const bytes = toBytes(source, WHERE);
  const header = parseHeader(bytes);
  const metadata = header.metadata;
  const kind = checkFormat(metadata);
  const fileAt = bytes.buffer === heap.buffer ? bytes.byteOffset : -1;
  const dataAt = fileAt + header.dataStart;
  const place: Placement = (name) => {
    const tensor = header.tensors.get(name);
    return fileAt < 0 || tensor === undefined ? undefined : dataAt + tensor.begin;
  };
  let layer: SavedLayer;
  try {
    layer = BUILDERS[kind](heap, new MetadataReader(metadata), place);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new RangeError(`${WHERE}: the file's __metadata__ describes no layer ffwd can build: ${error.message}`, { cause: error });
  }
  try {
    // read afresh: building may have grown (and so detached) the memory the bytes are a view of
    const file = fileAt < 0 ? bytes : new Uint8Array(heap.buffer, fileAt, bytes.length);
    const tensors = storedTensors(layer);
    const { entries, dataLength } = layOut(tensors);
    checkTensors(header, entries, dataLength, bytes.length - header.dataStart);
    const dataOf = ({ begin, end }: Entry) => file.subarray(header.dataStart + begin, header.dataStart + end);
    const stored = new Set(tensors.map((t) => t.name));
    for (const e of entries) {
      if (!stored.has(e.name) && dataOf(e).some((b) => b !== 0)) fail(`the padding '${e.name}' is not zeros: the file was altered`);
    }
    if (fileAt < 0) {
      const byName = new Map(entries.map((e) => [e.name, e]));
      for (const { name, storage } of tensors) new Uint8Array(heap.buffer, storage.ptr, storage.bytes).set(dataOf(byName.get(name)!));
    }
    const checksum = checksumOf(heap, tensors, metadata);
    if (metadata.checksum !== checksum) {
      fail(`the checksum of the file's tensors and metadata is ${checksum}, but the file says ${JSON.stringify(metadata.checksum)}: the file was altered or truncated`);
    }
    return layer;
  } catch (error) {
    layer.free();
    throw error;
  }
}
