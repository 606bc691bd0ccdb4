import { init } from 'ffwd';
const build = process.argv[2] ?? 'relaxed';
const [d, h] = (process.argv[3] ?? '2048,8192').split(',').map(Number);
const batches = (process.argv[4] ?? '1,8,128').split(',').map(Number);
const f = await init({ build });
let s = 1;
const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
const w1 = Float32Array.from({ length: d * h }, () => rnd() * 0.03), w2 = Float32Array.from({ length: d * h }, () => rnd() * 0.03);
const make = (dtype) => f.feedForward({ fc1: { weight: w1, inFeatures: d, outFeatures: h }, fc2: { weight: w2, inFeatures: h, outFeatures: d }, activation: 'gelu', dtype });
const layers = { f32: make('f32'), bf16: make('bf16'), int8: make('int8') };
for (const batch of batches) {
  const x = f.tensor(Float32Array.from({ length: batch * d }, rnd));
  const y = f.tensor(batch * d);
  const times = Object.fromEntries(Object.keys(layers).map((k) => [k, []]));
  const reps = Math.max(1, Math.round(20 / batch));
  for (let r = 0; r < 15; r++) for (const [k, l] of Object.entries(layers)) {
    const t = performance.now(); for (let i = 0; i < reps; i++) l.forward(x, batch, y); times[k].push((performance.now() - t) / reps);
  }
  const med = (a) => a.sort((p, q) => p - q)[a.length >> 1];
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, med(v)]));
  console.log(build, `${d}/${h}`, 'B=' + batch, Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(3)}ms (${(m.f32 / v).toFixed(2)}×)`).join('  '));
}
