// Shared by the GEMM and layer tests: seeded data and a float64 matmul with its float32 error bound.

/** A small deterministic generator of values in [−1, 1), so that failures reproduce. */
export function random(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

export const filled = (n: number, next: () => number, scale = 1) => Float32Array.from({ length: n }, () => next() * scale);

/** Whether two float32 arrays hold the same bits. */
export function sameBits(a: Float32Array, b: Float32Array) {
  if (a.length !== b.length) return false;
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const v = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return false;
  return true;
}

export const U = 2 ** -24; // float32 unit roundoff
export const SLOPE = Math.fround(0.01); // leaky_relu's default slope, as the kernels use it
export type Act = 'identity' | 'relu' | 'leaky_relu';
const apply = (act: Act, v: number) => (act === 'relu' ? Math.max(v, 0) : act === 'leaky_relu' && v < 0 ? v * SLOPE : v);

/**
 * The float64 reference y = act(x·Wᵀ + b) and, per output, the error the float32 kernel may make.
 * Each output is b + Σ_k x_k·w_k over K products, accumulated in float32 (product rounded then added,
 * or fused): the classic bound for a length-(K+1) dot product is |ŷ − y| ≤ γ(K+1)·(|b| + Σ|x_k·w_k|)
 * with γ(n) = n·u/(1 − n·u), u = 2⁻²⁴. relu and leaky_relu (slope ≤ 1) are 1-Lipschitz and add at
 * most one rounding of the result (u·|y|).
 */
export function reference(x: Float32Array, w: Float32Array, b: Float32Array | null, M: number, K: number, N: number, act: Act) {
  const y = new Float64Array(M * N);
  const bound = new Float64Array(M * N);
  const gamma = ((K + 1) * U) / (1 - (K + 1) * U);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = b ? b[n] : 0;
      let abs = Math.abs(sum);
      const xo = m * K;
      const wo = n * K;
      for (let k = 0; k < K; k++) {
        const p = x[xo + k] * w[wo + k];
        sum += p;
        abs += Math.abs(p);
      }
      const v = apply(act, sum);
      y[m * N + n] = v;
      bound[m * N + n] = gamma * abs + U * Math.abs(v) + 1e-45;
    }
  }
  return { y, bound };
}
