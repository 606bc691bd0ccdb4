// The demo page: plots each activation and its derivative from values the WASM module computes, then
// benchmarks ffwd against plain JavaScript. `window.ffwdDemo` exposes what was drawn (the browser test
// reads it, takes screenshots and checks the pixels).
import { init } from 'ffwd';
import { runBenchmark } from './bench.js';

const X_RANGE = [-4, 4];
const PANELS = {
  f: { title: 'f(x)', left: 50, top: 28, width: 480, height: 360, y: [-1.5, 4.2], ticks: [-1, 0, 1, 2, 3, 4] },
  df: { title: 'f′(x)', left: 600, top: 28, width: 480, height: 360, y: [-0.4, 1.4], ticks: [-0.25, 0, 0.25, 0.5, 0.75, 1, 1.25] },
};
// Drawing order matters: exact GELU is drawn wide, tanh-GELU thin on top, so both stay visible.
const CURVES = [
  { id: 'gelu', label: 'GELU (exact, erf)', fn: 'gelu', color: '#1f77b4', width: 5 },
  { id: 'gelu_tanh', label: 'GELU (tanh approximation)', fn: 'geluTanh', color: '#ff7f0e', width: 1.75 },
  { id: 'sigmoid', label: 'sigmoid', fn: 'sigmoid', color: '#2ca02c', width: 2.5 },
  { id: 'tanh', label: 'tanh', fn: 'tanh', color: '#d62728', width: 2.5 },
  { id: 'relu', label: 'ReLU', fn: 'relu', color: '#9467bd', width: 2.5 },
  { id: 'leaky_relu', label: 'Leaky ReLU (slope 0.1)', fn: 'leakyRelu', slope: 0.1, color: '#e377c2', width: 2.5 },
];
const SAMPLES = 801;

const demo = (window.ffwdDemo = { state: 'loading', curves: [], panels: PANELS, xRange: X_RANGE, samples: SAMPLES });

/** f and f′ of one curve over the grid, computed by ffwd on Tensors (nothing copied per call). */
function evaluate(ffwd, curve, xs) {
  const forward = ffwd[curve.fn];
  const backward = ffwd[`${curve.fn}Backward`];
  const x = ffwd.tensor(xs);
  const ones = ffwd.tensor(xs.length);
  ones.data.fill(1);
  try {
    const y = curve.slope === undefined ? forward(x) : forward(x, curve.slope);
    const f = y.data.slice();
    y.free();
    const dx = curve.slope === undefined ? backward(x, ones) : backward(x, ones, curve.slope);
    const df = dx.data.slice();
    dx.free();
    return { f, df };
  } finally {
    x.free();
    ones.free();
  }
}

const canvas = document.getElementById('plot');
const ctx = canvas.getContext('2d');
const toPixel = (panel, x, y) => [
  panel.left + ((x - X_RANGE[0]) / (X_RANGE[1] - X_RANGE[0])) * panel.width,
  panel.top + ((panel.y[1] - y) / (panel.y[1] - panel.y[0])) * panel.height,
];

function setupCanvas() {
  const ratio = window.devicePixelRatio || 1;
  const { width, height } = canvas;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  ctx.scale(ratio, ratio);
  return { width, height };
}

let size;
function draw(xs) {
  ctx.save();
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size.width, size.height);
  ctx.font = '12px system-ui, sans-serif';
  for (const [key, panel] of Object.entries(PANELS)) {
    // grid and axes
    ctx.lineWidth = 1;
    for (let x = X_RANGE[0]; x <= X_RANGE[1]; x++) {
      const [px] = toPixel(panel, x, 0);
      ctx.strokeStyle = x === 0 ? '#888' : '#eee';
      ctx.beginPath();
      ctx.moveTo(px, panel.top);
      ctx.lineTo(px, panel.top + panel.height);
      ctx.stroke();
      ctx.fillStyle = '#555';
      ctx.textAlign = 'center';
      ctx.fillText(String(x), px, panel.top + panel.height + 16);
    }
    for (const y of panel.ticks) {
      const [, py] = toPixel(panel, 0, y);
      ctx.strokeStyle = y === 0 ? '#888' : '#eee';
      ctx.beginPath();
      ctx.moveTo(panel.left, py);
      ctx.lineTo(panel.left + panel.width, py);
      ctx.stroke();
      ctx.fillStyle = '#555';
      ctx.textAlign = 'right';
      ctx.fillText(String(y), panel.left - 6, py + 4);
    }
    ctx.strokeStyle = '#bbb';
    ctx.strokeRect(panel.left, panel.top, panel.width, panel.height);
    ctx.fillStyle = '#222';
    ctx.textAlign = 'left';
    ctx.font = '14px system-ui, sans-serif';
    ctx.fillText(panel.title, panel.left, panel.top - 10);
    ctx.font = '12px system-ui, sans-serif';

    // curves, clipped to the panel
    ctx.save();
    ctx.beginPath();
    ctx.rect(panel.left, panel.top, panel.width, panel.height);
    ctx.clip();
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    for (const curve of demo.curves) {
      const values = curve[key];
      if (!curve.visible) continue;
      ctx.strokeStyle = curve.color;
      ctx.lineWidth = curve.width;
      ctx.beginPath();
      for (let i = 0; i < xs.length; i++) {
        const [px, py] = toPixel(panel, xs[i], Math.max(panel.y[0] - 1, Math.min(panel.y[1] + 1, values[i])));
        if (i === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      }
      ctx.stroke();
    }
    ctx.restore();
  }
  ctx.restore();
}

function legend(xs) {
  const box = document.getElementById('legend');
  for (const curve of demo.curves) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.checked = curve.visible;
    input.dataset.curve = curve.id;
    input.addEventListener('change', () => {
      curve.visible = input.checked;
      draw(xs);
    });
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = curve.color;
    const text = document.createElement('span');
    text.textContent = curve.label;
    label.append(input, swatch, text);
    box.append(label);
  }
}

async function main() {
  // Every core where the page is cross-origin isolated (serve.js sends COOP/COEP); 1 thread elsewhere.
  const ffwd = await init({ threads: 'auto' });
  demo.build = ffwd.build;
  demo.threads = ffwd.threads;
  demo.threadsUnavailable = ffwd.threadsUnavailable;
  const threads = ffwd.threads === 1 ? '1 thread' : `${ffwd.threads} threads`;
  document.getElementById('build').textContent =
    `${ffwd.build === 'relaxed' ? 'relaxed-SIMD build' : 'SIMD128 build'}, ${threads}`;
  document.getElementById('build').title = ffwd.threadsUnavailable ?? '';

  const xs = new Float32Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) xs[i] = X_RANGE[0] + ((X_RANGE[1] - X_RANGE[0]) * i) / (SAMPLES - 1);
  demo.xs = xs;
  for (const spec of CURVES) demo.curves.push({ ...spec, ...evaluate(ffwd, spec, xs), visible: true });
  size = setupCanvas();
  legend(xs);
  draw(xs);

  /** Shows exactly the curves named (the browser test draws them one at a time). */
  demo.show = (ids) => {
    for (const curve of demo.curves) {
      curve.visible = ids.includes(curve.id);
      const box = document.querySelector(`input[data-curve="${curve.id}"]`);
      if (box) box.checked = curve.visible;
    }
    draw(xs);
  };
  /** Recomputes every plotted value with ffwd and compares bits: what is drawn is what WASM computes. */
  demo.verify = () => {
    const bits = (a) => new Uint32Array(a.buffer, a.byteOffset, a.length);
    const same = (a, b) => bits(a).every((v, i) => v === bits(b)[i]);
    return demo.curves.every((curve) => {
      const again = evaluate(ffwd, curve, xs);
      return same(curve.f, again.f) && same(curve.df, again.df);
    });
  };
  demo.state = 'plotted';

  const button = document.getElementById('run');
  const progress = document.getElementById('progress');
  const status = document.getElementById('status');
  const table = document.getElementById('results');
  const bench = async () => {
    button.disabled = true;
    demo.state = 'benchmarking';
    demo.progress = [];
    table.hidden = true;
    try {
      const rows = await runBenchmark(ffwd, {
        onProgress(fraction, label) {
          progress.value = fraction;
          status.textContent = label;
          demo.progress.push(fraction);
        },
      });
      const body = table.tBodies[0];
      body.replaceChildren();
      for (const row of rows) {
        const tr = body.insertRow();
        for (const text of [row.name, row.ffwdNs.toFixed(2), row.jsNs.toFixed(2), `${row.speedup.toFixed(1)}×`]) tr.insertCell().textContent = text;
      }
      table.hidden = false;
      status.textContent = `done (${ffwd.build} build, ${threads})`;
      demo.benchmark = rows;
      demo.state = 'benchmarked';
    } catch (error) {
      status.textContent = `benchmark failed: ${error.message}`;
      demo.error = String(error?.stack ?? error);
      demo.state = 'failed';
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener('click', bench);
  button.disabled = false;
  if (new URLSearchParams(location.search).get('bench') !== 'off') bench();
}

main().catch((error) => {
  document.getElementById('build').textContent = `failed: ${error.message}`;
  demo.error = String(error?.stack ?? error);
  demo.state = 'failed';
});
