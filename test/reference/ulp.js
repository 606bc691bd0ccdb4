// Float32 ulp distances and the sampled test inputs. Plain ESM JavaScript (see math.js).
//
// Distance is measured on the ordered integer representation of float32 bit patterns: for a
// float32 with bits b, ord = b for a positive sign and -(b & 0x7fffffff) for a negative one, so
// consecutive float32 values (subnormals included, in steps of 2^-149) are consecutive integers and
// the distance between two finite floats is |ord(a) - ord(b)|: the number of float32 values you
// step over going from one to the other. Conventions:
//   * +0 and -0 are 0 apart (both have ord 0). Pass { signedZeros: true } to make a zero-sign
//     mismatch (+0 against -0) count as Infinity instead: that is how a test checks that a kernel
//     keeps -0 where the math does.
//   * Both NaN: 0 (any payload or sign). Exactly one NaN: Infinity.
//   * An infinity matches only the same infinity: +Inf vs +Inf is 0; +Inf vs -Inf, or an infinity
//     vs any finite value (max float included), is Infinity.
//   * Finite values of opposite sign are |ord(a)| + |ord(b)| apart: ±2^-149 are 2 apart (they are
//     two steps from each other across the zeros), ±1 are 2·0x3f800000 apart.

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The uint32 bit pattern of Math.fround(x). */
export function f32Bits(x) {
  F32[0] = x;
  return U32[0];
}

/** The float32 value (as a number) with the given uint32 bit pattern. */
export function f32FromBits(bits) {
  U32[0] = bits >>> 0;
  return F32[0];
}

/** Ordered integer of Math.fround(x): monotonic in x, ±0 → 0, NaN → NaN. */
export function f32Ordered(x) {
  if (x !== x) return NaN;
  const b = f32Bits(x);
  return b >= 0x80000000 ? 0 - (b & 0x7fffffff) : b;
}

/** The float32 value `steps` places away from Math.fround(x) in ordered-integer order
 *  (steps > 0 towards +∞); -0 and +0 are the same place. Crossing past ±Inf gives ±Inf. */
export function f32Step(x, steps = 1) {
  if (x !== x) return NaN;
  const o = f32Ordered(x) + steps;
  if (o >= 0x7f800000) return Infinity;
  if (o <= -0x7f800000) return -Infinity;
  return o >= 0 ? f32FromBits(o) : f32FromBits((0x80000000 | -o) >>> 0);
}

/** Distance in float32 ulps between Math.fround(a) and Math.fround(b) (conventions above). */
export function ulpDistance(a, b, options) {
  const fa = Math.fround(a);
  const fb = Math.fround(b);
  const nanA = fa !== fa;
  const nanB = fb !== fb;
  if (nanA || nanB) return nanA && nanB ? 0 : Infinity;
  if (fa === Infinity || fa === -Infinity || fb === Infinity || fb === -Infinity) {
    return fa === fb ? 0 : Infinity;
  }
  if (fa === 0 && fb === 0) {
    return options?.signedZeros && Object.is(fa, -0) !== Object.is(fb, -0) ? Infinity : 0;
  }
  return Math.abs(f32Ordered(fa) - f32Ordered(fb));
}

/** The error of a float32 result `actual` against the exact value `exact` (a float64 reference)
 *  in float32 ulps: ulpDistance(actual, Math.fround(exact)). `actual` is rounded to float32 first,
 *  which is a no-op for values read from a Float32Array. */
export function ulpError(actual, exact, options) {
  return ulpDistance(actual, exact, options);
}

/** The largest ulpError over two equally long arrays, with where it occurs (index -1 if empty). */
export function maxUlpError(actual, exact, options) {
  if (actual.length !== exact.length) {
    throw new RangeError(`maxUlpError: lengths differ (actual ${actual.length}, exact ${exact.length})`);
  }
  let max = 0;
  let index = actual.length > 0 ? 0 : -1;
  for (let i = 0; i < actual.length; i++) {
    const e = ulpDistance(actual[i], exact[i], options);
    if (e > max) {
      max = e;
      index = i;
      if (e === Infinity) break;
    }
  }
  return {
    max,
    index,
    actual: index >= 0 ? actual[index] : NaN,
    exact: index >= 0 ? exact[index] : NaN,
  };
}

// ---------------------------------------------------------------- sampled inputs

/** mulberry32: a tiny deterministic PRNG (uint32 outputs). */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const MAX_F32 = 3.4028234663852886e38;
const MIN_NORMAL_F32 = 2 ** -126;
const MIN_SUBNORMAL_F32 = 2 ** -149;

/** Points where kernels switch branches or where results change character: runs of consecutive
 *  float32 values are placed around each. */
const RUN_CENTRES = [
  0.5, -0.5, 1, -1, 2, -2, 4, -4, 8, -8,
  -0.7517916243 /* gelu' = 0 */, -1.2784645428 /* silu' = 0 */,
  88.72283935546875 /* expf overflow */, -87.33654022216797 /* expf → subnormal */,
  -103.97207641601562 /* expf → 0 */,
];

let cached = null;

function build() {
  const out = [];
  const push = (v) => out.push(v);
  const grid = (lo, hi, step) => {
    const n = Math.round((hi - lo) / step);
    for (let i = 0; i <= n; i++) push(lo + i * step);
  };
  // 1. specials
  for (const v of [
    0, -0, Infinity, -Infinity, NaN, MAX_F32, -MAX_F32, MIN_NORMAL_F32, -MIN_NORMAL_F32,
    MIN_SUBNORMAL_F32, -MIN_SUBNORMAL_F32, MIN_NORMAL_F32 - MIN_SUBNORMAL_F32,
    -(MIN_NORMAL_F32 - MIN_SUBNORMAL_F32), 1, -1, f32Step(1, 1), f32Step(1, -1), f32Step(-1, 1),
    f32Step(-1, -1),
  ]) {
    push(v);
  }
  // 2. every float32 exponent (biased 0..254: subnormals and every normal binade), 16 mantissas
  //    each (the edges, the middle, 13 pseudo-random), both signs
  const rnd = prng(0x5eed1234);
  for (let e = 0; e <= 254; e++) {
    const mantissas = [0, 1, 0x400000, 0x7fffff];
    while (mantissas.length < 16) mantissas.push(rnd() & 0x7fffff);
    for (const m of mantissas) {
      const bits = (e << 23) | m;
      push(f32FromBits(bits));
      push(f32FromBits((bits | 0x80000000) >>> 0));
    }
  }
  // 3. subnormals: the 256 smallest, then 744 pseudo-random ones, both signs
  for (let m = 1; m <= 256; m++) {
    push(f32FromBits(m));
    push(f32FromBits((0x80000000 | m) >>> 0));
  }
  for (let i = 0; i < 744; i++) {
    const m = (rnd() & 0x7fffff) || 1;
    push(f32FromBits(m));
    push(f32FromBits((0x80000000 | m) >>> 0));
  }
  // 4. dense near 0, in [-10, 10], in the GELU underflow region, and over the exp range
  grid(-1, 1, 1e-4); // 20001
  grid(-10, 10, 2.5e-4); // 80001
  grid(-14, -9, 2.5e-4); // 20001
  grid(-120, 120, 1 / 64); // 15361
  // 5. runs of 64 consecutive float32 values on each side of the branch points
  for (const c of RUN_CENTRES) {
    for (let k = -64; k <= 64; k++) push(f32Step(c, k));
  }
  return Float32Array.from(out);
}

/**
 * A deterministic Float32Array of test inputs (about 150k values): the specials (±0, ±Inf, NaN,
 * ±max, ±min normal, ±min and max subnormal, ±1 and neighbours), every float32 exponent with 16
 * mantissas and both signs, 2000 subnormals, dense grids on [-1, 1] (step 1e-4), [-10, 10] (2.5e-4),
 * the GELU underflow region [-14, -9] (2.5e-4) and [-120, 120] (1/64), and runs of 129 consecutive
 * floats around branch points (±0.5, ±1, ±2, ±4, ±8, the zeros of gelu' and silu', the expf
 * overflow and underflow thresholds). Values are not sorted and may repeat. Each call returns a
 * fresh copy.
 */
export function sampleInputs() {
  if (cached === null) cached = build();
  return cached.slice();
}
