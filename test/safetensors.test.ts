import { describe, expect, it } from 'vitest';
import { init } from '../src/index.node.js';
import { BUILDS, instance } from './builds.js';
import { bytesOf, writeSafetensors } from './safetensors-writer.js';

/** IEEE half → number, straight from the definition (independent of the kernel's bit tricks). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

const allHalves = Uint16Array.from({ length: 65536 }, (_, i) => i);

function sampleFile() {
  const f32 = Float32Array.from({ length: 6 }, (_, i) => i * 1.5 - 2);
  return writeSafetensors(
    {
      'fc.weight': { dtype: 'F32', shape: [2, 3], data: bytesOf(f32) },
      halves: { dtype: 'F16', shape: [65536], data: bytesOf(allHalves) },
      brains: { dtype: 'BF16', shape: [256, 256], data: bytesOf(allHalves) },
      empty: { dtype: 'F32', shape: [0, 4], data: new Uint8Array(0) },
    },
    { format: 'pt' },
  );
}

describe.each(BUILDS)('safetensors (%s build)', (build) => {
  it('loads F32 as is and widens every F16 and BF16 value exactly', async () => {
    const f = await instance(build);
    const file = f.safetensors(sampleFile());
    expect(file.names).toEqual(['fc.weight', 'halves', 'brains', 'empty']);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.info('fc.weight')).toEqual({ shape: [2, 3], dtype: 'F32' });
    expect(Array.from(file.get('fc.weight').data)).toEqual([-2, -0.5, 1, 2.5, 4, 5.5]);
    expect(file.get('empty').length).toBe(0);

    file.get('halves');
    file.get('brains'); // loading may grow memory: read the views after
    const halves = file.get('halves').data;
    const brains = new Uint32Array(file.get('brains').data.slice().buffer);
    for (let h = 0; h < 65536; h++) {
      const want = halfToNumber(h);
      const got = halves[h];
      if (Number.isNaN(want)) expect(Number.isNaN(got)).toBe(true);
      else if (!Object.is(got, want)) expect(`half ${h.toString(16)}: ${got}`).toBe(`half ${h.toString(16)}: ${want}`);
      if (brains[h] !== h << 16 >>> 0) expect(brains[h]).toBe(h << 16 >>> 0);
    }
    expect(() => file.get('missing')).toThrow(/no tensor named 'missing'; the file has: fc\.weight, halves/);
    file.free();
  });

  it('reads F32 tensors in place when the file already lies in WASM memory, even as loading grows it', async () => {
    const f = await init({ build });
    const big = new Uint16Array(1 << 21).fill(0x3c00); // 2M halves of 1.0: widening them needs 8 MiB more
    const fileBytes = writeSafetensors({
      w: { dtype: 'F32', shape: [4], data: bytesOf(new Float32Array([1, 2, 3, 4])) },
      h: { dtype: 'F16', shape: [big.length], data: bytesOf(big) },
    });
    const holder = f.tensor(Math.ceil(fileBytes.length / 4)); // e.g. fs.readSync straight into WASM memory
    new Uint8Array(holder.data.buffer, holder.data.byteOffset, fileBytes.length).set(fileBytes);
    const before = f.heap.buffer;
    const heldBefore = f.heap.exports.heapSize();
    const file = f.safetensors(new Uint8Array(holder.data.buffer, holder.data.byteOffset, fileBytes.length));
    expect(f.heap.exports.heapSize()).toBe(heldBefore); // tensors load when first asked for
    const w = file.get('w');
    const dataStart = 8 + Number(new DataView(fileBytes.buffer).getBigUint64(0, true));
    expect(w.ptr).toBe(holder.ptr + dataStart); // a view of the file's bytes: nothing copied
    expect(Array.from(w.data)).toEqual([1, 2, 3, 4]);
    holder.data[dataStart / 4] = 42; // the file's bytes and the tensor are the same memory
    expect(w.data[0]).toBe(42);
    const h = file.get('h').data;
    expect(f.heap.buffer).not.toBe(before); // memory grew while the file was being read
    expect(w.data[0]).toBe(42); // and the view of the file's bytes follows it
    expect(h.length).toBe(big.length);
    expect(h.every((v) => v === 1)).toBe(true);
    const held = f.heap.exports.heapSize();
    file.free();
    expect(() => w.data).toThrow(/freed/);
    expect(holder.data[dataStart / 4]).toBe(42); // freeing the file leaves the bytes it viewed alone
    expect(f.heap.exports.heapSize()).toBeLessThan(held);
    holder.free();
    expect(f.heap.exports.heapSize()).toBe(0);
  });

  const valid = () => writeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Uint8Array(8) }, b: { dtype: 'F16', shape: [2], data: new Uint8Array(4) } });
  const withHeader = (header: unknown, dataBytes = 16) => {
    const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
    const file = new Uint8Array(8 + json.length + dataBytes);
    new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
    file.set(json, 8);
    return file;
  };

  it.each([
    ['shorter than the length field', new Uint8Array(5), /fewer than the 8-byte header length/],
    ['a header length past the end', (() => { const v = valid(); new DataView(v.buffer).setBigUint64(0, 1n << 40n, true); return v; })(), /header length 1099511627776 runs past the end/],
    ['a header that is not JSON', withHeader('{"a": nope}'), /not valid UTF-8 JSON/],
    ['a header that is not an object', withHeader([1, 2]), /not a JSON object/],
    ['an unknown dtype', withHeader({ a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }), /tensor 'a' has dtype "F8", which is not a safetensors dtype \(F32, F16, BF16, F64, I64/],
    ['a bad shape', withHeader({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }), /tensor 'a' has no valid shape/],
    ['offsets out of range', withHeader({ a: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }), /data_offsets \[0, 32\] outside the 16-byte data section/],
    ['reversed offsets', withHeader({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }), /outside/],
    ['shape × dtype ≠ byte range', withHeader({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }), /is F32\[3\] = 12 bytes, but data_offsets span 8/],
    ['overlapping tensors', withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }), /tensors 'a' and 'b' overlap/],
    ['bad metadata', withHeader({ __metadata__: { n: 1 } }), /__metadata__ must be an object of strings/],
  ])('rejects a file with %s before copying anything', async (_, bytes, message) => {
    const f = await instance(build);
    const held = f.heap.exports.heapSize();
    expect(() => f.safetensors(bytes)).toThrow(RangeError);
    expect(() => f.safetensors(bytes)).toThrow(message);
    expect(f.heap.exports.heapSize()).toBe(held);
  });

  it('validates tensors of other dtypes (masks, ids) without loading them, and refuses to load them as float32', async () => {
    const f = await instance(build);
    const file = f.safetensors(writeSafetensors({
      ids: { dtype: 'I64', shape: [3], data: new Uint8Array(24) },
      mask: { dtype: 'BOOL', shape: [2, 2], data: new Uint8Array(4) },
      w: { dtype: 'F32', shape: [1], data: bytesOf(new Float32Array([7])) },
    }));
    expect(file.info('ids')).toEqual({ shape: [3], dtype: 'I64' });
    expect(() => file.get('ids')).toThrow(/tensor 'ids' is I64; ffwd loads F32, F16 and BF16 tensors/);
    expect(file.get('w').data[0]).toBe(7);
    file.free();
    expect(() => file.get('w')).toThrow(/this file was freed/);
    expect(() => f.safetensors(writeSafetensors({ m: { dtype: 'BOOL', shape: [3], data: new Uint8Array(4) } })))
      .toThrow(/is BOOL\[3\] = 3 bytes, but data_offsets span 4/);
  });

  it('rejects what is not bytes', async () => {
    const f = await instance(build);
    expect(() => f.safetensors('model.safetensors' as never)).toThrow(/bytes must be a Uint8Array or an ArrayBuffer, got string/);
  });

  it('rejects detached bytes (an ArrayBuffer or a Uint8Array whose buffer was transferred) with a TypeError naming bytes', async () => {
    const f = await instance(build);
    const buffer = sampleFile().slice().buffer;
    const view = new Uint8Array(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    for (const bytes of [buffer, view]) {
      expect(() => f.safetensors(bytes)).toThrow(TypeError);
      expect(() => f.safetensors(bytes)).toThrow(/safetensors: bytes is (a detached ArrayBuffer|a Uint8Array whose ArrayBuffer is detached)/);
      expect(() => f.load(bytes)).toThrow(/load: bytes is (a detached ArrayBuffer|a Uint8Array whose ArrayBuffer is detached)/);
      expect(() => f.feedForward.fromPretrained(bytes, { model_type: 'gpt2' })).toThrow(/bytes is (a detached ArrayBuffer|a Uint8Array whose ArrayBuffer is detached)/);
    }
  });

  it('survives a fuzzer: mutated files load consistently or are rejected with a RangeError, never anything else', async () => {
    const f = await instance(build);
    const original = sampleFile();
    const held = f.heap.exports.heapSize();
    let seed = 12345;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let rejected = 0;
    for (let round = 0; round < 1500; round++) {
      const bytes = original.slice(0, next() < 0.1 ? Math.floor(next() * original.length) : original.length);
      const headerEnd = Math.min(bytes.length, 8 + 400);
      for (let k = 1 + Math.floor(next() * 4); k > 0; k--) bytes[Math.floor(next() * headerEnd)] = Math.floor(next() * 256);
      try {
        const file = f.safetensors(bytes);
        for (const name of file.names) expect(file.get(name).length).toBe(file.info(name).shape.reduce((a, b) => a * b, 1));
        file.free();
      } catch (error) {
        expect(error).toBeInstanceOf(RangeError);
        rejected++;
      }
      expect(f.heap.exports.heapSize()).toBe(held);
    }
    expect(rejected).toBeGreaterThan(500);
  });
});
