// The zero-copy path in a few lines: `npm start` runs this (the feedforward issue grows it into
// the seed's FeedForwardBlock example).
import { init } from 'ffwd';

const ffwd = await init(); // picks the relaxed-SIMD build where the runtime validates it
console.log(`ffwd ${ffwd.build} build, ${ffwd.memoryBytes / 1024} KiB of WASM memory`);

const n = 1 << 20;
const x = ffwd.tensor(n); // lives in WASM memory; x.data is a Float32Array view of it
for (let i = 0; i < n; i++) x.data[i] = Math.sin(i) * 4;

const time = (fn, rounds = 21) => {
  const ms = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[rounds >> 1];
};

const y = ffwd.tensor(n);
const wasmMs = time(() => ffwd.leakyRelu(x, 0.1, y)); // pointers in, nothing copied
const plain = new Float32Array(n);
const slope = Math.fround(0.1); // float32 arithmetic, as PyTorch computes it
const jsMs = time(() => {
  const src = x.data;
  for (let i = 0; i < n; i++) plain[i] = src[i] > 0 ? src[i] : src[i] * slope;
});

let mismatches = 0;
for (let i = 0; i < n; i++) if (plain[i] !== y.data[i]) mismatches++;
console.log(`leakyRelu over ${n} floats: ffwd ${wasmMs.toFixed(3)} ms, plain JS ${jsMs.toFixed(3)} ms ` +
  `(${(jsMs / wasmMs).toFixed(1)}x), ${mismatches} mismatches`);

x.free();
y.free();
