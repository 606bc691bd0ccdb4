// The runtime-neutral conformance suite: plain ESM, no test framework, no platform API beyond what
// every JavaScript runtime with WebAssembly has. A runtime-specific entry (cli.js, browser.html,
// workerd.js) imports the package the way its users would and calls `conformance` once per build.
//
//   const result = await conformance({ runtime: 'node20', init, build: 'auto', expect: 'simd' });
//   // → { runtime, build, requested, passed, failed, skipped, checksums, errors, ms }
//
// Checksums are FNV-1a (32 bit) over the output bits of fixed inputs (every NaN is hashed as
// 0x7fc00000: WebAssembly leaves a NaN's sign and payload to the engine). On the 'simd' build they must
// be identical on every runtime; the 'relaxed' build's are reported (an engine may fuse multiply-adds).

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
const hex = (u) => (u >>> 0).toString(16).padStart(8, '0');

/** Deterministic xorshift32: the same inputs on every runtime. */
function random(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (x) => ((f32[0] = x), u32[0]);
const fromBits = (b) => ((u32[0] = b), f32[0]);

/** Bits of a Float32Array, without reading its values into JS numbers (that may canonicalise NaNs). */
const bitsView = (a) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** FNV-1a over 32-bit words, NaNs canonicalised. */
export function fnv1a(bits) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bits.length; i++) {
    let w = bits[i];
    if ((w & 0x7f800000) === 0x7f800000 && (w & 0x007fffff) !== 0) w = 0x7fc00000;
    for (let k = 0; k < 4; k++) {
      h ^= (w >>> (8 * k)) & 0xff;
      h = Math.imul(h, 0x01000193);
    }
  }
  return hex(h);
}

/** Distance in units in the last place between two float32 bit patterns (NaN vs NaN is 0). */
function ulps(a, b) {
  const nanA = (a & 0x7fffffff) > 0x7f800000;
  const nanB = (b & 0x7fffffff) > 0x7f800000;
  if (nanA || nanB) return nanA && nanB ? 0 : Infinity;
  const ordered = (x) => (x & 0x80000000 ? -(x & 0x7fffffff) : x);
  return Math.abs(ordered(a >>> 0) - ordered(b >>> 0));
}

const SPECIALS = [
  0x00000000, 0x80000000, // ±0
  0x3f800000, 0xbf800000, // ±1
  0x00000001, 0x80000001, // ±smallest subnormal
  0x007fffff, 0x807fffff, // ±largest subnormal
  0x00800000, 0x80800000, // ±smallest normal
  0x7f7fffff, 0xff7fffff, // ±largest finite
  0x7f800000, 0xff800000, // ±∞
  0x7fc00000, 0xffc00000, 0x7fc12345, 0xffd00001, 0x7f800001, // NaNs: quiet, negative, with payloads, signalling
  0x3effffff, 0x3f000000, 0x40000000, 0xc0000000, 0x40400000, 0xc0400000, 0xc1200000, 0xc1700000,
];

/**
 * The fixed input of the checksums and exactness checks: every special value, a grid over [−8, 8]
 * (the region the activations bend in), then random bit patterns of every exponent. 4099 values, so
 * that the SIMD loops' tails (n not a multiple of 4) run too.
 */
export function sampleBits(n = 4099, finiteOnly = false) {
  const next = random(0x9e3779b9);
  const bits = new Uint32Array(n);
  let i = 0;
  if (!finiteOnly) for (const b of SPECIALS) bits[i++] = b;
  const grid = Math.floor((n - i) / 2);
  for (let k = 0; k < grid; k++) bits[i++] = bitsOf(-8 + (16 * k) / (grid - 1) + 1e-3);
  while (i < n) {
    const b = next();
    if (finiteOnly && (b & 0x7f800000) === 0x7f800000) continue;
    bits[i++] = b;
  }
  return bits;
}

// ---- float64 references ---------------------------------------------------------------------------

/** erfc in float64, to ~1e-14 relative: a Taylor series for erf below 2, a continued fraction above. */
function erfc(x) {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 80; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (x > 27) return 0;
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the back.
  let f = x;
  for (let n = 300; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** GELU (erf form) in float64: x·Φ(x) = x·erfc(−x/√2)/2. */
export function gelu64(x) {
  if (x === Infinity) return Infinity;
  if (x === -Infinity) return -0;
  return (x * erfc(-x / Math.SQRT2)) / 2;
}

// ---- the suite -----------------------------------------------------------------------------------

class Checks {
  passed = 0;
  failed = 0;
  skipped = []; // stays empty (every build has every kernel); run.js still reads it
  errors = [];
  checksums = {};
  notes = {};

  ok(name, condition, detail = '') {
    if (condition) this.passed++;
    else {
      this.failed++;
      this.errors.push(`${name}${detail ? `: ${detail}` : ''}`);
    }
    return condition;
  }

  async run(name, body) {
    try {
      await body();
    } catch (error) {
      this.failed++;
      this.errors.push(`${name}: threw ${error && error.stack ? String(error.stack).split('\n').slice(0, 3).join(' | ') : String(error)}`);
    }
  }
}

/** Writes `bits` into a new Tensor bit for bit. */
function tensorOfBits(ffwd, bits) {
  const t = ffwd.tensor(bits.length);
  bitsView(t.data).set(bits);
  return t;
}

/** Compares outputs bit for bit with a reference function of the input bits; returns the first mismatches. */
function mismatches(input, output, reference, limit = 3) {
  const found = [];
  for (let i = 0; i < input.length && found.length < limit; i++) {
    const want = reference(input[i]) >>> 0;
    if (output[i] >>> 0 !== want) found.push(`x=0x${hex(input[i])} got 0x${hex(output[i])} want 0x${hex(want)}`);
  }
  return found;
}

const isNaNBits = (b) => (b & 0x7fffffff) > 0x7f800000;

/** relu as the README defines it, PyTorch's: x < 0 ? 0 : x (−0 stays −0), a NaN passes through bit for bit. */
const reluRef = (b) => (fromBits(b) < 0 ? 0 : b);

/** leakyRelu: x > 0 ? x : x·slope in float32 (the product of two float32s is exact in float64). */
const leakyRef = (slope) => (b) => {
  if (isNaNBits(b)) return b;
  const x = fromBits(b);
  return x > 0 ? b : bitsOf(Math.fround(x * Math.fround(slope)));
};

const ELEMENTWISE = ['gelu', 'geluTanh', 'geluErfFast', 'gelu10', 'sigmoid', 'tanh', 'silu', 'quickGelu'];

/**
 * Runs the suite against one build.
 * @param {object} options
 * @param {string} options.runtime   a label for the report
 * @param {Function} options.init    the package's init, imported the way this runtime's users import it
 * @param {'auto'|'simd'|'relaxed'} [options.build]  passed to init (default 'auto')
 * @param {unknown} [options.module] passed to init (edge workers: the imported WebAssembly.Module)
 * @param {'simd'|'relaxed'} [options.expect]  the build init must pick
 * @param {boolean} [options.relaxedAvailable]  whether this runtime validates relaxed SIMD (checks that
 *   init({ build: 'relaxed' }) is refused where it does not)
 * @param {'yes'|'no'|'any'} [options.threads]  whether init({ threads: 2 }) must run 2 threads here ('no':
 *   1 thread and a reason in words; 'any': either); omitted, threads are not checked
 */
export async function conformance({ runtime, init, build = 'auto', module, expect, relaxedAvailable, threads } = {}) {
  const start = now();
  const c = new Checks();
  let ffwd;
  await c.run('init', async () => {
    ffwd = await init(module === undefined ? { build } : { build, module });
  });
  const result = () => ({
    runtime,
    build: ffwd ? ffwd.build : 'none',
    requested: build,
    passed: c.passed,
    failed: c.failed,
    skipped: c.skipped,
    checksums: c.checksums,
    notes: c.notes,
    errors: c.errors,
    ms: Math.round(now() - start),
  });
  if (!ffwd) return result();

  // -- loader --------------------------------------------------------------------------------------
  c.ok('loader: build', ffwd.build === 'simd' || ffwd.build === 'relaxed', `build is ${ffwd.build}`);
  if (expect) c.ok('loader: picks the expected build', ffwd.build === expect, `expected ${expect}, got ${ffwd.build}`);
  if (relaxedAvailable === false && module === undefined) {
    await c.run('loader: relaxed refused', async () => {
      let refused = false;
      try {
        await init({ build: 'relaxed' });
      } catch (error) {
        refused = error instanceof Error && /relaxed/.test(error.message);
      }
      c.ok('loader: init({ build: "relaxed" }) is refused without relaxed SIMD', refused);
    });
  }
  await c.run('loader: instances are independent', async () => {
    const other = await init(module === undefined ? { build } : { build, module });
    const a = ffwd.tensor([1, 2, 3]);
    let threw = false;
    try {
      other.relu(a);
    } catch (error) {
      threw = error instanceof TypeError;
    }
    c.ok('loader: a Tensor of another instance is refused with a TypeError', threw);
    a.free();
  });

  // -- Tensor and memory growth ----------------------------------------------------------------------
  await c.run('tensor', async () => {
    const t = ffwd.tensor([1.5, -2, 3]);
    c.ok('tensor: copy of an array', t.length === 3 && t.data[0] === 1.5 && t.data[1] === -2 && t.data[2] === 3);
    c.ok('tensor: 64-byte aligned', t.ptr % 64 === 0, `ptr ${t.ptr}`);
    c.ok('tensor: zero-filled', ffwd.tensor(5).data.every((v) => v === 0));
    t.free();
    t.free(); // harmless
    let threw = false;
    try {
      void t.data;
    } catch (error) {
      threw = error instanceof TypeError;
    }
    c.ok('tensor: a freed Tensor throws a TypeError', threw);
  });

  await c.run('memory growth', async () => {
    const n = 4099;
    const bits = sampleBits(n);
    const held = tensorOfBits(ffwd, bits);
    const view = held.data;
    const bufferBefore = view.buffer;
    const bytesBefore = ffwd.memoryBytes;
    const extra = [];
    // 1 MiB at a time until the memory grows (at most 64 MiB).
    while (held.data.buffer === bufferBefore && extra.length < 64) extra.push(ffwd.tensor(1 << 18));
    c.ok('memory growth: memory grew', held.data.buffer !== bufferBefore && ffwd.memoryBytes > bytesBefore, `${bytesBefore} → ${ffwd.memoryBytes} bytes`);
    c.ok('memory growth: a view kept across growth detaches', view.length === 0, `old view length ${view.length}`);
    c.ok('memory growth: data rebuilt and intact', mismatches(bits, bitsView(held.data), (b) => b, 1).length === 0);
    // a kernel on the held Tensor after growth
    ffwd.relu(held, held);
    const bad = mismatches(bits, bitsView(held.data), reluRef);
    c.ok('memory growth: relu in place after growth', bad.length === 0, bad.join('; '));
    for (const t of extra) t.free();
    held.free();
    // freed blocks are reused: the same allocations do not grow memory again
    const bytes = ffwd.memoryBytes;
    const again = [];
    for (let i = 0; i < extra.length; i++) again.push(ffwd.tensor(1 << 18));
    c.ok('memory growth: freed blocks are reused', ffwd.memoryBytes === bytes, `${bytes} → ${ffwd.memoryBytes}`);
    for (const t of again) t.free();
  });

  // -- relu / leakyRelu: exact, bit for bit ----------------------------------------------------------
  const input = sampleBits(4099);
  await c.run('relu', async () => {
    const x = tensorOfBits(ffwd, input);
    const y = ffwd.relu(x);
    const out = bitsView(y.data);
    const bad = mismatches(input, out, reluRef);
    c.ok('relu: exact on the sample (±0, NaNs, subnormals, ±∞)', bad.length === 0, bad.join('; '));
    c.checksums.relu = fnv1a(out);
    // the copied path gives the same bits
    const copied = ffwd.relu(new Float32Array(input.buffer.slice(0)));
    c.ok('relu: copied path equals the Tensor path', fnv1a(bitsView(copied)) === c.checksums.relu && mismatches(input, bitsView(copied), reluRef).length === 0);
    // in place
    ffwd.relu(x, x);
    c.ok('relu: in place', mismatches(input, bitsView(x.data), reluRef).length === 0);
    x.free();
    y.free();
  });

  await c.run('leakyRelu', async () => {
    for (const slope of [0.01, 0.1, -0.5]) {
      const x = tensorOfBits(ffwd, input);
      const y = slope === 0.01 ? ffwd.leakyRelu(x) : ffwd.leakyRelu(x, slope);
      const out = bitsView(y.data);
      const bad = mismatches(input, out, leakyRef(slope));
      c.ok(`leakyRelu(slope ${slope}): exact on the sample`, bad.length === 0, bad.join('; '));
      c.checksums[`leakyRelu(${slope})`] = fnv1a(out);
      x.free();
      y.free();
    }
  });

  await c.run('backward', async () => {
    const x = tensorOfBits(ffwd, input);
    const dy = tensorOfBits(ffwd, sampleBits(4099, true).reverse());
    const dyBits = bitsView(dy.data).slice();
    const dx = ffwd.reluBackward(x, dy);
    const out = bitsView(dx.data);
    // x <= 0 ? 0 : dy (NaN x: not <= 0, so dy)
    const ref = (i) => (fromBits(input[i]) <= 0 ? 0 : dyBits[i]);
    let bad = 0;
    for (let i = 0; i < input.length; i++) if (out[i] >>> 0 !== ref(i) >>> 0) bad++;
    c.ok('reluBackward: exact on the sample', bad === 0, `${bad} mismatches`);
    c.checksums.reluBackward = fnv1a(out);
    x.free();
    dy.free();
    dx.free();
  });

  // -- GELU and the other activations (every build has them all: a missing one fails its run) -------
  for (const name of ELEMENTWISE) {
    await c.run(name, async () => {
      const x = tensorOfBits(ffwd, input);
      const y = ffwd[name](x);
      c.checksums[name] = fnv1a(bitsView(y.data));
      x.free();
      y.free();
    });
  }
  await c.run('gelu accuracy', async () => {
    const x = tensorOfBits(ffwd, input);
    const y = ffwd.gelu(x);
    const out = bitsView(y.data);
    let worst = 0;
    let where = '';
    for (let i = 0; i < input.length; i++) {
      const want = bitsOf(Math.fround(gelu64(fromBits(input[i]))));
      const d = ulps(out[i], want);
      if (d > worst) {
        worst = d;
        where = `x=${fromBits(input[i])} (0x${hex(input[i])}) got 0x${hex(out[i])} want 0x${hex(want)}`;
      }
    }
    c.notes.geluMaxUlp = worst;
    c.ok('gelu: ≤ 2 ulp on the sample (specials included)', worst <= 2, `${worst} ulp at ${where}`);
    c.ok('gelu: gelu(−∞) = −0, gelu(+∞) = +∞', bitsOf(ffwd.gelu(new Float32Array([-Infinity]))[0]) === 0x80000000 && ffwd.gelu(new Float32Array([Infinity]))[0] === Infinity);
    x.free();
    y.free();
  });
  await c.run('geluBackward', async () => {
    const x = tensorOfBits(ffwd, sampleBits(4099, true));
    const dy = ffwd.tensor(4099);
    dy.data.fill(1);
    const dx = ffwd.geluBackward(x, dy);
    c.checksums.geluBackward = fnv1a(bitsView(dx.data));
    x.free();
    dy.free();
    dx.free();
  });

  // -- Linear and the feedforward block against float64 ------------------------------------------------
  /** Σ a[i]·w[at + i] in float64, and Σ|a[i]·w[at + i]|, the scale of a float32 dot product's error. */
  const dot64 = (a, w, at) => {
    let sum = 0;
    let mag = 0;
    for (let i = 0; i < a.length; i++) {
      const p = a[i] * w[at + i];
      sum += p;
      mag += Math.abs(p);
    }
    return [sum, mag];
  };

  await c.run('linear', async () => {
    const [batch, k, m] = [5, 37, 19];
    const next = random(12345);
    const uniform = () => Math.fround((next() / 2 ** 32) * 2 - 1);
    const weight = Float32Array.from({ length: m * k }, uniform);
    const bias = Float32Array.from({ length: m }, uniform);
    const xs = Float32Array.from({ length: batch * k }, uniform);
    const layer = ffwd.linear({ weight, bias, inFeatures: k, outFeatures: m });
    const x = ffwd.tensor(xs);
    const y = layer.forward(x, batch);
    let worst = 0;
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < m; o++) {
        const [sum, mag] = dot64(xs.subarray(b * k, (b + 1) * k), weight, o * k);
        worst = Math.max(worst, Math.abs(y.data[b * m + o] - (bias[o] + sum)) / (mag + Math.abs(bias[o])));
      }
    }
    c.notes.linearRelError = worst;
    c.ok('linear: matches float64 within 1e-5·√K (relative to Σ|x·w|)', worst <= 1e-5 * Math.sqrt(k), `relative error ${worst}`);
    c.checksums.linear = fnv1a(bitsView(y.data));
    x.free();
    y.free();
    layer.free();
  });

  await c.run('feedForward', async () => {
    const [batch, d, h] = [3, 16, 64];
    const next = random(777);
    const uniform = (scale) => () => Math.fround(((next() / 2 ** 32) * 2 - 1) * scale);
    const w1 = Float32Array.from({ length: h * d }, uniform(0.5));
    const b1 = Float32Array.from({ length: h }, uniform(0.1));
    const w2 = Float32Array.from({ length: d * h }, uniform(0.25));
    const b2 = Float32Array.from({ length: d }, uniform(0.1));
    const xs = Float32Array.from({ length: batch * d }, uniform(2));
    const ffn = ffwd.feedForward({
      fc1: { weight: w1, bias: b1, inFeatures: d, outFeatures: h },
      fc2: { weight: w2, bias: b2, inFeatures: h, outFeatures: d },
      activation: 'gelu',
    });
    const x = ffwd.tensor(xs);
    const y = ffn.forward(x, batch);
    let worst = 0;
    for (let b = 0; b < batch; b++) {
      const row = xs.subarray(b * d, (b + 1) * d);
      const hidden = Array.from({ length: h }, (_, j) => gelu64(b1[j] + dot64(row, w1, j * d)[0]));
      for (let o = 0; o < d; o++) {
        const [s, mag] = dot64(hidden, w2, o * h);
        worst = Math.max(worst, Math.abs(y.data[b * d + o] - (b2[o] + s)) / Math.max(mag + Math.abs(b2[o]), 1e-30));
      }
    }
    c.notes.ffnRelError = worst;
    c.ok('feedForward (gelu): matches float64 within 1e-5·√K', worst <= 1e-5 * Math.sqrt(h), `relative error ${worst}`);
    c.checksums['ffn(gelu)'] = fnv1a(bitsView(y.data));
    x.free();
    y.free();
    ffn.free();
  });

  await c.run('gated sublayer', async () => {
    // LLaMA's wiring: x + down(silu(gate(n)) ⊙ up(n)), n = RMSNorm(x)·w
    const [batch, d, h] = [5, 24, 40];
    const next = random(4242);
    const uniform = (scale, n) => Float32Array.from({ length: n }, () => Math.fround(((next() / 2 ** 32) * 2 - 1) * scale));
    const [wg, wu, wd] = [uniform(0.4, h * d), uniform(0.4, h * d), uniform(0.3, d * h)];
    const nw = uniform(1, d).map((v) => 1 + v / 2);
    const xs = uniform(2, batch * d);
    const block = ffwd.feedForward({
      gate: { weight: wg, inFeatures: d, outFeatures: h },
      up: { weight: wu, inFeatures: d, outFeatures: h },
      down: { weight: wd, inFeatures: h, outFeatures: d },
      activation: 'silu',
      wiring: 'pre_norm',
      norm: { kind: 'rms', weight: nw, eps: 1e-6 },
    });
    const x = ffwd.tensor(xs);
    const y = block.forward(x, batch);
    let worst = 0;
    for (let b = 0; b < batch; b++) {
      const row = xs.subarray(b * d, (b + 1) * d);
      const rms = Math.sqrt(row.reduce((s, v) => s + v * v, 0) / d + 1e-6);
      const n = Array.from(row, (v, i) => (v / rms) * nw[i]);
      const hidden = Array.from({ length: h }, (_, j) => {
        const g = dot64(n, wg, j * d)[0];
        return (g / (1 + Math.exp(-g))) * dot64(n, wu, j * d)[0];
      });
      for (let o = 0; o < d; o++) {
        const [s, mag] = dot64(hidden, wd, o * h);
        worst = Math.max(worst, Math.abs(y.data[b * d + o] - (row[o] + s)) / Math.max(mag + Math.abs(row[o]), 1e-30));
      }
    }
    c.notes.gatedRelError = worst;
    c.ok('gated sublayer (RMSNorm, SwiGLU, residual): matches float64 within 1e-5·√K', worst <= 1e-5 * Math.sqrt(h), `relative error ${worst}`);
    c.checksums['sublayer(swiglu)'] = fnv1a(bitsView(y.data));
    x.free();
    y.free();
    block.free();
  });

  await c.run('int8', async () => {
    // int8 weights quantised per row (scale = fround(max|w|/127), q = rne(w/scale)), then
    // compute 'int8': integer sums on the rows the module's quantizeRows gives, which must be the
    // bits of this integer reference on every engine, whatever its relaxed dot does (the probe).
    const [batch, k, m] = [5, 37, 19];
    const next = random(8088);
    const uniform = () => Math.fround((next() / 2 ** 32) * 2 - 1);
    const weight = Float32Array.from({ length: m * k }, uniform);
    const bias = Float32Array.from({ length: m }, uniform);
    const xs = Float32Array.from({ length: batch * k }, () => 3 * uniform());
    const rne = (v) => {
      const f = Math.floor(v);
      return v - f > 0.5 || (v - f === 0.5 && f % 2 !== 0) ? f + 1 : f;
    };
    const scale = Float32Array.from({ length: m }, (_, o) => Math.fround(Math.max(...weight.subarray(o * k, (o + 1) * k).map(Math.abs)) / 127));
    const q = Int32Array.from(weight, (w, i) => Math.max(-127, Math.min(127, rne(Math.fround(w / scale[Math.floor(i / k)])))));
    const e = ffwd.heap.exports;
    const [px, pq, pp] = [e.alloc(batch * k * 4) >>> 0, e.alloc(batch * k) >>> 0, e.alloc(batch * 8) >>> 0];
    new Float32Array(e.memory.buffer, px, batch * k).set(xs);
    e.quantizeRows(px, batch, k, pq, pp);
    const xq = new Int8Array(e.memory.buffer, pq, batch * k).slice();
    const params = new DataView(e.memory.buffer.slice(pp, pp + batch * 8));
    for (const p of [px, pq, pp]) e.free(p);
    const layer = ffwd.linear({ weight, bias, inFeatures: k, outFeatures: m, compute: 'int8' });
    const y = layer.forward(xs, batch);
    let differing = 0;
    for (let b = 0; b < batch; b++) {
      const [sx, zp] = [params.getFloat32(8 * b, true), params.getInt32(8 * b + 4, true)];
      for (let o = 0; o < m; o++) {
        let corr = 0;
        for (let i = 0; i < k; i++) corr += (xq[b * k + i] - zp) * q[o * k + i];
        const want = Math.fround(bias[o] + Math.fround(Math.fround(scale[o] * sx) * Math.fround(corr)));
        if (!Object.is(want, y[b * m + o])) differing++;
      }
    }
    c.notes.int8Dot = `${ffwd.int8Dot.instruction} (engine: ${ffwd.int8Dot.engine})`;
    c.ok(`int8 compute: the bits of the integer reference (${c.notes.int8Dot})`, differing === 0, `${differing} outputs differ`);
    c.checksums['linear(int8 compute)'] = fnv1a(new Uint32Array(y.buffer, y.byteOffset, y.length));
    const weightOnly = ffwd.linear({ weight, bias, inFeatures: k, outFeatures: m, dtype: 'int8' }).forward(xs, batch);
    let worst = 0;
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < m; o++) {
        let [sum, mag] = [bias[o], Math.abs(bias[o])];
        for (let i = 0; i < k; i++) [sum, mag] = [sum + xs[b * k + i] * q[o * k + i] * scale[o], mag + Math.abs(xs[b * k + i] * q[o * k + i] * scale[o])];
        worst = Math.max(worst, Math.abs(weightOnly[b * m + o] - sum) / mag);
      }
    }
    c.ok('int8 weights: match float64 on q·scale within 1e-5·√K', worst <= 1e-5 * Math.sqrt(k), `relative error ${worst}`);
    c.checksums['linear(int8)'] = fnv1a(new Uint32Array(weightOnly.buffer, weightOnly.byteOffset, weightOnly.length));
  });

  if (threads) await c.run('threads', () => checkThreads(c, init, { build: ffwd.build, module }, threads));

  return result();
}

/** Layers whose threaded partitions are uneven: GEMM rows and panels, the gated GEMM, norms, GELU. */
function threadedOutputs(ffwd) {
  const next = random(2024);
  const values = (n, scale) => Float32Array.from({ length: n }, () => ((next() / 2 ** 32) * 2 - 1) * scale);
  const [d, h] = [300, 301];
  const proj = (o, i) => ({ weight: values(o * i, 1 / Math.sqrt(i)), bias: values(o, 1), inFeatures: i, outFeatures: o });
  const fc1 = proj(h, d);
  const fc2 = proj(d, h);
  const [gate, up, down] = [proj(h, d), proj(h, d), proj(d, h)];
  const x = values(13 * d, 3);
  const norm = { kind: 'rms', weight: values(d, 1) };
  return [
    ...[1, 3, 13].map((batch) => ffwd.feedForward({ fc1, fc2, activation: 'gelu_tanh' }).forward(x.subarray(0, batch * d), batch)),
    ...[1, 13].map((batch) => ffwd.feedForward({ gate, up, down, wiring: 'pre_norm', norm }).forward(x.subarray(0, batch * d), batch)),
    ffwd.layerNorm(values(64 * 771, 5), 771),
    ffwd.gelu(values(100_003, 4)),
  ];
}

/** init({ threads: 2 }): as many threads as this runtime allows, the bits of 1 thread, close(). */
async function checkThreads(c, init, { build, module }, expected) {
  const options = module === undefined ? { build } : { build, module };
  const two = await init({ ...options, threads: 2 });
  c.notes.threads = two.threads;
  c.notes.threadsUnavailable = two.threadsUnavailable;
  const reason = two.threadsUnavailable ?? '';
  if (expected === 'yes') c.ok('threads: init({ threads: 2 }) runs 2 threads', two.threads === 2, reason);
  const fellBack = two.threads === 1 && reason.length > 20;
  if (expected === 'no') c.ok('threads: init({ threads: 2 }) runs 1 thread and says why', fellBack, `threads ${two.threads}, ${reason}`);
  if (expected === 'any') c.ok('threads: 2 threads, or 1 and why', two.threads === 2 || fellBack, `threads ${two.threads}, ${reason}`);
  const one = await init(options);
  const want = threadedOutputs(one);
  const got = threadedOutputs(two);
  const differing = want.filter((w, i) => fnv1a(bitsView(w)) !== fnv1a(bitsView(got[i]))).length;
  c.ok(`threads: ${two.threads} thread(s) give the bits of 1 (FFN rows and panels, gated, norm, GELU)`, differing === 0, `${differing} outputs differ`);
  await two.close();
  let message = '';
  try {
    two.gelu(new Float32Array(4));
  } catch (error) {
    message = String(error?.message);
  }
  c.ok('threads: a call after close() throws, saying the instance is closed', /closed/.test(message), message);
}

/** Runs the suite for the build `auto` picks, then for 'simd' if auto picked another (its checksums are compared). */
export async function conformanceAll({ runtime, init, expect, modules, threads }) {
  const results = [];
  if (modules) {
    // Edge workers: one run per imported module, no compiling.
    for (const [build, module] of Object.entries(modules)) {
      results.push(await conformance({ runtime, init, module, build: 'auto', expect: build, threads }));
    }
    return results;
  }
  const auto = await conformance({ runtime, init, build: 'auto', expect, relaxedAvailable: expect === 'relaxed', threads });
  results.push(auto);
  if (auto.build !== 'simd') results.push(await conformance({ runtime, init, build: 'simd', expect: 'simd' }));
  return results;
}
