// Tests examples/worker under workerd, configured from its wrangler.jsonc: the endpoints answer the
// same bits as ffwd's simd build on Node, and bad bodies get the 4xx they should.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, posix } from 'node:path';
import { CACHE, ROOT, binary } from './install.js';
import { startWorkerd, writeConfig } from './workerd.js';
import { stopGroup } from './browsers.js';
import { tally } from './checks.js';

const DIR = 'examples/worker';

/** JSON with // and /* comments and trailing commas, as wrangler.jsonc allows. */
export function parseJsonc(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (ch === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 1;
    } else out += ch;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

/** Answers from the OS a TCP port free on 127.0.0.1 now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The example under plain workerd, its config generated from wrangler.jsonc (no bundler involved). */
export async function testWorkerExample({ env, timeoutMs = 60_000 }) {
  const wrangler = parseJsonc(readFileSync(join(ROOT, DIR, 'wrangler.jsonc'), 'utf8'));
  const port = await freePort();
  const config = writeConfig({
    name: 'example',
    main: posix.join(DIR, wrangler.main),
    port,
    dir: join(CACHE, 'workerd-example'),
    compatibilityDate: wrangler.compatibility_date,
    flags: wrangler.compatibility_flags ?? [],
  });
  const server = await startWorkerd({ bin: binary('workerd'), config, port, env, timeoutMs });
  try {
    return await checkWorker(server.url, timeoutMs, server.output);
  } finally {
    await server.stop();
  }
}

/** The example as its README runs it: `wrangler dev` (on Node 24: wrangler 4.1xx needs Node ≥ 22), which
 * bundles src/index.js with esbuild, applies wrangler.jsonc's rules and runs the bundle in workerd. */
export async function testWorkerWrangler({ env, timeoutMs = 60_000 }) {
  const port = await freePort();
  const args = [binary('wrangler'), 'dev', '-c', join(DIR, 'wrangler.jsonc'), '--ip', '127.0.0.1', '--port', String(port),
    '--persist-to', join(CACHE, 'wrangler-state'), '--log-level', 'warn', '--show-interactive-dev-session=false'];
  const child = spawn(binary('node24'), args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // no Request.cf lookup (this machine has no network), no metrics, no prompts
    env: { ...env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', CI: '1' },
  });
  let output = '';
  child.stdout.on('data', (d) => (output = (output + d).slice(-20000)));
  child.stderr.on('data', (d) => (output = (output + d).slice(-20000)));
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited) throw new Error(`wrangler dev exited:\n${output.slice(-3000)}`);
      const ok = await fetch(url + '/', { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`wrangler dev did not answer within ${timeoutMs} ms:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return await checkWorker(url, timeoutMs, () => output);
  } catch (error) {
    return { passed: 0, failed: 1, skipped: [], errors: [String(error.message ?? error)] };
  } finally {
    await stopGroup(child, () => exited);
  }
}

/** The HTTP checks, against a running worker at `base`. */
async function checkWorker(base, timeoutMs, output) {
  const { init } = await import(join(ROOT, 'dist/index.node.js'));
  const { demoWeights, D_MODEL, MAX_BODY_BYTES } = await import(join(ROOT, DIR, 'src/model.js'));
  const local = await init({ build: 'simd' });
  const server = { url: base, output };
  const { result, check } = tally();
  const post = (path, body, type = 'application/octet-stream') =>
    fetch(server.url + path, { method: 'POST', body, headers: type ? { 'Content-Type': type } : {}, signal: AbortSignal.timeout(timeoutMs) });
  const errorOf = async (response) => {
    try {
      return (await response.json()).error ?? '';
    } catch {
      return '';
    }
  };
  const bytesOf = (f) => new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

  try {
    const info = await fetch(server.url + '/');
    const about = await info.json().catch(() => ({}));
    check('GET / describes the worker', info.status === 200 && about.build === 'simd', `${info.status} ${JSON.stringify(about)}`);

    // POST /gelu: the same bits as ffwd.gelu on Node (simd build), specials and a tail included.
    const input = new Float32Array(1027);
    for (let i = 0; i < input.length; i++) input[i] = -8 + (16 * i) / (input.length - 1);
    input.set([0, -0, Infinity, -Infinity, NaN, 1e-40, -3.4e38], 0);
    const response = await post('/gelu', input);
    const got = new Uint8Array(await response.arrayBuffer());
    const want = bytesOf(local.gelu(input.slice()));
    check('POST /gelu answers 200 with ffwd.gelu’s bits', response.status === 200 && same(got, want), `status ${response.status}, ${got.length} bytes`);

    // POST /ffn: the demo block, the same bits as on Node.
    const rows = 3;
    const x = new Float32Array(rows * D_MODEL).map((_, i) => Math.sin(i * 0.37) * 2);
    const ffnResponse = await post('/ffn', x);
    const ffn = local.feedForward(demoWeights());
    const wantFfn = bytesOf(ffn.forward(x, rows));
    const gotFfn = new Uint8Array(await ffnResponse.arrayBuffer());
    check('POST /ffn answers 200 with the block’s bits', ffnResponse.status === 200 && same(gotFfn, wantFfn), `status ${ffnResponse.status}, ${gotFfn.length} bytes`);
    const badRows = await post('/ffn', new Float32Array(D_MODEL + 1));
    const badRowsMessage = await errorOf(badRows);
    check('POST /ffn with a partial row: 400 naming the row size', badRows.status === 400 && badRowsMessage.includes(`${4 * D_MODEL}`), `${badRows.status} ${badRowsMessage}`);

    const cases = [
      ['a length that is not a multiple of 4', () => post('/gelu', new Uint8Array(5)), 400, /multiple of 4/],
      ['an empty body', () => post('/gelu', new Uint8Array(0)), 400, /empty/],
      ['a body over the limit', () => post('/gelu', new Uint8Array(MAX_BODY_BYTES + 4)), 413, /limit/],
      ['Content-Type text/plain', () => post('/gelu', '1.0, 2.0', 'text/plain'), 415, /Content-Type/],
      ['Content-Type application/json', () => post('/gelu', '[1, 2]', 'application/json'), 415, /Content-Type/],
      ['GET /gelu', () => fetch(server.url + '/gelu'), 405, /POST/],
      ['an unknown path', () => post('/nope', new Uint8Array(4)), 404, /no route/],
    ];
    for (const [what, send, status, pattern] of cases) {
      const r = await send();
      const message = await errorOf(r);
      check(`${what}: ${status} with a clear message`, r.status === status && pattern.test(message), `${r.status} '${message}'`);
    }
  } catch (error) {
    check('worker example', false, `${error.message}\n${server.output().slice(-1500)}`);
  }
  return result;
}
