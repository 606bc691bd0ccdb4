// A tiny static server on 127.0.0.1 for the browser runs: serves the work tree's dist/, build/,
// test/conformance/ and examples/browser/ with COOP/COEP (cross-origin isolation, which threads need)
// and collects the results that pages POST back to /result?id=….
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { ROOT } from './install.js';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const SERVED = ['dist/', 'build/', 'test/conformance/', 'examples/browser/', 'package.json'];
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The package's entry for browsers, as a bundler would resolve package.json `exports`. */
async function importMap() {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
  const resolve = (target) => {
    while (target && typeof target === 'object') {
      const key = ['browser', 'import', 'default'].find((c) => c in target);
      target = target[key];
    }
    return '/' + normalize(target).replace(/^\.?\//, '');
  };
  const imports = {};
  for (const [sub, target] of Object.entries(pkg.exports)) imports[sub === '.' ? pkg.name : pkg.name + sub.slice(1)] = resolve(target);
  return `<script type="importmap">${JSON.stringify({ imports })}</script>`;
}

/** Starts the server on 127.0.0.1 (`port` 0: any free port). `root` and `served` (path prefixes, '' for
 * everything) default to the work tree's dist/, build/, test/conformance/ and examples/browser/;
 * `isolated: false` leaves out COOP/COEP (a page that is not cross-origin isolated: no threads). */
export async function startServer({ port = 0, root = ROOT, served = SERVED, isolated = true } = {}) {
  const HEADERS = { ...(isolated ? ISOLATION : {}), 'Cache-Control': 'no-store' };
  const results = new Map();
  const waiting = new Map();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    try {
      if (req.method === 'POST' && url.pathname === '/result') {
        let body = '';
        for await (const chunk of req) body += chunk;
        const id = url.searchParams.get('id') ?? '';
        let value;
        try {
          value = JSON.parse(body);
        } catch {
          value = { error: `unparsable result: ${body.slice(0, 200)}` };
        }
        results.set(id, value);
        waiting.get(id)?.(value);
        res.writeHead(204, HEADERS).end();
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { ...HEADERS, Allow: 'GET, HEAD' }).end();
      let path = decodeURIComponent(url.pathname).replace(/^\/+/, '');
      if (path.endsWith('/') || path === '') path += 'index.html';
      path = normalize(path);
      if (path.startsWith('..') || !served.some((prefix) => path === prefix || path.startsWith(prefix))) {
        return void res.writeHead(404, HEADERS).end('not served');
      }
      const file = join(root, path);
      if (!(await stat(file).catch(() => null))?.isFile()) return void res.writeHead(404, HEADERS).end('not found');
      let body = await readFile(file);
      if (extname(file) === '.html') body = body.toString('utf8').replace('<!--IMPORTMAP-->', await importMap());
      res.writeHead(200, { ...HEADERS, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      res.writeHead(500, HEADERS).end(String(error));
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    /** Resolves with what the page POSTed for `id`, or rejects after timeoutMs. */
    result(id, timeoutMs) {
      if (results.has(id)) return Promise.resolve(results.get(id));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no result posted within ${timeoutMs} ms`)), timeoutMs);
        waiting.set(id, (value) => {
          clearTimeout(timer);
          resolve(value);
        });
      });
    },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
