#!/usr/bin/env node
// Builds the four .wasm targets (asc, then wasm-opt) and the TypeScript (tsc): simd and relaxed, and
// their shared-memory twins for threads (memory imported, shared, with a declared maximum).
// `--if-stale` skips the work when every output is newer than every input (npm test/start use it).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(bin(cmd), args, { cwd: root, stdio: 'inherit' });

const TARGETS = ['simd', 'relaxed', 'simd-shared', 'relaxed-shared'];
// asc's default features plus SIMD (and relaxed SIMD, threads): wasm-opt must allow exactly what asc emitted.
const BASE_FEATURES = ['sign-ext', 'mutable-globals', 'nontrapping-float-to-int', 'bulk-memory', 'simd'];
const FEATURES = {
  simd: BASE_FEATURES,
  relaxed: [...BASE_FEATURES, 'relaxed-simd'],
  'simd-shared': [...BASE_FEATURES, 'threads'],
  'relaxed-shared': [...BASE_FEATURES, 'relaxed-simd', 'threads'],
};

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}

function isStale() {
  const outputs = [...TARGETS.map((t) => `build/ffwd.${t}.wasm`), 'dist/index.node.js'].map((p) => join(root, p));
  if (!outputs.every(existsSync)) return true;
  const inputs = ['assembly', 'src', 'asconfig.json', 'tsconfig.json', 'scripts/build.js', 'package-lock.json'];
  const newestInput = Math.max(...inputs.map((p) => newest(join(root, p))));
  return Math.min(...outputs.map((p) => statSync(p).mtimeMs)) < newestInput;
}

if (process.argv.includes('--if-stale') && !isStale()) process.exit(0);

for (const target of TARGETS) {
  run('asc', ['assembly/index.ts', '--target', target]);
  const wasm = `build/ffwd.${target}.wasm`;
  run('wasm-opt', [wasm, '-O3', ...FEATURES[target].map((f) => `--enable-${f}`), '-o', wasm]);
}
run('tsc', ['-p', '.']);
