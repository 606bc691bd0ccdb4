// Runs a worker under workerd the way a deployment would see it: the package comes through its
// `workerd` export condition, each `.wasm` is a Wasm module (workerd forbids compiling bytes at run
// time), and every other file is an ES module. The config is generated from the worker's imports.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { ROOT } from './install.js';
import { stopGroup } from './browsers.js';

const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const CONDITIONS = ['workerd', 'worker', 'import', 'default'];

/** Resolves `ffwd` or `ffwd/<sub>` through package.json `exports` with workerd's conditions. */
export function resolveExport(specifier) {
  const sub = specifier === PKG.name ? '.' : `./${specifier.slice(PKG.name.length + 1)}`;
  let target = PKG.exports[sub];
  if (target === undefined) throw new Error(`package.json exports has no '${sub}' (imported as '${specifier}')`);
  while (target && typeof target === 'object') {
    const key = CONDITIONS.find((c) => c in target);
    if (!key) throw new Error(`exports['${sub}'] has none of the conditions ${CONDITIONS.join(', ')}`);
    target = target[key];
  }
  return posix.normalize(target);
}

const IMPORT = /(?:^|[\s;}])(?:import|export)\s*(?:[^'"`;]*?\sfrom\s*)?['"]([^'"]+)['"]/g;

/**
 * Every module a worker needs, by its name in workerd. workerd resolves a specifier, bare ones too,
 * against the importing module's name, as wrangler's bundle would have it: the main module sits at the
 * root, local modules keep their paths relative to it, and the package's files are named
 * `node_modules/ffwd/<file>` behind one module per package specifier (`ffwd`, `ffwd/wasm/simd`).
 */
export function collectModules(main) {
  const base = posix.dirname(main);
  const modules = new Map();
  const visit = (file, name) => {
    if (modules.has(name)) return;
    modules.set(name, { type: file.endsWith('.wasm') ? 'wasm' : 'esModule', path: file });
    if (file.endsWith('.wasm')) return;
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const [, spec] of text.matchAll(IMPORT)) {
      if (spec.startsWith('.')) {
        visit(posix.join(posix.dirname(file), spec), posix.join(posix.dirname(name), spec));
      } else if (spec === PKG.name || spec.startsWith(`${PKG.name}/`)) {
        const target = resolveExport(spec);
        const inPackage = posix.join('node_modules', PKG.name, target);
        if (target.endsWith('.wasm')) modules.set(spec, { type: 'wasm', path: target });
        else if (!modules.has(spec)) {
          modules.set(spec, { type: 'shim', source: `export * from './${inPackage}';\n` });
          visit(target, inPackage);
        }
      }
      // other bare specifiers (node:*, cloudflare:*) are workerd's own
    }
  };
  const mainName = posix.relative(base, main);
  visit(main, mainName);
  if (posix.relative(base, main).startsWith('..')) throw new Error(`bad main ${main}`);
  for (const [name] of modules) {
    if (name.startsWith('..')) throw new Error(`${main} imports ${name}, outside its folder: workerd cannot name it`);
  }
  return { mainName, modules };
}

/** Writes a workerd config serving `main` on 127.0.0.1:port; returns its path. */
export function writeConfig({ name, main, port, dir, compatibilityDate = '2025-09-01', flags = [] }) {
  mkdirSync(dir, { recursive: true });
  const { mainName, modules } = collectModules(main);
  const entries = [];
  for (const [moduleName, m] of [[mainName, modules.get(mainName)], ...[...modules].filter(([n]) => n !== mainName)]) {
    if (m.type === 'shim') {
      const shim = join(dir, `${moduleName.replaceAll('/', '__')}.shim.js`);
      writeFileSync(shim, m.source);
      entries.push(`(name = ${JSON.stringify(moduleName)}, esModule = embed ${JSON.stringify(relative(dir, shim))})`);
    } else {
      entries.push(`(name = ${JSON.stringify(moduleName)}, ${m.type} = embed ${JSON.stringify(relative(dir, join(ROOT, m.path)))})`);
    }
  }
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = ${JSON.stringify(name)}, worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = ${JSON.stringify(name)}) ],
);
const worker :Workerd.Worker = (
  modules = [
    ${entries.join(',\n    ')}
  ],
  compatibilityDate = ${JSON.stringify(compatibilityDate)},
  compatibilityFlags = ${JSON.stringify(flags)},
);
`;
  const path = join(dir, `${name}.capnp`);
  writeFileSync(path, config);
  return path;
}

/**
 * Starts workerd on a config and waits until it answers. Resolves to { url, stop(), output() }.
 */
export async function startWorkerd({ bin, config, port, env, timeoutMs = 20_000 }) {
  const child = spawn(bin, ['serve', config, '--experimental'], { cwd: dirname(config), env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const stop = () => stopGroup(child, () => exited);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`workerd exited before answering:\n${output.slice(-3000)}`);
    try {
      // Any answer means it is listening; the caller makes the real requests.
      await fetch(`${url}/__ready`, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`workerd did not answer within ${timeoutMs} ms:\n${output.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, stop, output: () => output };
}
