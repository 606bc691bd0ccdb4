// Threads: every layer kind, every activation and both builds give the same bits on 2 and 3 threads
// as on 1, on shapes whose partitions are uneven (row ranges with leftover rows, panel ranges with a
// partial panel, K past the packed path, n % 4 tails); init's option, close, and a process that exits.
// The package is imported from dist/: its workers run dist/threads/worker.js (npm test builds it first).
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { ACTIVATIONS, type Ffwd, init } from '../dist/index.node.js';
import { filled, random } from './matmul.js';

const BUILDS = ['simd', 'relaxed'] as const;
const THREADS = [2, 3];
const ACTIVATION_IDS = Object.values(ACTIVATIONS).map((row) => row.id);

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
function expectSameBits(got: Float32Array, want: Float32Array, what: string) {
  expect(got.length, what).toBe(want.length);
  const g = bits(got);
  const w = bits(want);
  const at = g.findIndex((v, i) => v !== w[i]);
  expect(at, `${what}: first difference at ${at}: ${got[at]} vs ${want[at]}`).toBe(-1);
}

const instances: Ffwd[] = [];
async function make(build: (typeof BUILDS)[number], threads: number): Promise<Ffwd> {
  const f = await init({ build, threads });
  instances.push(f);
  expect(f.threads).toBe(threads);
  expect(f.threadsUnavailable).toBeNull();
  return f;
}
afterAll(async () => {
  await Promise.all(instances.map((f) => f.close()));
});

/** Runs `compute` on 1 thread and on each of THREADS and checks the bits, and that threads were used. */
async function sameBitsOnThreads(build: (typeof BUILDS)[number], what: string, compute: (f: Ffwd) => Float32Array | Float32Array[]) {
  const flat = (r: Float32Array | Float32Array[]) => (Array.isArray(r) ? r : [r]);
  const want = flat(compute(await make(build, 1)));
  for (const threads of THREADS) {
    const f = await make(build, threads);
    const got = flat(compute(f));
    got.forEach((g, i) => expectSameBits(g, want[i], `${what}, ${threads} threads, output ${i}`));
    expect(f.heap.parallel.dispatches, `${what}: nothing ran on more than one thread`).toBeGreaterThan(0);
  }
}

// batch: leftover rows 1-3, rows over strips of 4, an odd number of strips; K: odd, past 4096 (x not packed);
// N: a partial panel, fewer panels than threads · 3.
const LINEAR_SHAPES: [batch: number, inF: number, outF: number][] = [
  [1, 301, 701], [2, 513, 257], [3, 97, 1001], [5, 300, 450], [8, 129, 301], [13, 301, 77], [37, 5000, 9], [1, 4100, 44],
];

describe.each(BUILDS)('threads give the bits of one thread (%s build)', (build) => {
  it.each(LINEAR_SHAPES)('Linear: batch %i, %i → %i, every activation, with and without bias and residual-free', async (batch, K, N) => {
    const next = random(batch * 131 + K * 7 + N);
    const weight = filled(N * K, next, 1 / Math.sqrt(K));
    const bias = filled(N, next);
    const x = filled(batch * K, next, 4);
    await sameBitsOnThreads(build, `linear ${batch}×${K}→${N}`, (f) => ['identity', ...ACTIVATION_IDS].map((activation, i) =>
      f.linear({ weight, bias: i % 2 === 0 ? bias : null, inFeatures: K, outFeatures: N, activation: activation as 'relu' }).forward(x, batch)));
  });

  it.each([[1, 300, 700], [2, 129, 513], [3, 257, 301], [8, 100, 333], [13, 64, 1000]])(
    'gated and plain FeedForward with every wiring: batch %i, %i → %i → %i', async (batch, d, h) => {
      const next = random(batch + d + h);
      const proj = (o: number, i: number, bias = true) => ({ weight: filled(o * i, next, 1 / Math.sqrt(i)), bias: bias ? filled(o, next) : null, inFeatures: i, outFeatures: o });
      const [gate, up, down, fc1, fc2] = [proj(h, d), proj(h, d, false), proj(d, h), proj(h, d), proj(d, h, false)];
      const gateUp = { weight: new Float32Array([...gate.weight, ...up.weight]), inFeatures: d, outFeatures: 2 * h };
      const norm = { kind: 'rms' as const, weight: filled(d, next), eps: 1e-6 };
      const layer = { kind: 'layer' as const, weight: filled(d, next), bias: filled(d, next) };
      const x = filled(batch * d, next, 3);
      await sameBitsOnThreads(build, `feedForward ${batch}×${d}→${h}`, (f) => [
        f.feedForward({ gate, up, down, activation: 'silu' }).forward(x, batch),
        f.feedForward({ gateUp, down, activation: 'gelu_tanh' }).forward(x, batch),
        f.feedForward({ gate, up, down, activation: 'gelu', wiring: 'pre_norm', norm }).forward(x, batch),
        f.feedForward({ gate, up, down, wiring: 'sandwich', norm, postNorm: { ...norm, offset: 1 } }).forward(x, batch),
        f.feedForward({ fc1, fc2, activation: 'gelu' }).forward(x, batch),
        f.feedForward({ fc1, fc2, activation: 'quick_gelu', wiring: 'post_norm', norm: layer }).forward(x, batch),
        f.feedForward({ fc1, fc2, activation: 'gelu_new', wiring: 'pre_norm', norm: layer }).forward(x, batch),
      ]);
    });

  it.each([[1, 301, 701], [3, 97, 1001], [5, 300, 450], [13, 301, 77], [37, 700, 90]])(
    '16-bit and int8 panels, int8 compute: Linear, plain and gated FeedForward, batch %i, %i → %i', async (batch, K, N) => {
      const next = random(batch * 17 + K + N);
      const proj = (o: number, i: number) => ({ weight: filled(o * i, next, 1 / Math.sqrt(i)), bias: filled(o, next), inFeatures: i, outFeatures: o });
      const [fc1, fc2, gate, up] = [proj(N, K), proj(K, N), proj(N, K), proj(N, K)];
      const x = filled(batch * K, next, 3);
      const storages = [{ dtype: 'bf16' }, { dtype: 'f16' }, { dtype: 'int8' }, { dtype: 'int8', compute: 'int8' }] as const;
      await sameBitsOnThreads(build, `16-bit and int8 ${batch}×${K}→${N}`, (f) => storages.flatMap((storage) => [
        f.linear({ ...fc1, activation: 'gelu', ...storage }).forward(x, batch),
        f.feedForward({ fc1, fc2, ...storage }).forward(x, batch),
        f.feedForward({ gate, up, down: fc2, activation: 'silu', ...storage }).forward(x, batch),
      ]));
    });

  it('Sequential, and a FeedForward run in place on a Tensor', async () => {
    const next = random(99);
    const layers = [
      { inFeatures: 200, units: 333, activation: 'relu' as const, weight: filled(200 * 333, next, 0.1), bias: filled(333, next) },
      { units: 90, activation: 'tanh' as const, weight: filled(333 * 90, next, 0.1) },
      { units: 200, weight: filled(90 * 200, next, 0.1), bias: filled(200, next) },
    ];
    const fc1 = { weight: filled(200 * 700, next, 0.1), bias: filled(700, next), inFeatures: 200, outFeatures: 700 };
    const fc2 = { weight: filled(700 * 200, next, 0.1), inFeatures: 700, outFeatures: 200 };
    const x = filled(11 * 200, next, 2);
    await sameBitsOnThreads(build, 'sequential', (f) => {
      const t = f.tensor(x);
      f.feedForward({ fc1, fc2, wiring: 'pre_norm', norm: { kind: 'layer' } }).forward(t, 11, t);
      return [f.sequential(layers).forward(x, 11), t.data.slice()];
    });
  });

  it.each([[2, 20000], [9, 4097], [64, 771], [2571, 13]])('layerNorm and rmsNorm over %i rows of %i', async (rows, n) => {
    const next = random(rows * n);
    const x = filled(rows * n, next, 5);
    const weight = filled(n, next);
    const bias = filled(n, next);
    await sameBitsOnThreads(build, `norms ${rows}×${n}`, (f) => [
      f.layerNorm(x, n, { weight, bias }), f.layerNorm(x, n), f.rmsNorm(x, n, { weight, offset: 1, eps: 1e-6 }), f.rmsNorm(x, n),
    ]);
  });

  it('a stress of 2000 back-to-back dispatches of mixed kernels and sizes: the bits of one thread, nothing lost', async () => {
    // Dispatches microseconds apart, some smaller than a worker's wake-up, so that a worker still
    // finishing (or only now waking for) one dispatch overlaps the next: the races of the pool's words.
    const next = random(2024);
    const proj = (o: number, i: number) => ({ weight: filled(o * i, next, 0.2), bias: filled(o, next), inFeatures: i, outFeatures: o });
    const [fc1, fc2] = [proj(256, 128), proj(128, 256)];
    const xs = [1, 2, 5, 8, 13].map((batch) => ({ batch, x: filled(batch * 128, next, 2) }));
    const big = filled(40_000, next, 4);
    await sameBitsOnThreads(build, 'stress', (f) => {
      const block = f.feedForward({ fc1, fc2, dtype: 'bf16' });
      const linear = f.linear({ ...fc1, activation: 'silu' });
      let sum = new Float32Array(128);
      for (let i = 0; i < 500; i++) {
        const { batch, x } = xs[i % xs.length];
        const y = i % 2 === 0 ? block.forward(x, batch) : linear.forward(x, batch);
        const g = f.gelu(big.subarray(0, 20_000 + (i % 7) * 2_857));
        const n = f.rmsNorm(big.subarray(0, 64 * 600), 64);
        sum = Float32Array.from(sum, (s, j) => s + y[j % y.length] + g[(i * 97 + j) % g.length] + n[(i + j) % n.length]);
      }
      expect(f.threads === 1 || f.heap.parallel.dispatches > 1000, 'most of them ran on several threads').toBe(true);
      return sum;
    });
  });

  it.each([100_003, 1_100_003])('every activation forward and backward on %i elements (a tail), near and far inputs', async (n) => {
    // (relu and leaky_relu, bound by memory, run on several threads only from 2 · 2^18 elements)
    const next = random(7);
    const x = Float32Array.from({ length: n }, (_, i) => next() * (i % 3 === 0 ? 30 : 3));
    const dy = filled(x.length, next);
    await sameBitsOnThreads(build, 'activations', (f) => Object.keys(ACTIVATIONS).flatMap((name) => {
      const forward = (f as unknown as Record<string, (x: Float32Array) => Float32Array>)[name];
      const backward = (f as unknown as Record<string, (x: Float32Array, dy: Float32Array) => Float32Array>)[`${name}Backward`];
      return [forward(x), backward(x, dy)];
    }));
  });
});

describe('an element’s result never depends on its neighbours (what lets any partition keep the bits)', () => {
  it.each(BUILDS)('gelu_tanh (near and far paths) in vectors of near or far neighbours (%s build)', async (build) => {
    const f = await make(build, 1);
    const next = random(3);
    const values = Float32Array.from({ length: 4096 }, () => next() * 3);
    const amid = (neighbour: number) => {
      const x = new Float32Array(values.length * 16).fill(neighbour);
      values.forEach((v, i) => (x[i * 16 + (i % 16)] = v)); // every lane position, every group position
      const y = f.geluTanh(x);
      return values.map((_, i) => y[i * 16 + (i % 16)]);
    };
    expectSameBits(amid(0.5), amid(30), 'near neighbours vs far neighbours');
  });
});

describe('memory growth', () => {
  it('the workers compute on memory grown after they started, and Tensors allocated before keep their data', async () => {
    const one = await make('simd', 1);
    const two = await make('simd', 2);
    const before = two.tensor(Float32Array.from({ length: 1000 }, (_, i) => i - 500));
    const start = two.memoryBytes;
    const x = new Float32Array(4 << 20); // 16 MiB: grows memory
    for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 2000) / 250 - 4;
    const big = two.tensor(x);
    expect(two.memoryBytes, "memory grew").toBeGreaterThan(start);
    const dispatched = two.heap.parallel.dispatches;
    two.gelu(big, big);
    expect(two.heap.parallel.dispatches).toBe(dispatched + 1);
    expectSameBits(big.data, one.gelu(x), 'gelu on grown memory');
    expect(Array.from(before.data.subarray(0, 3))).toEqual([-500, -499, -498]);
  });
});

describe('init({ threads }) and close()', () => {
  it('rejects a bad threads option, naming it', async () => {
    await expect(init({ threads: 0 })).rejects.toThrow(new RangeError('init: options.threads must be between 1 and 64, got 0'));
    await expect(init({ threads: 2.5 })).rejects.toThrow(new TypeError('init: options.threads must be an integer, got number 2.5'));
    await expect(init({ threads: 'all' as 'auto' })).rejects.toThrow(new TypeError(`init: options.threads must be a number of threads or 'auto', got string "all"`));
  });

  it("'auto' runs the cores (at most 8), the default 1", async () => {
    const { availableParallelism } = await import('node:os');
    const auto = await init({ threads: 'auto' });
    expect(auto.threads).toBe(Math.min(8, availableParallelism()));
    await auto.close();
    const one = await init();
    expect(one.threads).toBe(1);
    expect(one.threadsUnavailable).toBeNull();
  });

  it('says why when the module given is not a shared-memory build, and runs 1 thread', async () => {
    const { readFile } = await import('node:fs/promises');
    const f = await init({ module: await readFile(new URL('../build/ffwd.simd.wasm', import.meta.url)), threads: 2 });
    expect(f.threads).toBe(1);
    expect(f.threadsUnavailable).toMatch(/not a shared-memory build/);
    expect(f.gelu(new Float32Array([1]))[0]).toBeCloseTo(0.8413, 4);
  });

  it('after close, every call throws an Error saying the instance is closed', async () => {
    for (const threads of [1, 2]) {
      const f = await init({ threads });
      const layer = f.linear({ weight: [1, 2], inFeatures: 2, outFeatures: 1 });
      const t = f.tensor(4);
      await f[Symbol.asyncDispose]();
      expect(f.closed).toBe(true);
      const file = new Uint8Array(16); // a valid empty .safetensors: header '{}' padded to 8
      new DataView(file.buffer).setBigUint64(0, 8n, true);
      file.set(new TextEncoder().encode('{}      '), 8);
      const calls = [
        () => f.gelu(new Float32Array(4)), () => f.relu(t), () => layer.forward(new Float32Array(2), 1), () => f.tensor(3), () => f.rmsNorm(t, 2),
        // the calls that allocate nothing: a file whose tensors load on demand, a norm without parameters, save
        () => f.safetensors(file), () => f.norm({ kind: 'rms', n: 4 }), () => layer.save(),
      ];
      for (const call of calls) {
        expect(call).toThrow(/this instance is closed/);
      }
      await f.close(); // twice is harmless
    }
  });

  it('an instance never closed does not keep a Node process alive', () => {
    const script = `import { init } from ${JSON.stringify(new URL('../dist/index.node.js', import.meta.url).href)};
      const f = await init({ threads: 2 }); console.log(f.threads, f.gelu(new Float32Array(1 << 16).fill(1))[0]);`;
    const started = performance.now();
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(out.trim()).toBe('2 0.8413447141647339');
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
