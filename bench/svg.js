// The activation chart, written by hand: one panel per (call size, input distribution), in each a
// group of horizontal bars per kernel, one bar per implementation that has it, length ∝ Melem/s on
// a linear scale of the kernel's own (relu runs 100× faster than gelu: one scale would hide gelu).
import { DISTRIBUTIONS } from './data.js';
import { IMPLEMENTATIONS } from './implementations.js';
import { KERNELS } from './kernels.js';

const COLORS = {
  'ffwd-simd': '#1f6feb',
  'ffwd-simd-copy': '#79b8ff',
  'ffwd-relaxed': '#8250df',
  'ffwd-relaxed-copy': '#c297ff',
  'ort-1t': '#d4a72c',
  'ort-2t': '#f0d27a',
  tfjs: '#e16f24',
  js: '#8c959f',
};
const NAMES = {
  'ffwd-simd': 'ffwd simd (Tensor)',
  'ffwd-simd-copy': 'ffwd simd (Float32Array, copied)',
  'ffwd-relaxed': 'ffwd relaxed (Tensor)',
  'ffwd-relaxed-copy': 'ffwd relaxed (Float32Array, copied)',
  'ort-1t': 'onnxruntime-web, 1 thread',
  'ort-2t': 'onnxruntime-web, 2 threads',
  tfjs: 'tfjs-backend-wasm',
  js: 'plain JavaScript',
};

const BAR = 9;
const GAP = 2;
const GROUP_GAP = 10;
const LABEL_W = 90;
const PANEL_W = 520;
const BARS_W = PANEL_W - LABEL_W - 60;

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (x, y, s, attrs = '') => `<text x="${x}" y="${y}" ${attrs}>${esc(s)}</text>`;

function panel(rows, keys, title, x0, y0) {
  const kernels = KERNELS.filter((k) => rows.some((r) => r.kernel === k.id));
  const parts = [text(x0, y0 + 14, title, 'font-weight="bold"')];
  let y = y0 + 26;
  for (const k of kernels) {
    const here = keys.map((key) => rows.find((r) => r.kernel === k.id && r.impl === key)).filter((r) => r?.melems);
    const max = Math.max(...here.map((r) => r.melems));
    const groupH = here.length * (BAR + GAP);
    parts.push(text(x0, y + groupH / 2 + 3, k.label));
    here.forEach((r, i) => {
      const by = y + i * (BAR + GAP);
      const w = Math.max(1, (r.melems / max) * BARS_W);
      parts.push(`<rect x="${x0 + LABEL_W}" y="${by}" width="${w.toFixed(1)}" height="${BAR}" fill="${COLORS[r.impl] ?? '#444'}"><title>${esc(`${NAMES[r.impl] ?? r.impl}: ${r.melems.toFixed(1)} Melem/s`)}</title></rect>`);
      parts.push(text(x0 + LABEL_W + w + 3, by + BAR - 1, `${r.melems.toFixed(0)}${r.ok ? '' : ' (wrong)'}`, 'font-size="8"'));
    });
    y += groupH + GROUP_GAP;
  }
  return { svg: parts.join('\n'), height: y - y0 };
}

export function activationSvg(rows, machine) {
  const good = rows.filter((r) => r.melems);
  const keys = IMPLEMENTATIONS.map((i) => i.key).filter((k) => good.some((r) => r.impl === k));
  const panels = [];
  for (const n of [...new Set(good.map((r) => r.n))]) {
    for (const [dist, d] of Object.entries(DISTRIBUTIONS)) {
      const here = good.filter((r) => r.n === n && r.dist === dist);
      if (here.length) panels.push({ rows: here, title: `N = ${n} per call, input ${d.label}` });
    }
  }
  const legendH = 20 + Math.ceil(keys.length / 2) * 14;
  const cols = Math.min(2, panels.length);
  const rendered = panels.map((p, i) => ({ ...p, col: i % cols, row: Math.floor(i / cols) }));
  const heights = rendered.map((p) => panel(p.rows, keys, p.title, 0, 0).height);
  const rowH = Math.max(...heights, 0);
  const width = cols * PANEL_W + 20;
  const height = 40 + legendH + Math.ceil(panels.length / cols) * (rowH + 10);
  const body = rendered.map((p) => panel(p.rows, keys, p.title, 10 + p.col * PANEL_W, 40 + legendH + p.row * (rowH + 10)).svg);
  const legend = keys.map((k, i) => {
    const lx = 10 + (i % 2) * 300;
    const ly = 44 + Math.floor(i / 2) * 14;
    return `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${COLORS[k]}"/>${text(lx + 14, ly, NAMES[k] ?? k)}`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${text(10, 18, 'ffwd activations: million elements per second (median; higher is better)', 'font-size="14" font-weight="bold"')}
${text(10, 32, `${machine.cpu}, Node ${machine.node}, one thread unless noted; ${machine.date.slice(0, 10)}. Each kernel's bars on its own linear scale.`, 'font-size="10" fill="#555"')}
${legend.join('\n')}
${body.join('\n')}
</svg>
`;
}
