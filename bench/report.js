// The results as text tables (stdout), as JSON, and the activation chart (svg.js).
import { mkdirSync, writeFileSync } from 'node:fs';
import { DISTRIBUTIONS } from './data.js';
import { KERNELS } from './kernels.js';
import { IMPLEMENTATIONS } from './implementations.js';
import { SCALE_WORKLOADS, WORKLOADS } from './layers.js';
import { CHECKPOINT_WORKLOADS, checkpointFigures } from './checkpoints.js';
import { dtypesText } from './dtypes.js';
import { int8Text } from './int8.js';
import { activationSvg } from './svg.js';
import { num, sci, table, times } from './table.js';

const shortOf = (key) => IMPLEMENTATIONS.find((i) => i.key === key)?.short ?? key;
const implOf = (key) => IMPLEMENTATIONS.find((i) => i.key === key);
const kernelLabel = (id) => KERNELS.find((k) => k.id === id)?.label ?? id;
const FFWD_BUILDS = ['ffwd-simd', 'ffwd-relaxed'];
const BASELINES = ['ort-1t', 'tfjs'];

/** Implementations that produced at least one row, in the canonical order. */
const presentKeys = (rows) => IMPLEMENTATIONS.map((i) => i.key).filter((k) => rows.some((r) => r.impl === k));

/** Speed-ups of each ffwd build (zero-copy path) over the baselines: baseline time ÷ ffwd time. */
function ratiosOf(rows, groupKeys) {
  const groups = new Map();
  for (const r of rows) {
    const g = groupKeys.map((k) => r[k]).join('|');
    if (!groups.has(g)) groups.set(g, { ...Object.fromEntries(groupKeys.map((k) => [k, r[k]])), ms: {} });
    if (r.ms && r.ok) groups.get(g).ms[r.impl] = r.ms;
  }
  const out = [];
  for (const g of groups.values()) {
    for (const build of FFWD_BUILDS) {
      if (!g.ms[build]) continue;
      const ratio = Object.fromEntries(BASELINES.map((b) => [b, g.ms[b] ? g.ms[b] / g.ms[build] : undefined]));
      out.push({ ...Object.fromEntries(groupKeys.map((k) => [k, g[k]])), ffwd: build, vs: ratio });
    }
  }
  return out;
}

const ratioCell = (ratios, match, build, baseline) => times(ratios.find((r) => match(r) && r.ffwd === build)?.vs[baseline]);
const mark = (r) => (r === undefined ? '' : r.error ? 'ERR' : `${num(r.melems ?? r.gflops)}${r.ok ? '' : '!'}`);

function activationText(rows, ratios, rounds) {
  const keys = presentKeys(rows);
  const out = [];
  for (const n of [...new Set(rows.map((r) => r.n))]) {
    const body = [];
    for (const kernel of KERNELS.map((k) => k.id)) {
      for (const dist of Object.keys(DISTRIBUTIONS)) {
        const here = rows.filter((r) => r.n === n && r.kernel === kernel && r.dist === dist);
        if (here.length === 0) continue;
        const match = (r) => r.n === n && r.kernel === kernel && r.dist === dist;
        body.push([
          kernelLabel(kernel),
          DISTRIBUTIONS[dist].label,
          ...keys.map((k) => mark(here.find((r) => r.impl === k))),
          ...FFWD_BUILDS.flatMap((b) => BASELINES.map((base) => ratioCell(ratios, match, b, base))),
        ]);
      }
    }
    out.push(`Activations, N = ${n} per call: Melem/s (median of ${rounds} round-robin rounds; higher is better)`);
    out.push(table(['kernel', 'input', ...keys.map(shortOf), 's÷ort1', 's÷tfjs', 'r÷ort1', 'r÷tfjs'], body));
    out.push('');
  }
  out.push(
    'Columns: simd/relaxed = ffwd zero-copy Tensor path; "cp" = ffwd with Float32Array in/out (copied);',
    'ort = onnxruntime-web WASM, 1 or 2 threads; tfjs = tfjs-backend-wasm (GELU composed from its ops);',
    'js = plain JS loop (erf: A&S 7.1.26). Peers timed end to end from a Float32Array to a Float32Array.',
    's÷ort1 = ffwd simd speed-up over onnxruntime-web 1 thread (its time ÷ ffwd time); r = relaxed build.',
    '"gelu fast" rows: ffwd\'s fast GELU against the peers\' exact GELU. "!" = failed the accuracy check.',
    '',
  );
  return out.join('\n');
}

function accuracyText(rows) {
  const keys = presentKeys(rows);
  const body = KERNELS.filter((k) => rows.some((r) => r.kernel === k.id)).map((k) => [
    k.label,
    ...keys.map((key) => {
      const here = rows.filter((r) => r.kernel === k.id && r.impl === key && !r.error);
      if (here.length === 0) return '';
      const worst = Math.max(...here.map((r) => r.maxAbs));
      return `${sci(worst)}${here.every((r) => r.ok) ? '' : ' ✗'}`;
    }),
  ]);
  return [
    'Accuracy: max |y − float64 reference| over both sizes and inputs (✗ = some |error|/max(1,|ref|) > 2e-6)',
    table(['kernel', ...keys.map(shortOf)], body),
    '',
  ].join('\n');
}

/** Fraction of the matching one-core peak × threads: relaxed_madd for ffwd relaxed, mul+add otherwise. */
function peakFraction(row, peaks) {
  if (!peaks || !row.gflops) return undefined;
  const kind = implOf(row.impl)?.build === 'relaxed' ? 'relaxedMadd' : 'mulAdd';
  const peak = peaks[kind]?.gflops;
  return peak ? row.gflops / (peak * (implOf(row.impl)?.threads ?? 1)) : undefined;
}

function layersText(rows, ratios, peaks, workloads = WORKLOADS) {
  const out = [];
  for (const w of workloads) {
    const wrows = rows.filter((r) => r.workload === w.id);
    if (wrows.length === 0) continue;
    const batches = [...new Set(wrows.map((r) => r.batch))];
    const body = presentKeys(wrows).map((key) => [
      shortOf(key),
      ...batches.flatMap((b) => {
        const r = wrows.find((x) => x.impl === key && x.batch === b);
        if (!r) return ['', '', '', ''];
        if (r.error) return ['ERR', '', '', ''];
        const f = peakFraction(r, peaks);
        return [`${num(r.ms)}${r.ok ? '' : '!'}`, num(r.gflops), f === undefined ? '–' : `${(100 * f).toFixed(0)}%`, sci(r.maxAbs)];
      }),
    ]);
    for (const build of FFWD_BUILDS) {
      if (!ratios.some((r) => r.workload === w.id && r.ffwd === build)) continue;
      for (const base of BASELINES) {
        if (!ratios.some((r) => r.workload === w.id && r.ffwd === build && r.vs[base])) continue;
        body.push([
          `${shortOf(build)}÷${shortOf(base)}`,
          ...batches.flatMap((b) => [ratioCell(ratios, (r) => r.workload === w.id && r.batch === b, build, base), '', '', '']),
        ]);
      }
    }
    out.push(`${w.label}: ms per call, GFLOP/s, % of peak, max |error| vs float64 (medians)`);
    out.push(table(['impl', ...batches.flatMap((b) => [`B=${b} ms`, 'GFLOP/s', 'peak', 'max err'])], body));
    out.push('');
  }
  if (out.length) {
    out.push(
      'peak = GFLOP/s ÷ (one-core peak × threads): relaxed_madd peak for ffwd relaxed, mul+add peak for the rest.',
      'ffwd rows appear once ffwd has feedForward (FFN) / linear (GEMM). "!" = failed the accuracy check.',
      '',
    );
  }
  return out.join('\n');
}

/**
 * What the scale section adds: each ffwd build's GFLOP/s on 1024→4096→1024 at batch 64 as a share of
 * the seed's block at batch 128 (a bigger GEMM should be no less efficient), and at batch 1 the
 * weights' bytes per second against the measured read bandwidth.
 */
function scaleText(rows, bandwidth) {
  const out = [];
  const at = (workload, batch, impl) => rows.find((r) => r.workload === workload && r.batch === batch && r.impl === impl && r.gflops);
  const yardstick = FFWD_BUILDS.map((b) => [shortOf(b), at('ffn1k', 64, b), at('seed', 128, b)])
    .filter(([, big, seed]) => big && seed)
    .map(([b, big, seed]) => [b, num(big.gflops), num(seed.gflops), `${(100 * big.gflops / seed.gflops).toFixed(0)}%`]);
  if (yardstick.length) {
    out.push('Bigger vs smaller GEMM: GFLOP/s of FFN 1024→4096→1024 at B=64 ÷ FFN 512→2048→512 at B=128, same build');
    out.push(table(['build', '1024/4096 B=64', '512/2048 B=128', 'ratio'], yardstick), '');
  }
  const single = rows.filter((r) => r.batch === 1 && r.weightGBs);
  if (single.length) {
    const bw = bandwidth?.gbs;
    const share = (gbs, of) => (of ? `${(100 * gbs / of).toFixed(0)}%` : '–');
    out.push('Batch 1: GB/s of float32 weights read per call, vs the WASM read loop over as many bytes in the same rounds (medians;');
    out.push(`the best of 1 … 4 runs at once), and vs the best single pass of bench/bandwidth.js (${bw ? `${num(bw)} GB/s` : 'not measured'}, ${bandwidth?.mib ?? '–'} MiB, before and after the sections)`);
    out.push(table(['workload', 'impl', 'GB/s', 'read loop GB/s', 'of read loop', 'of best pass'], single.map((r) => [
      SCALE_WORKLOADS.find((w) => w.id === r.workload)?.label ?? r.workload, shortOf(r.impl), num(r.weightGBs),
      r.readGBs ? `${num(r.readGBs)} (${r.readStreams} run${r.readStreams > 1 ? 's' : ''})` : '–', share(r.weightGBs, r.readGBs), share(r.weightGBs, bw),
    ]), [0, 1]), '');
  }
  return out.join('\n');
}

function bandwidthText(bandwidth) {
  return [
    `WebAssembly read bandwidth, one core, ${bandwidth.mib} MiB buffer: ${num(bandwidth.gbs)} GB/s best, ${num(bandwidth.median)} median, ` +
      `reading ${bandwidth.streams} run(s) at once (medians by runs: ${Object.entries(bandwidth.perStreams ?? {}).map(([s, g]) => `${s}: ${g}`).join(', ')})`,
    '',
  ].join('\n');
}

function peakText(peaks) {
  const body = Object.entries(peaks).map(([kind, p]) => [
    kind === 'mulAdd' ? 'f32x4.mul + f32x4.add' : 'f32x4.relaxed_madd',
    p ? num(p.gflops) : 'unsupported',
    p ? num(p.median) : '',
    p ? `${p.chains} chains × ${p.unroll} unrolled` : '',
  ]);
  return ['WebAssembly SIMD peak, one core (best run; median beside it)', table(['kernel', 'GFLOP/s', 'median', 'loop'], body), ''].join('\n');
}

function coldText(cold, sizes) {
  const out = [];
  if (cold) {
    const body = cold.map((r) => [
      r.target,
      r.ms !== undefined ? `${num(r.ms)}${r.ok ? '' : '!'}` : 'ERR',
      r.parts ? Object.entries(r.parts).map(([k, v]) => `${k} ${num(v)}`).join(', ') : '',
      [r.kernel ? `kernel ${r.kernel}` : '', r.note, r.error].filter(Boolean).join('; '),
    ]);
    out.push('Cold start: ms from .wasm bytes in memory to first result, fresh process per sample (median)');
    out.push(table(['target', 'ms', 'parts (ms)', 'note'], body, [0, 2, 3]), '');
  }
  if (sizes) {
    const kib = (b) => (b / 1024).toFixed(b < 102400 ? 1 : 0);
    const body = sizes.map((s) => [s.name, s.raw ? kib(s.raw) : `ERR ${s.error}`, s.gzip ? kib(s.gzip) : '', s.file ?? '']);
    out.push('Module sizes (KiB)', table(['module', 'raw', 'gzip -9', 'file'], body, [0, 3]), '');
  }
  return out.join('\n');
}

/** Failures, one line per distinct message: which implementations, in which cases. */
/** The issue's thread targets: 2 threads ÷ 1 thread of the same build, and 2 threads ÷ onnxruntime-web 2 threads. */
const THREAD_TARGETS = [
  { what: 'FFN 512/2048 batch 128, 2 threads vs 1', rows: 'layers', match: { workload: 'ffn', batch: 128 }, base: '', target: 1.8 },
  { what: 'FFN 512/2048 batch 8, 2 threads vs 1', rows: 'layers', match: { workload: 'ffn', batch: 8 }, base: '', target: 1.5 },
  { what: 'FFN 512/2048 batch 1, 2 threads vs 1', rows: 'layers', match: { workload: 'ffn', batch: 1 }, base: '', target: 1.2 },
  { what: 'GELU on 1M N(0,1), 2 threads vs 1', rows: 'activations', match: { kernel: 'gelu', n: 1 << 20, dist: 'normal' }, base: '', target: 1.7 },
  { what: 'FFN batch 128, 2 threads vs onnxruntime-web 2 threads', rows: 'layers', match: { workload: 'ffn', batch: 128 }, base: 'ort-2t', target: 2 },
];

/** Speed-ups of ffwd on 2 threads, per build, against the targets. */
export function threadFigures(results) {
  const figures = [];
  for (const t of THREAD_TARGETS) {
    // The threads section's own rows (measured alone) where it ran, else the ffn and activations sections'.
    const source = results.threads?.[t.rows] ?? results[t.rows] ?? [];
    const rows = source.filter((r) => Object.entries(t.match).every(([k, v]) => r[k] === v) && r.ms && r.ok);
    const ms = (key) => rows.find((r) => r.impl === key)?.ms;
    for (const build of FFWD_BUILDS) {
      const two = ms(`${build}-2t`);
      const base = ms(t.base || build);
      if (two && base) figures.push({ what: t.what, build: build.replace('ffwd-', ''), baseMs: base, twoMs: two, ratio: base / two, target: t.target, met: base / two >= t.target });
    }
  }
  return figures;
}

function threadsText(figures) {
  if (figures.length === 0) return '';
  return [
    'Threads: ffwd init({ threads: 2 }) (zero-copy path) against 1 thread of the same build, and against onnxruntime-web 2 threads',
    table(['figure', 'build', 'base ms', '2 threads ms', 'speed-up', 'target', ''],
      figures.map((f) => [f.what, f.build, num(f.baseMs), num(f.twoMs), times(f.ratio), `≥ ${f.target}×`, f.met ? 'met' : 'NOT met'])),
    '',
  ].join('\n');
}

function errorsText(results) {
  const lines = (results.implementations ?? []).filter((i) => i.error).map((i) => `${i.key}: could not open: ${i.error}`);
  const byMessage = new Map();
  for (const r of [...(results.activations ?? []), ...(results.layers ?? []), ...(results.scale ?? []), ...(results.checkpoints ?? []), ...(results.dtypes ?? []), ...(results.int8 ?? [])].filter((x) => x.error)) {
    const what = r.kernel ?? r.workload;
    const key = `${what}\u0000${r.error}`;
    if (!byMessage.has(key)) byMessage.set(key, { what, error: r.error, impls: new Set(), cases: new Set() });
    const e = byMessage.get(key);
    e.impls.add(r.impl);
    e.cases.add(r.n ? `N=${r.n}${r.dist ? ` ${r.dist}` : ''}` : `B=${r.batch}`);
  }
  for (const e of byMessage.values()) lines.push(`${e.what} [${[...e.cases].join(', ')}] ${[...e.impls].join(', ')}: ${e.error}`);
  return lines.length ? ['Problems', ...lines.map((l) => `  ${l}`), ''].join('\n') : '';
}

export function machineText(m, options) {
  return [
    `ffwd bench — ${m.cpu}${m.cpuFamily ? ` (${m.cpuFamily}, ${m.cpuMHz} MHz, ${m.vectorFlags.join('/')})` : ''}, ${m.cores} cores`,
    `Node ${m.node} (V8 ${m.v8}), ${m.platform}, ${m.memoryGiB} GiB, load average ${m.loadAverage.join(' ')} at start${m.loadAverageAtEnd ? `, ${m.loadAverageAtEnd.join(' ')} at end` : ''}`,
    `options: ${options.quick ? 'quick' : 'full'}, ${options.rounds} rounds, ~${options.targetMs} ms per sample, sections ${options.sections.join(', ')}`,
    '',
  ].join('\n');
}

/** Adds the derived numbers (ratios, peak fractions) to the results and renders the text. */
export function summarize(results) {
  const { options } = results;
  const parts = [machineText(results.machine, options)];
  if (results.capabilities) {
    parts.push(`ffwd exports: ${Object.entries(results.capabilities).map(([b, c]) => `${b}: ${c.join(' ')}`).join(' | ')}`, '');
  }
  if (results.peak) parts.push(peakText(results.peak));
  if (results.bandwidth) parts.push(bandwidthText(results.bandwidth));
  if (results.activations) {
    results.activationRatios = ratiosOf(results.activations, ['kernel', 'n', 'dist']);
    parts.push(activationText(results.activations, results.activationRatios, options.rounds), accuracyText(results.activations));
  }
  if (results.layers) {
    for (const r of results.layers) {
      const f = peakFraction(r, results.peak);
      if (f !== undefined) r.peakFraction = f;
    }
    results.layerRatios = ratiosOf(results.layers, ['workload', 'batch']);
    parts.push(layersText(results.layers, results.layerRatios, results.peak));
  }
  if (results.scale) {
    for (const r of results.scale) {
      const f = peakFraction(r, results.peak);
      if (f !== undefined) r.peakFraction = f;
    }
    results.scaleRatios = ratiosOf(results.scale, ['workload', 'batch']);
    parts.push('FFN at scale', '', layersText(results.scale, results.scaleRatios, results.peak, SCALE_WORKLOADS), scaleText(results.scale, results.bandwidth));
  }
  if (results.checkpoints) {
    results.checkpointRatios = ratiosOf(results.checkpoints, ['workload', 'batch']);
    results.checkpointFigures = checkpointFigures(results.checkpoints);
    parts.push(layersText(results.checkpoints, results.checkpointRatios, results.peak, CHECKPOINT_WORKLOADS));
    parts.push(table(['impl', 'batch', 'figure', 'value'], results.checkpointFigures.map((f) => [shortOf(f.impl), f.batch, f.what, f.value.toFixed(3)])), '');
  }
  if (results.dtypes) parts.push(dtypesText(results.dtypes, table));
  if (results.int8) parts.push(int8Text(results.int8, table));
  results.threadFigures = threadFigures(results);
  parts.push(threadsText(results.threadFigures));
  if (results.cold || results.sizes) parts.push(coldText(results.cold, results.sizes));
  parts.push(errorsText(results));
  return parts.filter(Boolean).join('\n');
}

/** Writes latest.json, a timestamped copy, and activations.svg into `dir`. */
export function writeResults(results, dir) {
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(results, null, 1);
  writeFileSync(new URL('latest.json', dir), json);
  writeFileSync(new URL(`${results.machine.date.replace(/[:.]/g, '-')}.json`, dir), json);
  const written = ['latest.json'];
  if (results.activations?.length) {
    writeFileSync(new URL('activations.svg', dir), activationSvg(results.activations, results.machine));
    written.push('activations.svg');
  }
  return written;
}
