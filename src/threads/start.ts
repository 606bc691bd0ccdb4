// What init does for `threads`: read the option, make the shared memory a threads build imports,
// start the pool, and say in words why fewer threads run than were asked.
import { checkInteger, describe } from '../errors.js';
import type { Heap } from '../memory.js';
import { Parallel } from './parallel.js';
import { Pool, type SpawnWorker } from './pool.js';
import { seesSharedWrites } from './support.js';

/** 'auto' takes the platform's cores up to this. */
export const AUTO_MAX_THREADS = 8;
/** The most `threads` may ask for. */
export const MAX_THREADS = 64;
const WASM_PAGE = 65536;
/** The initial memory asconfig.json declares, in pages. */
const INITIAL_PAGES = 2;
/** Smallest maximum tried when an engine refuses to reserve a large shared memory (WebKit on iOS). */
const SMALLEST_MAXIMUM = 256 * 2 ** 20;

/** The number of threads `init({ threads })` asks for: an integer 1 … 64, or 'auto' (cores, at most 8). */
export function requestedThreads(value: unknown, cores: number): number {
  if (value === undefined) return 1;
  if (value === 'auto') return Math.max(1, Math.min(AUTO_MAX_THREADS, cores));
  if (typeof value !== 'number') {
    throw new TypeError(`init: options.threads must be a number of threads or 'auto', got ${describe(value)}`);
  }
  checkInteger('init', 'options.threads', value, 1, MAX_THREADS);
  return value;
}

/**
 * The imports of a module: `env.memory` is made only if the module asks for it (a shared-memory
 * build does), shared, with a maximum of maxMemory, or less when the engine refuses to reserve that;
 * `maximum` is then that maximum in bytes.
 */
export function memoryImports(maxMemory: number): { imports: WebAssembly.Imports; maximum(): number } {
  let memory: WebAssembly.Memory | undefined;
  let maximum = maxMemory;
  const imports = {
    env: {
      get memory() {
        for (; memory === undefined; maximum /= 2) {
          try {
            memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: Math.floor(maximum / WASM_PAGE), shared: true });
            break;
          } catch (error) {
            if (!(error instanceof RangeError) || maximum / 2 < SMALLEST_MAXIMUM) throw error;
          }
        }
        return memory;
      },
    },
  };
  return { imports, maximum: () => maximum };
}

/**
 * Starts threads − 1 workers on the heap's memory and checks they see its writes; on success the
 * heap's kernels run on the pool. Resolves to the pool, or to the reason none runs.
 */
export async function startThreads(heap: Heap, module: WebAssembly.Module, threads: number, spawn: SpawnWorker): Promise<Pool | string> {
  let pool: Pool;
  try {
    pool = await Pool.start(heap, module, threads, spawn);
  } catch (error) {
    return `the worker threads could not start (${error instanceof Error ? error.message : String(error)})`;
  }
  if (!seesSharedWrites(heap, pool)) {
    await pool.close();
    return 'the worker threads do not see the writes of the calling thread into the shared memory ' +
      '(a known bug of this runtime: Bun, oven-sh/bun#25677)';
  }
  heap.parallel = new Parallel(heap, pool);
  return pool;
}
