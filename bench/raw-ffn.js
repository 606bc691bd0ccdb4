// A chain of linear layers d0 → d1 → … through a module's raw exports (pack, linear), for the kernel
// microbenchmarks that time modules side by side (gemm-kernel.js, int8-kernel.js): weights from `fill`
// (n, scale) → Float32Array, N(0, 1/K)-sized, biases 0.1-sized, x of unit size; `act` on the hidden
// layers; panels in `dtype` (a WeightDtype code). Returns run(), the output, the costs and release().
export function rawFfn(e, dims, { fill, act, dtype = 0 }) {
  const batch = dims[0];
  const f32 = (ptr, n) => new Float32Array(e.memory.buffer, ptr, n);
  const layers = [];
  for (let l = 1; l + 1 < dims.length; l++) {
    const [K, N] = [dims[l], dims[l + 1]];
    const w = e.alloc(N * K * 4) >>> 0;
    const b = e.alloc(N * 4) >>> 0;
    f32(w, N * K).set(fill(N * K, 1 / Math.sqrt(K)));
    f32(b, N).set(fill(N, 0.1));
    const bytes = e.packedBytes(K, N, dtype) >>> 0;
    const packed = e.alloc(bytes) >>> 0;
    const bad = e.pack(w, b, packed, K, N, false, dtype); // (-1, or nothing from modules older than dtypes)
    if (bad !== undefined && bad !== -1) throw new Error(`pack failed (${K}→${N}, dtype ${dtype}): weight ${bad}`);
    e.free(w);
    e.free(b);
    layers.push({ K, N, packed, bytes, act: l + 2 < dims.length ? act : 0 });
  }
  const acts = dims.slice(1).map((d) => e.alloc(batch * d * 4) >>> 0);
  // The GEMM's scratch, as a Linear allocates it (a module without linearScratchBytes has none).
  const scratchBytes = e.linearScratchBytes ? Math.max(...layers.map((L) => e.linearScratchBytes(L.K, dtype) >>> 0)) : 0;
  const scratch = scratchBytes ? e.alloc(scratchBytes) >>> 0 : 0;
  f32(acts[0], batch * dims[1]).set(fill(batch * dims[1]));
  const run = () => {
    for (let l = 0; l < layers.length; l++) {
      const L = layers[l];
      e.linear(acts[l], L.packed, acts[l + 1], batch, L.K, L.N, L.act, 0.01, 0, scratch, dtype);
    }
  };
  const output = () => f32(acts.at(-1), batch * dims.at(-1)).slice();
  const flops = layers.reduce((s, L) => s + 2 * batch * L.K * L.N, 0);
  const weightBytes = layers.reduce((s, L) => s + L.bytes, 0);
  const release = () => {
    for (const L of layers) e.free(L.packed);
    for (const p of acts) e.free(p);
    if (scratch) e.free(scratch);
  };
  return { run, output, flops, weightBytes, release };
}
