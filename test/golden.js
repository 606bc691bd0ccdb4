// Loader for the PyTorch golden vectors in test/golden/ (written by scripts/golden.py). Node only.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = new URL('./golden/', import.meta.url);

/** test/golden/manifest.json: torch version, notes, observed_semantics, and `files[name]` with
 *  { file, dtype ('float32' | 'safetensors'), shape | tensors, bytes, description, … }. */
export const manifest = JSON.parse(readFileSync(new URL('manifest.json', DIR), 'utf8'));

function entry(name) {
  const e = manifest.files[name];
  if (e === undefined) {
    throw new RangeError(`golden '${name}' is not in test/golden/manifest.json (have: ${Object.keys(manifest.files).join(', ')})`);
  }
  return e;
}

/** Absolute path of a golden file by manifest name. */
export function goldenPath(name) {
  return fileURLToPath(new URL(entry(name).file, DIR));
}

/** The raw bytes of a golden file (e.g. a .safetensors) as a Uint8Array. */
export function loadGoldenBytes(name) {
  const buf = readFileSync(goldenPath(name));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** A float32 golden vector (row-major, shape in manifest.files[name].shape) as a fresh Float32Array. */
export function loadGolden(name) {
  const e = entry(name);
  if (e.dtype !== 'float32') throw new TypeError(`golden '${name}' is ${e.dtype}, not float32: use loadGoldenBytes`);
  const bytes = loadGoldenBytes(name);
  const n = e.shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== n * 4) {
    throw new RangeError(`golden '${name}': ${bytes.byteLength} bytes on disk, shape [${e.shape}] needs ${n * 4}`);
  }
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
