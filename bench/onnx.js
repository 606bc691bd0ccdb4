// A tiny ONNX writer: just enough protobuf to emit a ModelProto with one graph, built at bench time
// so no .onnx file is ever committed. Field numbers are from onnx/onnx.proto3.

const encoder = new TextEncoder();

/** Protobuf wire encoding, the three wire types ONNX needs: varint (0), 32-bit (5), length-delimited (2). */
class Writer {
  chunks = [];
  length = 0;

  push(bytes) {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }

  varint(value) {
    let v = BigInt.asUintN(64, BigInt(value));
    const out = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    return this.push(Uint8Array.from(out));
  }

  tag(field, wire) {
    return this.varint((field << 3) | wire);
  }

  int(field, value) {
    return this.tag(field, 0).varint(value);
  }

  float(field, value) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.tag(field, 5).push(b);
  }

  bytes(field, value) {
    return this.tag(field, 2).varint(value.length).push(value);
  }

  string(field, value) {
    return this.bytes(field, encoder.encode(value));
  }

  message(field, build) {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish() {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
/** TensorProto.DataType codes by typed-array class (an initializer's type follows its data). */
const DATA_TYPE = new Map([[Float32Array, FLOAT], [Uint8Array, 2], [Int8Array, 3], [Int32Array, 6]]);
const ATTR = { FLOAT: 1, INT: 2, STRING: 3 }; // AttributeProto.AttributeType

function attribute(w, name, value) {
  w.string(1, name);
  if (typeof value === 'string') w.bytes(4, encoder.encode(value)).int(20, ATTR.STRING);
  else if (Number.isInteger(value.int)) w.int(3, value.int).int(20, ATTR.INT);
  else w.float(2, value).int(20, ATTR.FLOAT);
}

/** ValueInfoProto of a float tensor; a dim is a number (fixed) or a string (symbolic). */
function valueInfo(w, name, dims) {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT);
      tensor.message(2, (shape) => {
        for (const d of dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

function initializer(w, { name, dims, data }) {
  for (const d of dims) w.int(1, d);
  const type = DATA_TYPE.get(data.constructor);
  if (type === undefined) throw new TypeError(`onnx: initializer ${name}: no TensorProto type for ${data.constructor.name}`);
  w.int(2, type);
  w.string(8, name);
  w.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/**
 * Serialises a model. nodes: [{ op, inputs, outputs, domain?, attributes?: { name: number | string | { int } } }],
 * inputs/outputs: [{ name, dims }], initializers: [{ name, dims, data: Float32Array | Int8Array | Uint8Array | Int32Array }]
 * (dims [] for a scalar),
 * opsets: { '': 20, 'com.microsoft': 1 }.
 */
export function model({ nodes, inputs, outputs, initializers = [], opsets = { '': 20 }, irVersion = 9 }) {
  const w = new Writer();
  w.int(1, irVersion);
  w.string(2, 'ffwd-bench');
  w.message(7, (g) => {
    nodes.forEach((n, i) =>
      g.message(1, (node) => {
        for (const x of n.inputs) node.string(1, x);
        for (const y of n.outputs) node.string(2, y);
        node.string(3, `${n.op}_${i}`);
        node.string(4, n.op);
        for (const [name, value] of Object.entries(n.attributes ?? {})) node.message(5, (a) => attribute(a, name, value));
        if (n.domain) node.string(7, n.domain);
      }),
    );
    g.string(2, 'ffwd_bench');
    for (const t of initializers) g.message(5, (tw) => initializer(tw, t));
    for (const v of inputs) g.message(11, (vw) => valueInfo(vw, v.name, v.dims));
    for (const v of outputs) g.message(12, (vw) => valueInfo(vw, v.name, v.dims));
  });
  for (const [domain, version] of Object.entries(opsets)) {
    w.message(8, (o) => {
      if (domain) o.string(1, domain);
      o.int(2, version);
    });
  }
  return w.finish();
}

/** x ─► nodes ─► y, over a 1-D input of symbolic length. */
export function unaryModel({ nodes, opsets = { '': 20 } }) {
  return model({ nodes, inputs: [{ name: 'x', dims: ['n'] }], outputs: [{ name: 'y', dims: ['n'] }], opsets });
}

/**
 * A stack of linear layers, e.g. the transformer feedforward block y = fc2(act(fc1(x))): per layer
 * MatMul + Add and, if the layer has one, its activation (`activationNodes(id, input, output)`).
 * Weights come in PyTorch layout [out, in] and are stored transposed ([in, out]) as MatMul wants.
 *
 * `quantized` writes every layer's matrix product as onnxruntime's `quantize_dynamic` leaves it,
 * weights int8 per output column (= ffwd's per output row, `quantizeRows`), x quantised per tensor
 * to uint8 at run time:
 * - 'DynamicQuantizeMatMul': com.microsoft DynamicQuantizeMatMul(x, Wq, scale[N], '', bias), the
 *   fused op (what onnxruntime's optimiser makes of the graph below);
 * - 'MatMulInteger': DynamicQuantizeLinear(x) → MatMulInteger(xq, Wq, x_zero_point) → Cast(float)
 *   → Mul(x_scale · scale[N]) → Add(bias). No b_zero_point: the weights are symmetric (zero point 0),
 *   so the per-column scales live in the Mul.
 */
export function layersModel({ layers, activationNodes, opsets = { '': 20 }, quantized }) {
  const nodes = [];
  const initializers = [];
  let input = 'x';
  layers.forEach((layer, i) => {
    const { inFeatures, outFeatures, weight, bias, activation } = layer;
    const [w, b, mm, sum] = [`w${i}`, `b${i}`, `mm${i}`, `sum${i}`];
    const output = i === layers.length - 1 ? 'y' : `h${i}`;
    const linearOut = activation ? sum : output;
    if (!quantized) {
      initializers.push(
        { name: w, dims: [inFeatures, outFeatures], data: transpose(weight, outFeatures, inFeatures) },
        { name: b, dims: [outFeatures], data: bias },
      );
      nodes.push({ op: 'MatMul', inputs: [input, w], outputs: [mm] });
      nodes.push({ op: 'Add', inputs: [mm, b], outputs: [linearOut] });
    } else {
      const { q, scale } = quantizeRows(weight, outFeatures, inFeatures);
      const ws = `ws${i}`;
      initializers.push(
        { name: w, dims: [inFeatures, outFeatures], data: transpose(q, outFeatures, inFeatures) },
        { name: ws, dims: [outFeatures], data: scale },
        { name: b, dims: [outFeatures], data: bias },
      );
      if (quantized === 'DynamicQuantizeMatMul') {
        nodes.push({ op: 'DynamicQuantizeMatMul', domain: 'com.microsoft', inputs: [input, w, ws, '', b], outputs: [linearOut] });
      } else if (quantized === 'MatMulInteger') {
        const [xq, xs, xz, acc, accf, s, scaled] = ['xq', 'xs', 'xz', 'acc', 'accf', 's', 'scaled'].map((n) => `${n}${i}`);
        nodes.push(
          { op: 'DynamicQuantizeLinear', inputs: [input], outputs: [xq, xs, xz] },
          { op: 'MatMulInteger', inputs: [xq, w, xz], outputs: [acc] },
          { op: 'Cast', inputs: [acc], outputs: [accf], attributes: { to: { int: FLOAT } } },
          { op: 'Mul', inputs: [xs, ws], outputs: [s] },
          { op: 'Mul', inputs: [accf, s], outputs: [scaled] },
          { op: 'Add', inputs: [scaled, b], outputs: [linearOut] },
        );
      } else {
        throw new TypeError(`onnx: quantized must be 'DynamicQuantizeMatMul' or 'MatMulInteger', got ${quantized}`);
      }
    }
    if (activation) nodes.push(...activationNodes(activation, sum, output));
    input = output;
  });
  return model({
    nodes,
    inputs: [{ name: 'x', dims: ['batch', layers[0].inFeatures] }],
    outputs: [{ name: 'y', dims: ['batch', layers.at(-1).outFeatures] }],
    initializers,
    opsets,
  });
}

/**
 * A weight [rows, cols] (PyTorch [out, in]) quantised per row symmetric int8 as ffwd packs it
 * (assembly/gemm/weights.ts): scale = float32(max|w| / 127), q = clamp(roundHalfEven(float32(w / scale)),
 * −127, 127), q = 0 in a row whose scale is 0. Returns { q: Int8Array [rows, cols], scale: Float32Array [rows] }.
 */
export function quantizeRows(weight, rows, cols) {
  const q = new Int8Array(rows * cols);
  const scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let maxAbs = 0;
    for (let c = 0; c < cols; c++) maxAbs = Math.max(maxAbs, Math.abs(weight[r * cols + c]));
    const s = Math.fround(maxAbs / 127);
    scale[r] = s;
    if (s === 0) continue;
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.max(-127, Math.min(127, roundHalfEven(Math.fround(weight[r * cols + c] / s))));
  }
  return { q, scale };
}

/** The weight a quantised one stands for: q · scale per row, in float64 (exact: 7 bits × 24 bits). */
export function dequantizeRows({ q, scale }, rows, cols) {
  const w = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[r * cols + c] = q[r * cols + c] * scale[r];
  return w;
}

const roundHalfEven = (v) => {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
};

/**
 * The LLaMA MLP as its ONNX export computes it: down(silu(x·Gᵀ) ⊙ x·Uᵀ) as MatMul, Sigmoid, Mul, Mul,
 * MatMul; with `sublayer`, x + MLP(RMSNorm(x)) (onnxruntime's SimplifiedLayerNormalization, Add).
 */
export function swigluModel({ weights, sublayer, opsets }) {
  const { gate, up, down, norm, eps } = weights;
  const [D, H] = [norm.length, gate.length / norm.length];
  const nodes = [];
  let input = 'x';
  if (sublayer) {
    nodes.push({ op: 'SimplifiedLayerNormalization', inputs: ['x', 'scale'], outputs: ['n'], attributes: { epsilon: eps, axis: { int: -1 } } });
    input = 'n';
  }
  nodes.push(
    { op: 'MatMul', inputs: [input, 'wg'], outputs: ['g'] },
    { op: 'Sigmoid', inputs: ['g'], outputs: ['s'] },
    { op: 'Mul', inputs: ['g', 's'], outputs: ['a'] },
    { op: 'MatMul', inputs: [input, 'wu'], outputs: ['u'] },
    { op: 'Mul', inputs: ['a', 'u'], outputs: ['h'] },
    { op: 'MatMul', inputs: ['h', 'wd'], outputs: [sublayer ? 'm' : 'y'] },
  );
  if (sublayer) nodes.push({ op: 'Add', inputs: ['m', 'x'], outputs: ['y'] });
  const initializers = [
    { name: 'wg', dims: [D, H], data: transpose(gate, H, D) },
    { name: 'wu', dims: [D, H], data: transpose(up, H, D) },
    { name: 'wd', dims: [H, D], data: transpose(down, D, H) },
    ...(sublayer ? [{ name: 'scale', dims: [D], data: norm }] : []),
  ];
  return model({ nodes, inputs: [{ name: 'x', dims: ['batch', D] }], outputs: [{ name: 'y', dims: ['batch', D] }], initializers, opsets });
}

/** [rows, cols] row-major → [cols, rows] row-major. */
export function transpose(a, rows, cols) {
  const out = new a.constructor(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}
