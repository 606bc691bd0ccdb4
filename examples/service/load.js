#!/usr/bin/env node
// Load test of the service (not part of npm test): for each mode, batching and not, starts main.js on
// 127.0.0.1, runs wrk with 64 connections of single-row requests (1 in 16 of them bad, see mix.lua) for
// --duration seconds, samples the service's memory every 5 s, and prints requests/s, p50 / p99 latency,
// the answers per kind and the memory; then the same HTTP path without the block (main.js --echo), the
// ceiling of any service on this machine. Needs wrk (Debian: apt-get install wrk).
//   node examples/service/load.js [--duration 60] [--baseline-duration S] [--connections 64] [--threads auto] [--wrk-threads 1]
// (--baseline-duration: the run without batching, default --duration).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WIDTH } from './block.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    'baseline-duration': { type: 'string' },
    connections: { type: 'string', default: '64' },
    threads: { type: 'string', default: 'auto' },
    'wrk-threads': { type: 'string', default: '1' },
    port: { type: 'string', default: '18181' },
  },
});
if (spawnSync('wrk', ['--version']).error) {
  console.error('load.js needs wrk: apt-get install wrk');
  process.exit(2);
}
const here = new URL('.', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ffwd-load-'));
const rowFile = join(dir, 'row.f32');
writeFileSync(rowFile, new Uint8Array(Float32Array.from({ length: WIDTH }, (_, i) => Math.sin(i) * 2).buffer));

/** Starts main.js and resolves once it prints that it listens. */
function startService(extra) {
  const child = spawn(process.execPath, [join(here, 'main.js'), '--port', args.port, '--threads', args.threads, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const line = String(d);
      if (line.includes('listening')) resolve({ child, line: line.trim() });
    });
    child.on('exit', (code) => reject(new Error(`the service exited (${code}) before listening`)));
  });
}

const stats = async () => (await fetch(`http://127.0.0.1:${args.port}/stats`)).json();

async function measure(name, extra, seconds) {
  const { child, line } = await startService(extra);
  console.log(`${name}: ${line}`);
  const samples = [];
  const sample = async () => samples.push(await stats());
  const sampler = setInterval(sample, 5000);
  setTimeout(sample, 1000); // the first after a second of load
  const wrk = spawn('wrk', ['-t', args['wrk-threads'], '-c', args.connections, '-d', `${seconds}s`, '--latency', '-s', join(here, 'mix.lua'),
    `http://127.0.0.1:${args.port}/forward`], { env: { ...process.env, ROW: rowFile } });
  let output = '';
  wrk.stdout.on('data', (d) => (output += d));
  wrk.stderr.on('data', (d) => (output += d));
  await new Promise((resolve) => wrk.on('exit', resolve));
  clearInterval(sampler);
  const last = await stats();
  child.kill('SIGTERM');
  const json = output.split('\n').find((l) => l.startsWith('WRK-RESULT '));
  if (!json) throw new Error(`wrk printed no result:\n${output}`);
  const result = JSON.parse(json.slice('WRK-RESULT '.length));
  const rss = samples.map((s) => s.rss / 2 ** 20);
  return { name, ...result, rps: result.requests / result.seconds, rowsPerBatch: last.batches ? last.rows / last.batches : 1,
    rssFirst: rss[0], rssLast: rss.at(-1), rssMax: Math.max(...rss), wasmMiB: last.memoryBytes / 2 ** 20, threads: last.threads };
}

try {
  const baseline = args['baseline-duration'] ?? args.duration;
  const rows = [await measure('batching', [], args.duration), await measure('no batching', ['--no-batching'], baseline),
    await measure('HTTP alone (--echo, no block)', ['--echo'], baseline)];
  const ms = (us) => (us / 1000).toFixed(2);
  console.log(`\n${args.connections} connections, ${args.duration} s batching, ${args['baseline-duration'] ?? args.duration} s without, wrk -t${args['wrk-threads']}, 1 request in 16 bad\n`);
  console.log('| service | threads | requests/s | p50 ms | p99 ms | rows per forward | good sent / 200 | bad sent / 4xx | other answers | socket errors | RSS MiB first → last (max), 5 s samples |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.threads} | ${r.rps.toFixed(0)} | ${ms(r.p50_us)} | ${ms(r.p99_us)} | ${r.rowsPerBatch.toFixed(1)} | ${r.sent_good} / ${r.ok} | ${r.sent_bad} / ${r.refused} | ${r.other} | ${r.socket_errors} | ${r.rssFirst?.toFixed(1)} → ${r.rssLast?.toFixed(1)} (${r.rssMax.toFixed(1)}) |`);
  }
  console.log(`\nbatching / no batching: ${(rows[0].rps / rows[1].rps).toFixed(2)}× the requests/s, p99 ${ms(rows[0].p99_us)} vs ${ms(rows[1].p99_us)} ms; ` +
    `batching reaches ${(100 * rows[0].rps / rows[2].rps).toFixed(0)} % of the HTTP path alone`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
