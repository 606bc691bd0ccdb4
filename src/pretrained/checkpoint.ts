// The tensors of a checkpoint, possibly sharded over several .safetensors files, found by the path
// a model's modules give them whatever prefix the saving class added ('bert.', 'model.',
// 'language_model.model.', none …).
import { describe } from '../errors.js';
import type { WeightDtype } from '../linear.js';
import type { Heap, Tensor } from '../memory.js';
import { SafetensorsFile } from '../safetensors.js';

export type CheckpointFiles = SafetensorsFile | Uint8Array | ArrayBuffer | readonly (SafetensorsFile | Uint8Array | ArrayBuffer)[];

/** Edit distance, for naming the tensors nearest to a missing one. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = row;
  }
  return previous[b.length];
}

export class Checkpoint {
  readonly #where: string;
  /** Every tensor name, with the file that holds it. */
  readonly #owner = new Map<string, SafetensorsFile>();
  /** Files parsed here from bytes, freed with the checkpoint. */
  readonly #parsed: SafetensorsFile[] = [];

  constructor(heap: Heap, where: string, files: unknown) {
    this.#where = where;
    const list = Array.isArray(files) ? files : [files];
    if (list.length === 0) throw new TypeError(`${where}: files is an empty array; give a SafetensorsFile, its bytes, or an array of shards`);
    try {
      list.forEach((entry, i) => {
        const name = Array.isArray(files) ? `files[${i}]` : 'files';
        let file: SafetensorsFile;
        if (entry instanceof SafetensorsFile) file = entry;
        else if (entry instanceof Uint8Array || entry instanceof ArrayBuffer) this.#parsed.push((file = new SafetensorsFile(heap, entry)));
        else throw new TypeError(`${where}: ${name} must be a SafetensorsFile (ffwd.safetensors(bytes)) or the bytes of one, got ${describe(entry)}`);
        for (const tensor of file.names) {
          if (this.#owner.has(tensor)) throw new RangeError(`${where}: tensor '${tensor}' is in two of the files given`);
          this.#owner.set(tensor, file);
        }
      });
    } catch (error) {
      this.free();
      throw error;
    }
  }

  /** The full name of the tensor at `path`: the name itself or one ending in '.' + path; undefined if none. */
  find(path: string): string | undefined {
    if (this.#owner.has(path)) return path;
    const matches = [...this.#owner.keys()].filter((name) => name.endsWith(`.${path}`));
    if (matches.length > 1) {
      throw new RangeError(`${this.#where}: '${path}' matches ${matches.length} tensors (${matches.join(', ')}); give the files of one model`);
    }
    return matches[0];
  }

  /** The full name of the first of `paths` present, or a RangeError naming it and the nearest names present. */
  require(...paths: string[]): string {
    for (const path of paths) {
      const name = this.find(path);
      if (name !== undefined) return name;
    }
    const nearest = [...this.#owner.keys()]
      .map((name) => [name, distance(name.slice(-paths[0].length - 8), paths[0])] as const)
      .sort((a, b) => a[1] - b[1])
      .slice(0, 3)
      .map(([name]) => `'${name}'`);
    throw new RangeError(`${this.#where}: the checkpoint has no tensor '${paths.join("' or '")}'; nearest: ${nearest.join(', ') || 'none'}`);
  }

  /** The weight dtype a tensor's stored dtype keeps by default: F32 → 'f32', BF16 → 'bf16', F16 → 'f16'. */
  weightDtype(name: string): WeightDtype {
    const stored = this.#owner.get(name)!.info(name).dtype;
    return stored === 'BF16' ? 'bf16' : stored === 'F16' ? 'f16' : 'f32';
  }

  shape(name: string): number[] {
    return this.#owner.get(name)!.info(name).shape;
  }

  /** A float32 Tensor of `name` for the caller to free once packed. */
  open(name: string): Tensor {
    return this.#owner.get(name)!.open(name);
  }

  free(): void {
    for (const file of this.#parsed) file.free();
  }
}
