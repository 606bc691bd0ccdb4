// Section 4: cold start, from .wasm bytes already in memory to the first correct result, each
// sample in a fresh Node process (V8 caches compiled wasm per process, so a second instance in the
// same process would not be cold). JS modules are imported and inputs made before the clock starts.
// Also the module sizes, raw and gzipped. This file is both sides: coldSection() spawns
// `node bench/cold.js <target>`, which measures once and prints JSON.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { makeLayers, normal } from './data.js';
import { median, now } from './timing.js';

const root = new URL('..', import.meta.url);
const ffwdWasm = (build) => fileURLToPath(new URL(`build/ffwd.${build}.wasm`, root));
const FFN_SHAPE = [[512, 2048, 'gelu'], [2048, 512, null]];
const FFN_BATCH = 8;
const GELU_N = 4096;
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

/** Measures ffwd: init from bytes (with `threads`: the shared build, workers started), then one gelu or one FFN forward. */
async function ffwdTarget(build, workload, threads = 1) {
  const { init } = await import('ffwd');
  const bytes = readFileSync(ffwdWasm(threads > 1 ? `${build}-shared` : build));
  const x = normal(workload === 'ffn' ? FFN_BATCH * 512 : GELU_N, 1);
  const layers = workload === 'ffn' ? makeLayers(FFN_SHAPE) : null;
  const t0 = now();
  const f = await init({ module: bytes, build, threads });
  if (f.threads !== threads) throw new Error(`ffwd runs ${f.threads} thread(s): ${f.threadsUnavailable}`);
  const t1 = now();
  if (workload === 'ffn') {
    const [fc1, fc2] = layers.map(({ weight, bias, inFeatures, outFeatures }) => ({ weight, bias, inFeatures, outFeatures }));
    const ffn = f.feedForward({ fc1, fc2, activation: 'gelu' });
    const t2 = now();
    const y = ffn.forward(f.tensor(x), FFN_BATCH).data[0];
    const t3 = now();
    return { ms: t3 - t0, parts: { init: t1 - t0, load: t2 - t1, first: t3 - t2 }, finite: Number.isFinite(y) };
  }
  const t = f.tensor(x);
  const y = f.gelu(t, t).data[0];
  const t2 = now();
  return { ms: t2 - t0, parts: { init: t1 - t0, first: t2 - t1 }, kernel: 'gelu', finite: Number.isFinite(y) };
}

/** Measures onnxruntime-web (1 thread): session creation (compiles its .wasm) and the first run. */
async function ortTarget(workload) {
  const ortPeer = await import('./peers/ort.js');
  const { layersModel, unaryModel } = await import('./onnx.js');
  const ort = await import('onnxruntime-web');
  ortPeer.configure({ threads: 1, wasmBinary: ortPeer.readWasm() });
  const ffn = workload === 'ffn';
  const gelu = (a, b) => [{ op: 'Gelu', inputs: [a], outputs: [b] }];
  const model = ffn
    ? layersModel({ layers: makeLayers(FFN_SHAPE), activationNodes: (_, a, b) => gelu(a, b) })
    : unaryModel({ nodes: gelu('x', 'y') });
  const x = normal(ffn ? FFN_BATCH * 512 : GELU_N, 1);
  const dims = ffn ? [FFN_BATCH, 512] : [GELU_N];
  const t0 = now();
  const session = await ortPeer.createSession(model);
  const t1 = now();
  const y = (await session.run({ x: new ort.Tensor('float32', x, dims) })).y.data[0];
  const t2 = now();
  return { ms: t2 - t0, parts: { session: t1 - t0, first: t2 - t1 }, finite: Number.isFinite(y) };
}

/** Measures tfjs-backend-wasm: backend init (it reads its .wasm from node_modules itself) + composed gelu. */
async function tfjsTarget() {
  const tfjs = await import('./peers/tfjs.js');
  const x = normal(GELU_N, 1);
  const t0 = now();
  const peer = await tfjs.create();
  const t1 = now();
  const y = (await peer.activation('gelu', x)).call()[0];
  const t2 = now();
  return { ms: t2 - t0, parts: { init: t1 - t0, first: t2 - t1 }, finite: Number.isFinite(y), note: 'from its .wasm file' };
}

export const TARGETS = {
  'ffwd-simd gelu': { run: () => ffwdTarget('simd', 'gelu') },
  'ffwd-relaxed gelu': { run: () => ffwdTarget('relaxed', 'gelu'), flags: [RELAXED_FLAG] },
  'ffwd-simd ffn': { run: () => ffwdTarget('simd', 'ffn') },
  'ffwd-relaxed ffn': { run: () => ffwdTarget('relaxed', 'ffn'), flags: [RELAXED_FLAG] },
  'ffwd-simd 2 threads gelu': { run: () => ffwdTarget('simd', 'gelu', 2) },
  'ffwd-simd 2 threads ffn': { run: () => ffwdTarget('simd', 'ffn', 2) },
  'ort-1t gelu': { run: () => ortTarget('gelu') },
  'ort-1t ffn': { run: () => ortTarget('ffn') },
  'tfjs gelu': { run: () => tfjsTarget() },
};

const run = promisify(execFile);

/** One fresh process per sample, targets in turn; medians of total and of each part. */
export async function coldSection({ rounds, log }) {
  const samples = Object.fromEntries(Object.keys(TARGETS).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, target] of Object.entries(TARGETS)) {
      try {
        const args = [...(target.flags ?? []), fileURLToPath(import.meta.url), name];
        const { stdout } = await run(process.execPath, args, { timeout: 60000 });
        samples[name].push(JSON.parse(stdout.trim().split('\n').at(-1)));
      } catch (error) {
        samples[name].push({ error: String(error?.stderr || error?.message || error).trim().split('\n').at(-1) });
      }
    }
  }
  const rows = [];
  for (const [name, list] of Object.entries(samples)) {
    const good = list.filter((s) => s.ms !== undefined);
    const first = list[0] ?? {};
    if (good.length === 0) {
      rows.push({ target: name, error: first.error ?? 'no sample' });
      continue;
    }
    const parts = Object.fromEntries(Object.keys(good[0].parts).map((p) => [p, median(good.map((s) => s.parts[p]))]));
    const ok = good.every((s) => s.finite);
    rows.push({ target: name, ms: median(good.map((s) => s.ms)), parts, samples: good.map((s) => s.ms), ok, kernel: good[0].kernel, note: good[0].note });
  }
  log?.(`  cold: ${rows.map((r) => `${r.target} ${r.ms?.toFixed(1) ?? 'ERR'}`).join(', ')}`);
  return rows;
}

/** Sizes of the modules a user ships, raw and gzipped (level 9). */
export async function moduleSizes() {
  const { wasmPath } = await import('./peers/ort.js');
  const { wasmDir } = await import('./peers/tfjs.js');
  const files = {
    'ffwd simd': ffwdWasm('simd'),
    'ffwd relaxed': ffwdWasm('relaxed'),
    'ffwd simd-shared (threads)': ffwdWasm('simd-shared'),
    'ffwd relaxed-shared (threads)': ffwdWasm('relaxed-shared'),
    'onnxruntime-web': wasmPath(),
    'tfjs-backend-wasm (simd)': `${wasmDir()}tfjs-backend-wasm-simd.wasm`,
  };
  return Object.entries(files).map(([name, path]) => {
    try {
      const bytes = readFileSync(path);
      return { name, file: path.replace(fileURLToPath(root), ''), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
    } catch (error) {
      return { name, error: String(error.message) };
    }
  });
}

// Child side: `node bench/cold.js <target>` prints one JSON line.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = TARGETS[process.argv[2]];
  let result;
  try {
    if (!target) throw new Error(`cold.js: unknown target ${process.argv[2]}`);
    result = await target.run();
  } catch (error) {
    result = { error: String(error?.message ?? error).split('\n')[0] };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
