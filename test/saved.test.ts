// layer.save() and ffwd.load(): the file is a valid .safetensors file by the rules Hugging Face's
// library applies, aligned as documented; a loaded layer (bytes copied in, or used in place in WASM
// memory) gives the saved layer's outputs bit for bit and saves to the same bytes; every bad file is a
// RangeError (a bad argument a TypeError) that leaves nothing allocated.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, type Ffwd, FeedForward, Linear, Sequential, type SavedLayer } from '../src/index.node.js';
import { BUILDS, instance } from './builds.js';
import { filled, random } from './matmul.js';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
const ACTIVATION_IDS = ['identity', ...Object.values(ACTIVATIONS).map((row) => row.id)] as const;

/** The header as the file has it, and where its data section starts. */
function headerOf(file: Uint8Array) {
  const length = Number(new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true));
  const json = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + length)));
  return { json, length, dataStart: 8 + length };
}

/**
 * The checks of Hugging Face's safetensors (Metadata::validate and read_metadata): a header of at most
 * 100 MB that starts with '{', tensors that sorted by offset cover the data section from 0 to its end
 * with no hole and no overlap, each exactly shape × dtype bytes, and a metadata map of strings.
 */
function expectValidSafetensors(file: Uint8Array) {
  const SIZES: Record<string, number> = { F32: 4, U8: 1 };
  const { json, length, dataStart } = headerOf(file);
  expect(length).toBeLessThanOrEqual(100_000_000);
  expect(file[8]).toBe('{'.charCodeAt(0));
  const { __metadata__: metadata, ...tensors } = json;
  expect(Object.values(metadata).every((v) => typeof v === 'string')).toBe(true);
  let start = 0;
  for (const [name, info] of Object.entries(tensors as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>)
    .sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0])) {
    const [s, e] = info.data_offsets;
    expect(s, `${name} starts where the previous tensor ends`).toBe(start);
    expect(e - s, `${name}'s size`).toBe(info.shape.reduce((a, b) => a * b, 1) * SIZES[info.dtype]);
    start = e;
  }
  expect(dataStart + start, 'the tensors cover the data section').toBe(file.length);
}

/** Every tensor of a saved file starts 64-byte aligned in the file; paddings are zeros under '.padding'. */
function expectAligned(file: Uint8Array) {
  const { json, dataStart } = headerOf(file);
  expect(dataStart % 64).toBe(0);
  for (const [name, info] of Object.entries(json as Record<string, { dtype: string; data_offsets: number[] }>)) {
    if (name === '__metadata__') continue;
    if (name.endsWith('.padding')) {
      expect(info.dtype).toBe('U8');
      expect(file.subarray(dataStart + info.data_offsets[0], dataStart + info.data_offsets[1]).every((b) => b === 0)).toBe(true);
    } else {
      expect(info.data_offsets[0] % 64, name).toBe(0);
    }
  }
}

/** The file's bytes in this instance's memory, 64-byte aligned (the README's fs.readSync recipe). */
function inMemory(f: Ffwd, file: Uint8Array) {
  const holder = f.tensor(Math.ceil(file.length / 4));
  const bytes = new Uint8Array(holder.data.buffer, holder.data.byteOffset, file.length);
  bytes.set(file);
  return { holder, bytes };
}

/** Saves `layer`, loads it both ways and checks outputs, bytes and memory; frees everything. */
function roundTrip(f: Ffwd, layer: SavedLayer, batches: number[], label: string) {
  const file = layer.save();
  expectValidSafetensors(file);
  expectAligned(file);
  const copied = f.load(file);
  expect(copied.constructor, label).toBe(layer.constructor);
  const { holder, bytes } = inMemory(f, file);
  const held = f.heap.exports.heapSize();
  const inPlace = f.load(bytes);
  expect(f.heap.exports.heapSize(), `${label}: in place, nothing allocated`).toBe(held);
  const next = random(file.length);
  for (const batch of batches) {
    const x = filled(batch * layer.inFeatures, next, 2);
    const want = bits(layer.forward(x, batch));
    expect(bits(copied.forward(x, batch)), `${label}, batch ${batch}`).toEqual(want);
    expect(bits(inPlace.forward(x, batch)), `${label}, batch ${batch}, in place`).toEqual(want);
  }
  expect(Buffer.compare(copied.save(), file), `${label}: a loaded layer saves to the same bytes`).toBe(0);
  expect(Buffer.compare(inPlace.save(), file), `${label}: in place too`).toBe(0);
  expect(copied.parameters).toBe(layer.parameters);
  inPlace.free();
  expect(holder.data[0], 'freeing an in-place layer leaves the bytes').toBe(new Float32Array(file.buffer, 0, 1)[0]);
  for (const thing of [copied, layer, holder]) thing.free();
}

const BATCHES = [1, 2, 3, 4, 5, 6, 7, 8, 9];

describe.each(BUILDS)('save and load (%s build)', (build) => {
  const get = () => instance(build);

  it.each([[5, 7], [1, 1], [8, 16], [33, 9]])('Linear %i → %i: every activation, with and without bias, both layouts', async (inF, outF) => {
    const f = await get();
    const next = random(inF * 100 + outF);
    for (const activation of ACTIVATION_IDS) {
      for (const hasBias of [true, false]) {
        for (const layout of ['out_in', 'in_out'] as const) {
          const layer = f.linear({
            weight: filled(inF * outF, next), bias: hasBias ? filled(outF, next) : undefined, inFeatures: inF, outFeatures: outF,
            activation, layout, slope: activation === 'leaky_relu' ? 0.2 : undefined,
          });
          roundTrip(f, layer, activation === 'gelu' && hasBias ? BATCHES : [1, 9], `${activation}, bias ${hasBias}, ${layout}`);
        }
      }
    }
  });

  it('a Linear file: its metadata and its one tensor, the panels as pack lays them out', async () => {
    const f = await get();
    const next = random(3);
    const layer = f.linear({ weight: filled(35, next), bias: filled(7, next), inFeatures: 5, outFeatures: 7, activation: 'leaky_relu', slope: 0.25 });
    const file = layer.save();
    const { json, dataStart } = headerOf(file);
    const { checksum, ...metadata } = json.__metadata__;
    expect(metadata).toEqual({
      format: 'ffwd', version: '1', dtype: 'f32', kind: 'linear', inFeatures: '5', outFeatures: '7', hasBias: 'true', compute: 'f32',
      layout: 'out_in', activation: 'leaky_relu', slope: '0.25',
    });
    expect(checksum).toMatch(/^[0-9a-f]{8}$/);
    expect(json.panels).toEqual({ dtype: 'F32', shape: [1, 6, 8], data_offsets: [0, 192] });
    expect(Object.keys(json)).toEqual(['__metadata__', 'panels']); // 192 bytes: a multiple of 64, no padding
    const panels = new Float32Array(file.slice(dataStart, dataStart + 192).buffer);
    const storage = layer.storage;
    expect(bits(panels)).toEqual(bits(new Float32Array(f.heap.buffer, storage.ptr, storage.bytes / 4)));
    layer.free();
  });

  const WIDTH = 5;
  const norms = (next: () => number) => ({
    layer: { kind: 'layer' as const, weight: filled(WIDTH, next), bias: filled(WIDTH, next), eps: 1e-12 },
    rms: { kind: 'rms' as const, weight: filled(WIDTH, next), eps: 1e-6, offset: 1 as const },
    bare: { kind: 'layer' as const },
  });

  it.each([7, 200])('FeedForward plain, gated and gateUp, every wiring and norm kind: width 5, hidden %i', async (hidden) => {
    const f = await get();
    const next = random(hidden);
    const projection = (inF: number, outF: number, bias: boolean) => ({
      weight: filled(inF * outF, next), bias: bias ? filled(outF, next) : undefined, inFeatures: inF, outFeatures: outF,
    });
    const mlps = {
      plain: () => ({ fc1: projection(WIDTH, hidden, true), fc2: projection(hidden, WIDTH, true), activation: 'gelu_new' as const }),
      'plain in_out': () => ({ fc1: { ...projection(WIDTH, hidden, true), layout: 'in_out' as const }, fc2: { ...projection(hidden, WIDTH, false), layout: 'in_out' as const } }),
      gated: () => ({ gate: projection(WIDTH, hidden, false), up: projection(WIDTH, hidden, false), down: projection(hidden, WIDTH, false) }),
      gateUp: () => ({ gateUp: projection(WIDTH, 2 * hidden, true), down: projection(hidden, WIDTH, true), activation: 'leaky_relu' as const, slope: 0.3 }),
    };
    const n = norms(next);
    const wirings = [
      { wiring: 'mlp' as const },
      { wiring: 'pre_norm' as const, norm: n.rms },
      { wiring: 'post_norm' as const, norm: n.layer },
      { wiring: 'pre_norm' as const, norm: n.bare },
      { wiring: 'sandwich' as const, norm: n.rms, postNorm: { ...n.rms, offset: 0 as const } },
    ];
    for (const [name, mlp] of Object.entries(mlps)) {
      for (const wiring of wirings) {
        const block = f.feedForward({ ...mlp(), ...wiring });
        roundTrip(f, block, name === 'gated' ? BATCHES : [1, 8], `${name}, ${wiring.wiring} ${wiring.norm?.kind ?? ''}`);
      }
    }
  });

  it('a gated sublayer file: panels of gate then up, down, the norms\' parameters; the metadata names every option', async () => {
    const f = await get();
    const next = random(11);
    const block = f.feedForward({
      gate: { weight: filled(35, next), inFeatures: 5, outFeatures: 7 }, up: { weight: filled(35, next), inFeatures: 5, outFeatures: 7 },
      down: { weight: filled(35, next), bias: filled(5, next), inFeatures: 7, outFeatures: 5 },
      activation: 'gelu_pytorch_tanh', wiring: 'sandwich', norm: norms(next).rms, postNorm: { kind: 'rms', weight: filled(5, next), eps: 1e-5 },
    });
    const { json } = headerOf(block.save());
    const { checksum, ...metadata } = json.__metadata__;
    expect(metadata).toEqual({
      format: 'ffwd', version: '1', dtype: 'f32', kind: 'feedForward', gated: 'true', wiring: 'sandwich', activation: 'gelu_pytorch_tanh', slope: '0.01',
      'first.inFeatures': '5', 'first.outFeatures': '7', 'first.hasBias': 'false', 'first.dtype': 'f32', 'first.compute': 'f32',
      'down.inFeatures': '7', 'down.outFeatures': '5', 'down.hasBias': 'true', 'down.dtype': 'f32', 'down.compute': 'f32', 'down.layout': 'out_in',
      'norm.kind': 'rms', 'norm.eps': '0.000001', 'norm.offset': '1', 'norm.hasWeight': 'true', 'norm.hasBias': 'false',
      'postNorm.kind': 'rms', 'postNorm.eps': '0.00001', 'postNorm.offset': '0', 'postNorm.hasWeight': 'true', 'postNorm.hasBias': 'false',
    });
    expect(Object.keys(json).filter((k) => !k.endsWith('.padding'))).toEqual(
      ['__metadata__', 'first.panels', 'down.panels', 'norm.parameters', 'postNorm.parameters']);
    expect(json['first.panels'].shape).toEqual([2, 1, 6, 8]);
    expect(json['down.panels'].shape).toEqual([1, 8, 8]);
    expect(json['norm.parameters'].shape).toEqual([1, 5]);
    block.free();
  });

  it('Sequential: layers of awkward shapes and activations', async () => {
    const f = await get();
    const next = random(5);
    const stack = f.sequential([
      { inFeatures: 5, units: 7, activation: 'relu', weight: filled(35, next), bias: filled(7, next) },
      { units: 200, activation: 'gelu', weight: filled(1400, next), layout: 'in_out' },
      { units: 3, activation: 'leaky_relu', slope: 0.5, weight: filled(600, next), bias: filled(3, next) },
    ]);
    expect(headerOf(stack.save()).json.__metadata__).toMatchObject({ kind: 'sequential', layers: '3', 'layers.1.layout': 'in_out', 'layers.2.slope': '0.5' });
    roundTrip(f, stack, BATCHES, 'sequential');
  });

  it('the seed block (512 → 2048 → 512) loads in place with its panels where the file put them', async () => {
    const f = await get();
    const next = random(512);
    const block = f.feedForward({
      fc1: { weight: filled(512 * 2048, next), bias: filled(2048, next), inFeatures: 512, outFeatures: 2048 },
      fc2: { weight: filled(512 * 2048, next), bias: filled(512, next), inFeatures: 2048, outFeatures: 512 },
    });
    const file = block.save();
    const { json, dataStart } = headerOf(file);
    const { holder, bytes } = inMemory(f, file);
    const loaded = f.load(bytes) as FeedForward;
    expect(loaded.first.storage.ptr).toBe(holder.ptr + dataStart + json['first.panels'].data_offsets[0]);
    expect(loaded.first.storage.ptr % 64).toBe(0);
    expect(loaded.down.storage.ptr % 64).toBe(0);
    const x = filled(8 * 512, next);
    expect(bits(loaded.forward(x, 8))).toEqual(bits(block.forward(x, 8)));
    for (const thing of [loaded, block, holder]) thing.free();
  });
});

describe.each(BUILDS)('in place at any alignment (%s build)', (build) => {
  it('a file at an odd address in WASM memory loads in place, its panels where they lie, the same outputs', async () => {
    const f = await instance(build);
    const next = random(77);
    const layer = f.linear({ weight: filled(5 * 200, next), bias: filled(200, next), inFeatures: 5, outFeatures: 200, activation: 'silu' });
    const file = layer.save();
    const holder = f.tensor(Math.ceil(file.length / 4) + 1);
    const bytes = new Uint8Array(holder.data.buffer, holder.data.byteOffset + 3, file.length);
    bytes.set(file);
    const loaded = f.load(bytes) as Linear;
    expect(loaded.storage.ptr).toBe(holder.ptr + 3 + headerOf(file).dataStart);
    const x = filled(7 * 5, next);
    expect(bits(loaded.forward(x, 7))).toEqual(bits(layer.forward(x, 7)));
    for (const thing of [loaded, layer, holder]) thing.free();
  });
});

describe('ffwd.load refuses bad files (simd build)', () => {
  const get = () => instance('simd');

  /** A FeedForward's file, with `edit` applied to a copy of its bytes. */
  async function saved() {
    const f = await get();
    const next = random(9);
    const block = f.feedForward({
      fc1: { weight: filled(35, next), bias: filled(7, next), inFeatures: 5, outFeatures: 7 },
      fc2: { weight: filled(35, next), inFeatures: 7, outFeatures: 5 },
      activation: 'gelu', wiring: 'post_norm', norm: { kind: 'layer', weight: filled(5, next), bias: filled(5, next) },
    });
    const file = block.save();
    block.free();
    return { f, file };
  }

  /** The file with `from` replaced by `to` (of the same length) in its header. */
  function editHeader(file: Uint8Array, from: string, to: string) {
    expect(to.length).toBe(from.length);
    const text = new TextDecoder().decode(file.subarray(0, headerOf(file).dataStart));
    const at = text.indexOf(from);
    expect(at, `the header has ${from}`).toBeGreaterThan(0);
    const edited = file.slice();
    edited.set(new TextEncoder().encode(to), at);
    return edited;
  }

  /** Expects `load` to throw `type` matching `message` both from plain bytes and in place, leaving nothing allocated. */
  function expectRefused(f: Ffwd, file: Uint8Array | unknown, type: typeof RangeError | typeof TypeError, message: RegExp) {
    const held = f.heap.exports.heapSize();
    expect(() => f.load(file as Uint8Array)).toThrow(type);
    expect(() => f.load(file as Uint8Array)).toThrow(message);
    expect(f.heap.exports.heapSize(), `${message}: nothing left allocated`).toBe(held);
    if (!(file instanceof Uint8Array)) return;
    const { holder, bytes } = inMemory(f, file);
    const withHolder = f.heap.exports.heapSize();
    expect(() => f.load(bytes)).toThrow(message);
    expect(f.heap.exports.heapSize(), `${message}, in place: nothing left allocated`).toBe(withHolder);
    holder.free();
  }

  it('a wrong argument is a TypeError naming it', async () => {
    const f = await get();
    for (const bad of [undefined, null, 'file.safetensors', [1, 2], new Float32Array(4)]) {
      expectRefused(f, bad, TypeError, /load: bytes must be a Uint8Array or an ArrayBuffer, got/);
    }
  });

  it('a truncated file, trailing bytes, a changed panel, a changed norm, changed padding', async () => {
    const { f, file } = await saved();
    const { json, dataStart } = headerOf(file);
    expectRefused(f, file.subarray(0, file.length - 4), RangeError, /outside the .*data section/);
    expectRefused(f, file.subarray(0, 6), RangeError, /fewer than the 8-byte header length/);
    expectRefused(f, Uint8Array.of(...file, 0, 0, 0, 0), RangeError, /the data section has \d+ bytes, but the file's tensors cover/);
    const at = (name: string, offset = 0) => dataStart + json[name].data_offsets[0] + offset;
    for (const [name, offset] of [['first.panels', 40], ['down.panels', 0], ['norm.parameters', 36]] as const) {
      const altered = file.slice();
      altered[at(name, offset)] ^= 1;
      expectRefused(f, altered, RangeError, /checksum .* the file was altered or truncated/);
    }
    const padded = Object.keys(json).find((k) => k.endsWith('.padding'))!;
    const altered = file.slice();
    altered[at(padded)] = 1;
    expectRefused(f, altered, RangeError, /padding .* is not zeros/);
    // an ArrayBuffer is taken too
    const layer = f.load(file.slice().buffer);
    expect(layer).toBeInstanceOf(FeedForward);
    layer.free();
  });

  it('changed metadata: an option (checksum), the version, the kind, a shape that does not match the panels, the dtype', async () => {
    const { f, file } = await saved();
    expectRefused(f, editHeader(file, '"activation":"gelu"', '"activation":"relu"'), RangeError, /checksum/);
    expectRefused(f, editHeader(file, '"norm.eps":"0.00001"', '"norm.eps":"0.00002"'), RangeError, /checksum/);
    expectRefused(f, editHeader(file, '"version":"1"', '"version":"2"'), RangeError, /format version "2"; this ffwd reads version 1/);
    expectRefused(f, editHeader(file, '"kind":"feedForward"', '"kind":"forwardFeed"'), RangeError, /layer kind is "forwardFeed", expected one of linear, feedForward, sequential/);
    expectRefused(f, editHeader(file, '"first.outFeatures":"7"', '"first.outFeatures":"9"'), RangeError, /(hidden layer has|metadata makes it)/);
    expectRefused(f, editHeader(file, '"down.inFeatures":"7"', '"down.inFeatures":"8"'), RangeError, /fc2.inFeatures is 8, but the hidden layer has 7/);
    expectRefused(f, editHeader(file, '"shape":[1,6,8]', '"shape":[1,8,6]'), RangeError, /tensor 'first.panels' is F32\[1, 8, 6\].* metadata makes it F32\[1, 6, 8\]/);
    expectRefused(f, editHeader(file, '"wiring":"post_norm"', '"wiring":"pre_normX"'), RangeError, /describes no layer ffwd can build: feedForward: wiring must be one of/);
    expectRefused(f, editHeader(file, '"first.hasBias":"true"', '"first.hasBias":"yes!"'), RangeError, /'first.hasBias' is "yes!", expected 'true' or 'false'/);
    expectRefused(f, editHeader(file, '"dtype":"f32"', '"dtype":"i08"'), RangeError, /weight dtype is "i08"; this ffwd reads 'f32', 'bf16', 'f16', 'int8', 'mixed'/);
    expectRefused(f, editHeader(file, '"norm.kind"', '"norm.xind"'), RangeError, /wiring 'post_norm' needs a norm/);
  });

  it('a plain checkpoint is not a saved layer: the message says so and points to fromSafetensors and fromPretrained', async () => {
    const f = await get();
    const checkpoint = new Uint8Array(readFileSync(new URL('./golden/ffn24_f32.safetensors', import.meta.url)));
    expectRefused(f, checkpoint, RangeError, /not a layer saved by ffwd.*fromSafetensors.*fromPretrained/);
  });

  it('save() of a freed layer is a TypeError', async () => {
    const f = await get();
    const layers = [
      f.linear({ weight: [1, 2], inFeatures: 2, outFeatures: 1 }),
      f.feedForward({ fc1: { weight: [1, 2], inFeatures: 2, outFeatures: 1 }, fc2: { weight: [1, 2], inFeatures: 1, outFeatures: 2 } }),
      f.sequential([{ inFeatures: 2, units: 1, weight: [1, 2] }]),
    ];
    for (const layer of layers) {
      expect(layer).toBeInstanceOf(layer instanceof Linear ? Linear : layer instanceof Sequential ? Sequential : FeedForward);
      layer.free();
      expect(() => layer.save()).toThrow(/freed/);
    }
  });
});

describe.each(BUILDS)('the checksum kernel (%s build)', (build) => {
  /** assembly/checksum.ts written plainly: FNV-1a over words, word i into lane i mod 16, lanes and length folded in. */
  function reference(words: Uint32Array, seed: number): number {
    const mix = (h: number, w: number) => Math.imul(h ^ w, 16777619) >>> 0;
    const lanes = Array.from({ length: 16 }, (_, i) => (seed ^ i) >>> 0);
    words.forEach((w, i) => (lanes[i % 16] = mix(lanes[i % 16], w)));
    return mix(lanes.reduce(mix, seed >>> 0), words.length * 4);
  }

  it('is FNV-1a on 16 lanes of words, for every length across the 64-byte body and any alignment', async () => {
    const f = await instance(build);
    const block = f.tensor(80);
    const next = random(1);
    block.data.set(Float32Array.from({ length: 80 }, next));
    for (const offset of [0, 4, 8, 12]) {
      for (let words = 0; words <= 70; words++) {
        const view = new Uint32Array(f.heap.buffer, block.ptr + offset, words);
        const seed = 0x811c9dc5 + words;
        expect(f.heap.exports.checksum(block.ptr + offset, words * 4, seed) >>> 0, `${words} words at +${offset}`).toBe(reference(view, seed));
      }
    }
    block.free();
  });
});
