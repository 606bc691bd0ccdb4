// Section "int8": int8 weights against float32, and against onnxruntime-web's dynamic quantisation, on
// the seed block 512 → 2048 → GELU → 512 and FFN 2048 → 8192 → GELU → 2048, every variant of a batch
// timed in the same rounds. ffwd: 'f32', 'bf16' and 'f16' (for the table of every dtype; checked
// against the float32 model with the sanity bound X_TOLERANCE), 'int8' (dtype 'int8': weights per output row symmetric int8,
// x stays float32) and 'int8+compute' (compute: 'int8' too: x quantised per row at run time, integer
// dot products). onnxruntime-web (1 thread): the float32 graph ('f32') and the graph as
// quantize_dynamic leaves it ('dynamic': com.microsoft DynamicQuantizeMatMul, the same int8 weights per
// output column, x per tensor uint8 at run time; onnx.js layersModel `quantized`).
// The weights are the Gaussian ones of the other sections, not rounded to anything: the quantisation
// error is what this section measures. Float64 references: the float32 model (quality: every variant's
// relative RMS error against it), the dequantised int8 model (the pass/fail check of ffwd's int8
// variants: weight-only must compute it to float32 accuracy, compute int8 to `X_TOLERANCE`), and for
// onnxruntime's quantised graph an emulation of what that graph computes (`dynamicReference`), which it
// must match to float32 accuracy: proof that the graph's scales and zero points are the intended ones.
import { makeLayers, normal } from './data.js';
import { dequantizeRows, quantizeRows } from './onnx.js';
import { REFERENCE, layersReference } from './reference.js';
import { runCase } from './case.js';

export const INT8_WORKLOADS = [
  { id: 'seed', label: 'FFN 512→2048→GELU→512 (the seed)', shape: [[512, 2048, 'gelu'], [2048, 512, null]], batches: [1, 8, 128] },
  { id: 'ffn2k', label: 'FFN 2048→8192→GELU→2048', shape: [[2048, 8192, 'gelu'], [8192, 2048, null]], batches: [1, 8, 128] },
];

/** The onnxruntime quantised path timed (layersModel `quantized`; 'MatMulInteger' runs too, slower). */
export const QUANTIZED = 'DynamicQuantizeMatMul';

export const INT8_IMPLEMENTATIONS = ['ffwd-simd', 'ffwd-relaxed', 'ort-1t'];

/** The issue's targets: relative RMS error against the float32 model, and the layers' bytes as a share of float32. */
export const INT8_TARGETS = { int8: { rms: 0.015, bytes: 0.28 }, 'int8+compute': { rms: 0.025, bytes: 0.28 } };

/**
 * Variants: id, who has it, what it asks of the layers, and which reference checks it. A variant an
 * implementation lacks prepares to null (no row); one ffwd does not have yet throws (an ERR row).
 */
export const INT8_VARIANTS = [
  { id: 'f32', ffwd: {}, ort: 'f32', check: 'f32' },
  { id: 'bf16', ffwd: { dtype: 'bf16' }, check: 'half' },
  { id: 'f16', ffwd: { dtype: 'f16' }, check: 'half' },
  { id: 'int8', ffwd: { dtype: 'int8' }, check: 'int8' },
  { id: 'int8+compute', ffwd: { dtype: 'int8', compute: 'int8' }, check: 'x' },
  { id: 'dynamic', ort: QUANTIZED, check: 'dynamic' },
];

/**
 * Largest error allowed against the dequantised model, scaled by max(1, |ref|), where x is quantised
 * too (int8 per row, or uint8 per tensor in onnxruntime): its rounding costs ≈ 1 % RMS per layer, so a
 * few % at the worst of 10⁵ outputs. A sanity bound (a wrong scale or zero point is off by far more);
 * the quality figure is the RMS error.
 */
export const X_TOLERANCE = 0.1;

/** fp32 accumulation error grows about as √K (the bound of the layers section). */
const f32Tolerance = (shape) => 1e-5 * Math.sqrt(Math.max(...shape.map(([k]) => k)));

/** ‖y − ref‖₂ ÷ ‖ref‖₂. */
export function relativeRms(y, ref) {
  if (y.length !== ref.length) return Infinity;
  let d = 0;
  let r = 0;
  for (let i = 0; i < y.length; i++) {
    d += (y[i] - ref[i]) ** 2;
    r += ref[i] ** 2;
  }
  return Math.sqrt(d / r);
}

/** The layers with each weight replaced by the float64 values its int8 quantisation stands for. */
export function dequantizedLayers(layers) {
  return layers.map((l) => ({ ...l, weight: dequantizeRows(quantizeRows(l.weight, l.outFeatures, l.inFeatures), l.outFeatures, l.inFeatures) }));
}

const roundHalfEven = (v) => {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
};

/**
 * What the quantize_dynamic graph computes, in float64 but for the float32 scales: per layer x
 * quantised per tensor as ONNX DynamicQuantizeLinear does (range [min(0, min x), max(0, max x)],
 * scale = float32(range / 255), zero point = round(−min / scale) saturated to uint8, q =
 * saturate(round(x / scale) + zero point), rounding half to even), the exact integer products with the
 * int8 weights, × x_scale · w_scale[n] + bias[n], then the activation. Over `batch` rows of x.
 * Returns { y, step }: step is the most one quantisation step of one input element of the last
 * layer moves an output (its x_scale · max |dequantised w|). Where onnxruntime's float32 (x / scale,
 * its GELU) lands on the other side of a half-step than this emulation, an element quantises one
 * step apart: at batch 128 a few of the 10⁵–10⁶ hidden values do. (A step in an earlier layer
 * reaches the output through the next weights, |w| < 1: less than that.)
 */
export function dynamicReference(layers, x, batch) {
  let step = 0;
  let input = Float64Array.from(x.subarray(0, batch * layers[0].inFeatures));
  for (const { inFeatures: K, outFeatures: N, weight, bias, activation } of layers) {
    const { q: w, scale } = quantizeRows(weight, N, K);
    let lo = 0;
    let hi = 0;
    const xf = Float32Array.from(input); // onnxruntime's tensors between the nodes are float32
    for (const v of xf) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const s = Math.fround((hi - lo) / 255);
    const zp = s === 0 ? 0 : Math.max(0, Math.min(255, roundHalfEven(Math.fround(-lo / s))));
    step = s * 127 * Math.max(...scale);
    const xq = new Int32Array(xf.length);
    for (let i = 0; i < xf.length; i++) xq[i] = (s === 0 ? zp : Math.max(0, Math.min(255, roundHalfEven(Math.fround(xf[i] / s)) + zp))) - zp;
    const act = activation ? REFERENCE[activation] : (v) => v;
    const out = new Float64Array(batch * N);
    for (let b = 0; b < batch; b++) {
      for (let n = 0; n < N; n++) {
        let acc = 0; // |acc| < 255 · 127 · K: exact
        for (let k = 0; k < K; k++) acc += xq[b * K + k] * w[n * K + k];
        out[b * N + n] = act(acc * s * scale[n] + bias[n]);
      }
    }
    input = out;
  }
  return { y: input, step };
}

/** Steps apart allowed against dynamicReference (a few elements one step apart, see there). */
export const DYNAMIC_STEPS = 4;

function prepareOf(variant, layers, x, batch) {
  return (impl) => {
    if (impl.kind === 'ffwd') return variant.ffwd ? impl.peer.layers(layers.map((l) => ({ ...l, ...variant.ffwd })), x, batch) : null;
    if (impl.key.startsWith('ort') && variant.ort) {
      return variant.ort === 'f32' ? impl.peer.layers(layers, x, batch) : impl.peer.quantizedLayers(layers, x, batch, variant.ort);
    }
    return null;
  };
}

export async function int8Section({ impls, timing, log, workloads = INT8_WORKLOADS }) {
  const rows = [];
  for (const w of workloads) {
    const layers = makeLayers(w.shape);
    const maxBatch = Math.max(...w.batches);
    const x = normal(maxBatch * w.shape[0][0], 0x1e78);
    const t0 = performance.now();
    const reference = layersReference(layers, x, maxBatch);
    const quantizedReference = layersReference(dequantizedLayers(layers), x, maxBatch);
    log?.(`  ${w.id}: float64 references in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const outWidth = w.shape.at(-1)[1];
    const flopsPerRow = 2 * w.shape.reduce((s, [i, o]) => s + i * o, 0);
    const tolerances = { f32: f32Tolerance(w.shape), half: X_TOLERANCE, int8: f32Tolerance(w.shape), x: X_TOLERANCE };
    const floor = (batch) => relativeRms(quantizedReference.subarray(0, batch * outWidth), reference.subarray(0, batch * outWidth));
    for (const batch of w.batches) {
      const ref32 = reference.subarray(0, batch * outWidth);
      const refq = quantizedReference.subarray(0, batch * outWidth);
      // onnxruntime quantises x per tensor: its emulation depends on the batch.
      const hasOrt = impls.some((i) => i.peer && i.key.startsWith('ort'));
      const dynamic = hasOrt ? dynamicReference(layers, x, batch) : undefined;
      const references = { f32: ref32, half: ref32, int8: refq, x: refq, dynamic: dynamic?.y };
      const tolerance = { ...tolerances, dynamic: tolerances.f32 + DYNAMIC_STEPS * (dynamic?.step ?? 0) };
      const variants = INT8_VARIANTS.map((v) => ({
        id: v.id,
        prepare: prepareOf(v, layers, x, batch),
        reference: references[v.check],
        tolerance: tolerance[v.check],
        measure: (y) => ({ relRms: relativeRms(y, ref32), relRmsQuantized: relativeRms(y, refq) }),
      }));
      const results = await runCase({ impls, variants, tolerance: tolerances.f32, timing });
      for (const r of results) if (r.variant === 'dynamic' && r.ms) r.tolerance = tolerance.dynamic;
      for (const { key, variant, ...r } of results) {
        const flops = flopsPerRow * batch;
        rows.push({ workload: `${w.id}-${variant}`, base: w.id, variant, batch, impl: key, flops, int8Floor: floor(batch), ...r, ...(r.ms ? { gflops: flops / r.ms / 1e6 } : {}) });
      }
      log?.(`  ${w.id} B=${batch}: ${results.map((r) => `${r.variant} ${r.key} ${r.ms ? r.ms.toFixed(3) + 'ms' : 'ERR'}`).join(', ')}`);
    }
  }
  return rows;
}

const pct = (v) => (!Number.isFinite(v) ? '–' : v === 0 || v >= 1e-4 ? `${(100 * v).toFixed(2)}%` : `${(100 * v).toExponential(1)}%`);

/**
 * Per workload, batch, implementation and variant: ms per call, speed-up over the same
 * implementation's f32 (ffwd: the same build), onnxruntime quantised ms ÷ ms (> 1: faster than it),
 * relative RMS error against the float32 model, the layers' bytes and their share of f32, and
 * whether the issue's targets are met.
 */
export function int8Text(rows, table) {
  const body = [];
  const find = (r, impl, variant) => rows.find((x) => x.base === r.base && x.batch === r.batch && x.impl === impl && x.variant === variant);
  const order = new Map(INT8_VARIANTS.map((v, i) => [v.id, i]));
  const impls = [...new Set(rows.map((r) => r.impl))];
  const keys = [...new Set(rows.map((r) => `${r.base}\u0000${r.batch}`))];
  for (const key of keys) {
    const [base, batch] = key.split('\u0000');
    const group = rows
      .filter((r) => r.base === base && String(r.batch) === batch)
      .sort((a, b) => impls.indexOf(a.impl) - impls.indexOf(b.impl) || order.get(a.variant) - order.get(b.variant));
    for (const r of group) {
      if (r.error) {
        body.push([base, r.batch, r.impl, r.variant, 'ERR', '', '', '', '', '', '']);
        continue;
      }
      const f32 = find(r, r.impl, 'f32');
      const ortq = rows.find((x) => x.base === r.base && x.batch === r.batch && x.variant === 'dynamic' && x.ms);
      const share = f32?.bytes && r.bytes ? r.bytes / f32.bytes : undefined;
      const target = INT8_TARGETS[r.variant];
      const met = target ? (r.relRms <= target.rms && (share === undefined || share <= target.bytes) ? 'met' : 'NOT met') : '';
      body.push([
        base,
        r.batch,
        r.impl,
        r.variant,
        `${r.ms.toFixed(3)}${r.ok ? '' : '!'}`,
        f32?.ms ? `${(f32.ms / r.ms).toFixed(2)}×` : '–',
        ortq ? `${(ortq.ms / r.ms).toFixed(2)}×` : '–',
        pct(r.relRms),
        r.bytes === undefined ? '–' : String(r.bytes),
        share === undefined ? '–' : pct(share),
        met,
      ]);
    }
  }
  const floors = keys.map((key) => rows.find((r) => `${r.base}\u0000${r.batch}` === key && r.int8Floor !== undefined)).filter(Boolean);
  return [
    'int8 weights: ms per call (medians, every row of a batch in the same rounds), speed-up over f32 of the same impl, onnxruntime dynamic ÷ this',
    table(['workload', 'batch', 'impl', 'variant', 'ms', 'vs f32', 'vs ort q', 'rel RMS', 'bytes', 'of f32', 'targets'], body, [0, 2, 3]),
    `rel RMS: ‖y − y₆₄‖/‖y₆₄‖ against the float64 float32-weight model (Gaussian weights, not rounded). Targets: int8 ≤ ${pct(INT8_TARGETS.int8.rms)},`,
    `int8+compute ≤ ${pct(INT8_TARGETS['int8+compute'].rms)}, bytes ≤ ${pct(INT8_TARGETS.int8.bytes)} of f32. "!": failed the check against the float64 dequantised`,
    `int8 model (weight-only: float32 accuracy; x quantised: max scaled error ≤ ${X_TOLERANCE}). ffwd bytes: the layers' panels (.bytes);`,
    `onnxruntime bytes: the .onnx model's size. dynamic = onnxruntime quantize_dynamic graph (${QUANTIZED}, 1 thread), checked`,
    `against a float64 emulation of that graph (float32 accuracy + ${DYNAMIC_STEPS} quantisation steps of one element).`,
    `The int8 weights alone (float64 of the dequantised model): rel RMS ${floors.map((r) => `${r.base} B=${r.batch} ${pct(r.int8Floor)}`).join(', ')}.`,
    '',
  ].join('\n');
}
