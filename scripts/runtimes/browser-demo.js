// Tests examples/browser in headless Chromium: the page plots every activation the build has and its
// derivative from WASM values, and the benchmark completes. For each curve the test shows it alone,
// takes a screenshot and checks the pixels against the same function computed by ffwd on Node: the
// curve's colour must lie along the expected polyline, and nowhere else.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, ROOT, binary } from './install.js';
import { startServer } from './server.js';
import { decodePng, launchCdp } from './cdp.js';
import { tally } from './checks.js';

const hexColor = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** Whether pixel (r,g,b) is `color` blended over white with at least half coverage (antialiasing). */
function matches(rgba, i, color) {
  const d = color.map((c) => c - 255);
  const p = [rgba[i] - 255, rgba[i + 1] - 255, rgba[i + 2] - 255];
  const dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
  const a = (p[0] * d[0] + p[1] * d[1] + p[2] * d[2]) / dd;
  if (a < 0.5 || a > 1.2) return false;
  const r = Math.hypot(p[0] - a * d[0], p[1] - a * d[1], p[2] - a * d[2]);
  return r <= 24;
}

function distanceToSegment(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = dx === 0 && dy === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Checks one panel of one curve in a decoded screenshot. */
function inspectPanel(image, rect, panel, xRange, xs, values, color, width) {
  const toPage = (x, y) => [
    rect.left + panel.left + ((x - xRange[0]) / (xRange[1] - xRange[0])) * panel.width,
    rect.top + panel.top + ((panel.y[1] - y) / (panel.y[1] - panel.y[0])) * panel.height,
  ];
  const clamp = (v) => Math.max(panel.y[0] - 1, Math.min(panel.y[1] + 1, v));
  const points = Array.from(xs, (x, i) => toPage(x, clamp(values[i])));
  const at = (x, y) => (Math.round(y) * image.width + Math.round(x)) * 4;
  const inside = (x, y) => x >= rect.left + panel.left + 2 && x <= rect.left + panel.left + panel.width - 2 && y >= rect.top + panel.top + 2 && y <= rect.top + panel.top + panel.height - 2;

  // 1. The colour is found near the expected point at evenly spaced samples.
  let tried = 0;
  let hits = 0;
  const misses = [];
  for (let k = 0; k < 80; k++) {
    const i = Math.round((k * (xs.length - 1)) / 79);
    const [x, y] = points[i];
    if (!inside(x, y)) continue;
    tried++;
    let found = false;
    for (let dy = -3; dy <= 3 && !found; dy++) for (let dx = -3; dx <= 3 && !found; dx++) found = matches(image.rgba, at(x + dx, y + dy), color);
    if (found) hits++;
    else if (misses.length < 3) misses.push(`x=${xs[i].toFixed(2)} f=${values[i].toPrecision(4)} at (${x.toFixed(0)}, ${y.toFixed(0)})`);
  }
  // 2. No pixel of that colour lies away from the expected curve.
  let coloured = 0;
  let stray = 0;
  let strayAt = '';
  const x0 = Math.ceil(rect.left + panel.left);
  const x1 = Math.floor(rect.left + panel.left + panel.width);
  const y0 = Math.ceil(rect.top + panel.top);
  const y1 = Math.floor(rect.top + panel.top + panel.height);
  const step = (xs.length - 1) / (x1 - x0);
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      if (!matches(image.rgba, (py * image.width + px) * 4, color)) continue;
      coloured++;
      // the polyline is monotone in x: only the segments around px can be close
      const centre = Math.round((px - x0) * step);
      const span = Math.ceil(step * (width + 4)) + 2;
      let best = Infinity;
      for (let i = Math.max(0, centre - span); i < Math.min(points.length - 1, centre + span); i++) {
        best = Math.min(best, distanceToSegment(px, py, points[i], points[i + 1]));
      }
      if (best > width / 2 + 2.5) {
        stray++;
        if (!strayAt) strayAt = `(${px}, ${py}) ${best.toFixed(1)} px off`;
      }
    }
  }
  return { tried, hits, misses, coloured, stray, strayAt };
}

/** The demo page as served from the work tree (`npm run build && node examples/browser/serve.js`). */
export async function testBrowserDemo({ env, timeoutMs = 90_000 }) {
  const server = await startServer();
  try {
    return await checkDemo({ env, timeoutMs, url: `${server.origin}/examples/browser/?bench=off`, screenshot: 'browser-demo.png' });
  } finally {
    await server.close();
  }
}

/** The demo page built by Vite (`vite build examples/browser`): the .wasm must be emitted as an asset and load. */
export async function testBrowserDemoVite({ env, timeoutMs = 90_000 }) {
  const outDir = join(CACHE, 'vite-demo');
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', 'examples/browser', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: ROOT, env, stdio: 'pipe' });
  const assets = readdirSync(join(outDir, 'assets'));
  const result = { passed: 0, failed: 0, skipped: [], errors: [] };
  const emitted = assets.some((f) => /^ffwd\.simd-.*\.wasm$/.test(f)) && assets.some((f) => /^ffwd\.relaxed-.*\.wasm$/.test(f));
  if (!emitted) return { ...result, failed: 1, errors: [`vite build emitted no .wasm assets: ${assets.join(', ')}`] };
  const server = await startServer({ root: outDir, served: [''] });
  try {
    return await checkDemo({
      env, timeoutMs, url: `${server.origin}/?bench=off`, screenshot: 'browser-demo-vite.png',
      async extra(page, check) {
        check('vite: the build emitted both .wasm files as assets', true);
        const loaded = await page.evaluate(`performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.wasm'))`);
        check('vite: the page loaded its .wasm from the emitted assets', loaded.length > 0 && loaded.every((p) => /^\/assets\/ffwd\.(simd|relaxed)-[^/]+\.wasm$/.test(p)), `loaded ${loaded.join(', ') || 'none'}`);
      },
    });
  } finally {
    await server.close();
  }
}

async function checkDemo({ env, timeoutMs, url, screenshot, extra }) {
  const { result, check } = tally();
  const { init } = await import(join(ROOT, 'dist/index.node.js'));
  const local = await init({ build: 'simd' });
  const browser = await launchCdp(binary('chromium'), env);
  try {
    const page = await browser.open(url);
    await page.waitFor(`window.ffwdDemo && ['plotted', 'failed'].includes(window.ffwdDemo.state)`, timeoutMs, 'the plots');
    const info = await page.evaluate(`(() => {
      const d = window.ffwdDemo;
      const r = document.getElementById('plot').getBoundingClientRect();
      return { state: d.state, error: d.error, build: d.build, threads: d.threads, threadsUnavailable: d.threadsUnavailable, rect: { left: r.left, top: r.top, width: r.width, height: r.height },
        panels: d.panels, xRange: d.xRange, samples: d.samples, verified: d.state === 'plotted' && d.verify(),
        curves: d.curves.map((c) => ({ id: c.id, fn: c.fn, slope: c.slope, color: c.color, width: c.width, f: !!c.f, df: !!c.df })) };
    })()`);
    if (!check('demo: page plots', info.state === 'plotted', info.error ?? info.state)) return result;
    check('demo: the plotted values are the WASM module’s, bit for bit', info.verified === true);
    // served with COOP/COEP: 'auto' runs every core Chromium reports (at most 8), and the page says so
    const shown = await page.evaluate(`document.getElementById('build').textContent`);
    check('demo: runs threads on the isolated page and shows how many', info.threads > 1 && shown.includes(`${info.threads} threads`),
      `threads ${info.threads} (${info.threadsUnavailable}), shown '${shown}'`);
    if (extra) await extra(page, check);

    const xs = new Float32Array(info.samples).map((_, i) => info.xRange[0] + ((info.xRange[1] - info.xRange[0]) * i) / (info.samples - 1));
    const ones = new Float32Array(xs.length).fill(1);
    check('demo: every curve and its derivative are plotted', info.curves.length > 0 && info.curves.every((c) => c.f && c.df));

    for (const curve of info.curves) {
      await page.evaluate(`window.ffwdDemo.show(${JSON.stringify([curve.id])})`);
      await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
      const image = decodePng(await page.screenshot());
      const args = curve.slope === undefined ? [] : [curve.slope];
      const panels = [
        ['f', local[curve.fn](xs.slice(), ...args)],
        ['df', local[`${curve.fn}Backward`](xs.slice(), ones.slice(), ...args)],
      ];
      for (const [key, values] of panels) {
        const r = inspectPanel(image, info.rect, info.panels[key], info.xRange, xs, values, hexColor(curve.color), curve.width);
        check(`demo: ${curve.id} ${key === 'f' ? 'f(x)' : "f'(x)"} drawn where ffwd puts it`, r.tried > 10 && r.hits >= 0.95 * r.tried,
          `${r.hits}/${r.tried} sample points found; missed ${r.misses.join(', ')}`);
        check(`demo: ${curve.id} ${key === 'f' ? 'f(x)' : "f'(x)"} has no stray pixels`, r.coloured > 100 && r.stray <= 0.01 * r.coloured,
          `${r.stray} of ${r.coloured} pixels of its colour off the curve, first ${r.strayAt}`);
      }
    }

    // All curves again, kept for people to look at.
    await page.evaluate(`window.ffwdDemo.show(${JSON.stringify(info.curves.map((c) => c.id))})`);
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');

    // The benchmark: started by its button, the progress bar moves, a row per function comes back.
    await page.evaluate(`document.getElementById('run').click()`);
    const seen = new Set();
    const deadline = Date.now() + timeoutMs;
    let state;
    for (;;) {
      const now = await page.evaluate(`({ state: window.ffwdDemo.state, value: document.getElementById('progress').value })`);
      seen.add(now.value);
      state = now.state;
      if (state === 'benchmarked' || state === 'failed' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const bench = await page.evaluate(`({ error: window.ffwdDemo.error, rows: window.ffwdDemo.benchmark, progress: window.ffwdDemo.progress,
      shown: !document.getElementById('results').hidden, cells: document.querySelectorAll('#results tbody tr').length })`);
    if (check('demo: benchmark completes', state === 'benchmarked', state === 'failed' ? bench.error : `state ${state} after ${timeoutMs} ms`)) {
      check('demo: benchmark has a row per function, with times', bench.rows.length > 0 && bench.shown && bench.cells === bench.rows.length &&
        bench.rows.every((r) => r.ffwdNs > 0 && r.jsNs > 0 && Number.isFinite(r.speedup)), JSON.stringify(bench.rows));
      check('demo: the progress indicator moves from 0 to 1', bench.progress[0] === 0 && bench.progress.at(-1) === 1 &&
        bench.progress.some((p) => p > 0 && p < 1) && [...seen].some((p) => p > 0 && p < 1), `reported ${bench.progress.join(', ')}; seen ${[...seen].join(', ')}`);
      result.benchmark = bench.rows;
    }
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(join(CACHE, screenshot), await page.screenshot());
    result.build = info.build;
    result.threads = info.threads;
  } catch (error) {
    check('demo', false, `${error.message}\n${browser.output().slice(-1000)}`);
  } finally {
    await browser.stop();
  }
  return result;
}
