// Plain-text tables: the first column left-aligned, the others right-aligned unless `left` lists them.

export function table(headers, rows, left = [0]) {
  const cells = [headers, ...rows].map((r) => r.map((c) => (c === undefined || c === null ? '' : String(c))));
  const widths = headers.map((_, j) => Math.max(...cells.map((r) => [...(r[j] ?? '')].length)));
  const pad = (s, w, toLeft) => (toLeft ? s + ' '.repeat(w - [...s].length) : ' '.repeat(w - [...s].length) + s);
  const line = (r) => r.map((c, j) => pad(c, widths[j], left.includes(j))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '─'.repeat(w)).join('  ').trimEnd(), ...cells.slice(1).map(line)].join('\n');
}

/** Numbers with about three significant digits. */
export function num(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

export const times = (v) => (v === undefined || !Number.isFinite(v) ? '–' : `${num(v)}×`);
export const sci = (v) => (v === undefined || v === null ? '–' : v === 0 ? '0' : v.toExponential(1));
