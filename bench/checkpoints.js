// Section "checkpoints": a LLaMA-style SwiGLU MLP (512 → 1408 → 512, no bias) as a checkpoint holds
// it, ffwd loading it with fromPretrained from a safetensors file with LLaMA's tensor names, against
// onnxruntime-web running the same graph (MatMul, Sigmoid, Mul, Mul, MatMul). Also the whole
// sublayer (RMSNorm, MLP, residual), and ffwd's plain FFN of about the same FLOPs (512 → 2048 → 512),
// so the gated GEMM's GFLOP/s can be compared with the plain one in the same process.
import { normal } from './data.js';
import { layersReference } from './reference.js';
import { runCase } from './case.js';

const D = 512;
const H = 1408;
const EPS = 1e-6;

export const CHECKPOINT_WORKLOADS = [
  { id: 'swiglu', label: `LLaMA SwiGLU MLP ${D}→${H}→${D} (fromPretrained)`, batches: [1, 8, 128] },
  { id: 'swiglu-sublayer', label: `LLaMA sublayer x + MLP(RMSNorm(x)), ${D}→${H}→${D}`, batches: [8] },
  { id: 'ffn-plain', label: `plain FFN ${D}→2048→GELU→${D}, for comparison`, batches: [1, 8, 128] },
];

export const flopsOfMlp = (w, batch) => 2 * batch * D * (w === 'ffn-plain' ? 2 * 2048 : 3 * H);

/** The weights, in nn.Linear's layout, N(0, 1/in). */
export function swigluWeights(seed = 0x11a3) {
  return {
    gate: normal(H * D, seed, 1 / Math.sqrt(D)),
    up: normal(H * D, seed + 1, 1 / Math.sqrt(D)),
    down: normal(D * H, seed + 2, 1 / Math.sqrt(H)),
    norm: normal(D, seed + 3, 0.1).map((v) => 1 + v),
    eps: EPS,
  };
}

/** Float64 reference of the MLP, and of the sublayer with `sublayer`. */
export function swigluReference(w, x, batch, sublayer) {
  const y = new Float64Array(batch * D);
  const n = new Float64Array(D);
  const h = new Float64Array(H);
  for (let r = 0; r < batch; r++) {
    const row = x.subarray(r * D, (r + 1) * D);
    let ms = 0;
    for (let k = 0; k < D; k++) ms += row[k] * row[k];
    const scale = sublayer ? 1 / Math.sqrt(ms / D + w.eps) : 1;
    for (let k = 0; k < D; k++) n[k] = sublayer ? row[k] * scale * w.norm[k] : row[k];
    for (let j = 0; j < H; j++) {
      let g = 0;
      let u = 0;
      for (let k = 0; k < D; k++) {
        g += n[k] * w.gate[j * D + k];
        u += n[k] * w.up[j * D + k];
      }
      h[j] = (g / (1 + Math.exp(-g))) * u;
    }
    for (let c = 0; c < D; c++) {
      let s = sublayer ? row[c] : 0;
      for (let j = 0; j < H; j++) s += h[j] * w.down[c * H + j];
      y[r * D + c] = s;
    }
  }
  return y;
}

export async function checkpointsSection({ impls, timing, log }) {
  const weights = swigluWeights();
  const maxBatch = 128;
  const x = normal(maxBatch * D, 0xc4e5);
  const references = { swiglu: swigluReference(weights, x, maxBatch, false), 'swiglu-sublayer': swigluReference(weights, x, 8, true) };
  const plain = [{ inFeatures: D, outFeatures: 2048, activation: 'gelu', weight: normal(2048 * D, 7, 1 / Math.sqrt(D)), bias: normal(2048, 8, 0.05) },
    { inFeatures: 2048, outFeatures: D, activation: null, weight: normal(D * 2048, 9, 1 / Math.sqrt(2048)), bias: normal(D, 10, 0.05) }];
  const plainReference = layersReference(plain, x, maxBatch);
  // Every workload of a batch is timed in the same rounds: the gated-vs-plain and sublayer-vs-MLP
  // figures are ratios of those.
  const rows = [];
  for (const batch of [1, 8, 128]) {
    const variants = CHECKPOINT_WORKLOADS.filter((w) => w.batches.includes(batch)).map((w) => ({
      id: w.id,
      prepare: (impl) => (w.id === 'ffn-plain'
        ? (impl.kind === 'ffwd' ? impl.peer.layers(plain, x, batch) : null)
        : impl.peer.swiglu?.(weights, x, batch, w.id === 'swiglu-sublayer') ?? null),
      reference: (w.id === 'ffn-plain' ? plainReference : references[w.id]).subarray(0, batch * D),
    }));
    const results = await runCase({ impls, variants, tolerance: 1e-5 * Math.sqrt(H), timing });
    for (const { key, variant, ...r } of results) {
      const flops = flopsOfMlp(variant, batch);
      rows.push({ workload: variant, batch, impl: key, flops, ...r, ...(r.ms ? { gflops: flops / r.ms / 1e6 } : {}) });
    }
    log?.(`  B=${batch}: ${results.map((r) => `${r.variant} ${r.key} ${r.ms ? r.ms.toFixed(3) + 'ms' : 'ERR'}`).join(', ')}`);
  }
  return rows;
}

/** The section's derived figures: gated vs plain GFLOP/s at each batch, sublayer vs MLP cost at batch 8. */
export function checkpointFigures(rows) {
  const get = (workload, batch, impl) => rows.find((r) => r.workload === workload && r.batch === batch && r.impl === impl && r.ms);
  const out = [];
  for (const impl of ['ffwd-simd', 'ffwd-relaxed']) {
    for (const batch of [1, 8, 128]) {
      const gated = get('swiglu', batch, impl);
      const plainRow = get('ffn-plain', batch, impl);
      if (gated && plainRow) out.push({ impl, batch, what: 'gated GFLOP/s ÷ plain FFN GFLOP/s', value: gated.gflops / plainRow.gflops });
    }
    const mlp = get('swiglu', 8, impl);
    const sub = get('swiglu-sublayer', 8, impl);
    if (mlp && sub) out.push({ impl, batch: 8, what: 'sublayer ms ÷ MLP ms', value: sub.ms / mlp.ms });
  }
  return out;
}

/** The MLP as save_pretrained writes a one-layer LLaMA: F32 tensors under LLaMA's names, and its config. */
export function llamaCheckpoint(w) {
  const tensors = {
    'model.layers.0.mlp.gate_proj.weight': [[H, D], w.gate],
    'model.layers.0.mlp.up_proj.weight': [[H, D], w.up],
    'model.layers.0.mlp.down_proj.weight': [[D, H], w.down],
    'model.layers.0.post_attention_layernorm.weight': [[D], w.norm],
  };
  const header = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, [shape, data]] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const text = JSON.stringify(header);
  const json = new TextEncoder().encode(text.padEnd(Math.ceil(text.length / 8) * 8)); // the data 8-byte aligned
  const bytes = new Uint8Array(8 + json.length + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  let at = 8 + json.length;
  for (const [, data] of Object.values(tensors)) {
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  const config = { model_type: 'llama', hidden_size: D, intermediate_size: H, num_hidden_layers: 1, hidden_act: 'silu', rms_norm_eps: w.eps };
  return { bytes, config };
}
