import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { init } from '../src/index.node.js';
import { init as initWorker } from '../src/index.worker.js';
import { hasRelaxedSimd } from '../src/features.js';

const root = new URL('..', import.meta.url);
const wasmUrl = (build: string) => new URL(`build/ffwd.${build}.wasm`, root);
const bytes = (build: string) => readFileSync(wasmUrl(build));

describe('init', () => {
  it("'auto' picks relaxed where relaxed SIMD validates (the test setup enables it on Node 20)", async () => {
    expect(hasRelaxedSimd()).toBe(true);
    expect((await init()).build).toBe('relaxed');
    expect((await init({ build: 'simd' })).build).toBe('simd');
  });

  it("'auto' falls back to simd silently on a Node 20 without the relaxed flag", () => {
    const script = "import { init } from 'ffwd'; const f = await init(); console.log(f.build);";
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    const major = Number(process.versions.node.split('.')[0]);
    expect(out.trim()).toBe(major >= 22 ? 'relaxed' : 'simd');
  });

  it('accepts bytes, a Module, a path, a file URL, a Response and a promise of one', async () => {
    const sources = [
      bytes('simd'),
      new Uint8Array(bytes('simd')).buffer,
      new WebAssembly.Module(bytes('simd')),
      wasmUrl('simd').pathname,
      wasmUrl('simd'),
      new Response(bytes('simd'), { headers: { 'Content-Type': 'application/wasm' } }),
      // A server sending the wrong content type: streaming fails, the byte fallback works.
      new Response(bytes('simd'), { headers: { 'Content-Type': 'application/octet-stream' } }),
      Promise.resolve(new Response(bytes('simd'), { headers: { 'Content-Type': 'application/wasm' } })),
    ];
    for (const module of sources) {
      const f = await init({ module });
      expect(f.build).toBe('simd');
      expect(Array.from(f.relu(new Float32Array([-1, 2])))).toEqual([0, 2]);
    }
    expect((await init({ module: bytes('relaxed') })).build).toBe('relaxed');
  });

  it('keeps several instances apart, each with its own memory', async () => {
    const a = await init({ build: 'simd' });
    const b = await init({ build: 'relaxed' });
    const ta = a.tensor([1, 2, 3]);
    const tb = b.tensor([4, 5, 6]);
    expect(a.heap.buffer).not.toBe(b.heap.buffer);
    expect(Array.from(ta.data)).toEqual([1, 2, 3]);
    expect(Array.from(tb.data)).toEqual([4, 5, 6]);
    expect(() => a.relu(tb)).toThrow(/x is a Tensor of another ffwd instance/);
  });

  it('rejects bad options with errors that name them', async () => {
    await expect(init({ build: 'fast' as never })).rejects.toThrow(TypeError);
    await expect(init({ build: 'fast' as never })).rejects.toThrow(/options\.build must be 'auto', 'simd' or 'relaxed'/);
    await expect(init({ maxMemory: 1000 })).rejects.toThrow(RangeError);
    await expect(init({ maxMemory: 1.5e6 + 0.5 })).rejects.toThrow(/options\.maxMemory must be an integer/);
    await expect(init({ module: 42 as never })).rejects.toThrow(/options\.module must be a WebAssembly\.Module/);
    await expect(init(null as never)).rejects.toThrow(/options must be an object/);
    const notFfwd = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    await expect(init({ module: notFfwd })).rejects.toThrow(/not an ffwd module/);
    await expect(init({ build: 'simd', module: bytes('relaxed') })).rejects.toThrow(
      /options\.module is the 'relaxed' build but options\.build is 'simd'/,
    );
    await expect(init({ module: new Response('missing', { status: 404 }) })).rejects.toThrow(/HTTP 404/);
  });

  it('in an edge worker, asks for the imported module instead of compiling', async () => {
    await expect(initWorker()).rejects.toThrow(/init\(\{ module: wasm \}\)/);
    const f = await initWorker({ module: new WebAssembly.Module(bytes('simd')) });
    expect(f.build).toBe('simd');
  });
});
