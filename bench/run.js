#!/usr/bin/env node
// npm run bench: ffwd against onnxruntime-web, tfjs-backend-wasm and plain JavaScript, all in this
// one process, on the same data, round-robin, medians. Sections: peak (the machine's WASM SIMD
// limit, and its WASM read bandwidth), activations, ffn (the seed's FFN block and a square GEMM),
// scale (FFN and linear layers at the sizes real checkpoints have), checkpoints (a LLaMA MLP loaded
// by fromPretrained, its sublayer), dtypes (f32, bf16 and f16 panels), int8 (int8 weights, weight-only and
// with int8 compute, against f32 and onnxruntime-web's dynamic quantisation), threads (the FFN and GELU on
// 1 and 2 threads against onnxruntime-web 2 threads, alone: the issue's thread targets), cold
// (start-up and module sizes).
//   node bench/run.js [--quick] [--only activations,ffn,scale,checkpoints,dtypes,int8,threads,peak,cold] [--rounds N] [--target-ms MS]
// Relaxed SIMD needs a V8 flag on Node 20; it is set here, before any module is compiled, so the
// plain `node bench/run.js` measures both ffwd builds. Everything else is imported after it.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const SECTIONS = ['peak', 'activations', 'ffn', 'scale', 'checkpoints', 'dtypes', 'int8', 'threads', 'cold'];
const root = new URL('..', import.meta.url);

function parseArgs(argv) {
  const options = { quick: false, sections: SECTIONS };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=');
    const value = () => inline ?? argv[++i];
    if (flag === '--quick') options.quick = true;
    else if (flag === '--only') options.sections = value().split(',');
    else if (flag === '--rounds') options.rounds = Number(value());
    else if (flag === '--target-ms') options.targetMs = Number(value());
    else if (flag === '--help' || flag === '-h') {
      console.log('usage: node bench/run.js [--quick] [--only activations|ffn|scale|checkpoints|dtypes|int8|threads|peak|cold[,…]] [--rounds N] [--target-ms MS]');
      process.exit(0);
    } else throw new Error(`bench: unknown argument ${argv[i]}`);
  }
  for (const s of options.sections) if (!SECTIONS.includes(s)) throw new Error(`bench: unknown section ${s} (${SECTIONS.join(', ')})`);
  options.rounds ??= options.quick ? 3 : 7;
  options.targetMs ??= options.quick ? 8 : 25;
  options.coldRounds = options.quick ? 2 : 7;
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(new URL('dist/index.node.js', root))) {
    execFileSync(process.execPath, [fileURLToPath(new URL('scripts/build.js', root))], { stdio: 'inherit' });
  }
  const { machine } = await import('./machine.js');
  const { openAll, closeAll } = await import('./implementations.js');
  const { summarize, writeResults, machineText } = await import('./report.js');
  const log = (line) => process.stderr.write(`${line}\n`);
  const has = (s) => options.sections.includes(s);
  const timing = { rounds: options.rounds, targetMs: options.targetMs };
  const results = { machine: machine(), options };
  log(machineText(results.machine, options));

  results.capabilities = {};
  for (const build of ['simd', 'relaxed']) {
    try {
      const ffwd = await import('./ffwd.js');
      results.capabilities[build] = ffwd.capabilities(await ffwd.instance(build));
    } catch (error) {
      results.capabilities[build] = [`unavailable: ${String(error?.message ?? error).split('\n')[0]}`];
    }
  }

  // The peak and the bandwidth are best runs: measured before and again after the timed sections,
  // so that one busy moment on a shared machine does not set them.
  const measurePeaks = async () => {
    if (!has('peak') && !has('ffn') && !has('scale') && !has('checkpoints')) return undefined;
    log('peak…');
    const peak = await import('./peak.js');
    return peak.measurePeaks({ rounds: options.quick ? 3 : 9, targetMs: 30 });
  };
  const measureBandwidth = async () => {
    if (!has('peak') && !has('scale')) return undefined;
    log('bandwidth…');
    return (await import('./bandwidth.js')).measureBandwidth({ rounds: options.quick ? 3 : 7 });
  };
  results.peak = await measurePeaks();
  results.bandwidth = await measureBandwidth();
  // The timed sections open their implementations afresh and close them after (ORT's worker too).
  const timedSection = async (section, key, run, keys) => {
    if (!has(section)) return;
    log(`${section}…`);
    const impls = await openAll(keys);
    results.implementations = impls.map(({ key: k, peer, error }) => ({ key: k, name: peer?.name, description: peer?.description, ...(error ? { error } : {}) }));
    try {
      results[key] = await run(impls);
    } finally {
      await closeAll(impls);
    }
  };
  await timedSection('activations', 'activations', async (impls) =>
    (await import('./activations.js')).activationSection({ impls, timing, log }),
  );
  await timedSection('ffn', 'layers', async (impls) => (await import('./layers.js')).layersSection({ impls, timing, log }));
  const { SCALE_WORKLOADS, SCALE_IMPLEMENTATIONS } = await import('./layers.js');
  await timedSection('scale', 'scale', async (impls) =>
    (await import('./layers.js')).layersSection({ impls, timing, log, workloads: SCALE_WORKLOADS, readCeiling: true }), SCALE_IMPLEMENTATIONS);
  await timedSection('dtypes', 'dtypes', async (impls) =>
    (await import('./dtypes.js')).dtypesSection({ impls, timing, log }), ['ffwd-simd', 'ffwd-relaxed']);
  const { INT8_IMPLEMENTATIONS } = await import('./int8.js');
  await timedSection('int8', 'int8', async (impls) =>
    (await import('./int8.js')).int8Section({ impls, timing, log }), INT8_IMPLEMENTATIONS);
  await timedSection('checkpoints', 'checkpoints', async (impls) =>
    (await import('./checkpoints.js')).checkpointsSection({ impls, timing, log }), SCALE_IMPLEMENTATIONS);
  await timedSection('threads', 'threads', async (impls) => {
    const { layersSection, WORKLOADS } = await import('./layers.js');
    const { activationSection } = await import('./activations.js');
    const { KERNELS } = await import('./kernels.js');
    // Three times the rounds: on a 2-vCPU VM the second core comes and goes in phases of about half a
    // second, and 7 samples of a thread pool said less than one run's figures suggest (README, Threads).
    const rounds = { ...timing, rounds: 3 * timing.rounds };
    return {
      layers: await layersSection({ impls, timing: rounds, log, workloads: WORKLOADS.filter((w) => w.id === 'ffn') }),
      activations: await activationSection({ impls, timing: rounds, log, kernels: KERNELS.filter((k) => k.id === 'gelu') }),
    };
  }, ['ffwd-simd', 'ffwd-relaxed', 'ffwd-simd-2t', 'ffwd-relaxed-2t', 'ort-1t', 'ort-2t']);
  if (results.peak) results.peak = (await import('./peak.js')).mergePeaks(results.peak, await measurePeaks());
  if (results.bandwidth) results.bandwidth = (await import('./bandwidth.js')).mergeBandwidth(results.bandwidth, await measureBandwidth());
  if (has('cold')) {
    log('cold…');
    const { coldSection, moduleSizes } = await import('./cold.js');
    results.cold = await coldSection({ rounds: options.coldRounds, log });
    results.sizes = await moduleSizes();
  }

  results.machine.loadAverageAtEnd = loadavg().map((l) => +l.toFixed(2));
  const text = summarize(results);
  console.log(text);
  const written = writeResults(results, new URL('bench/results/', root));
  console.log(`wrote ${written.map((f) => `bench/results/${f}`).join(', ')}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
