// Choosing a build and turning whatever the caller has (a Module, bytes, a URL, a Response) into an
// instance. Compiling is skipped when a precompiled Module is given: edge workers forbid it.
import type { KernelExports } from './exports.js';
import { hasRelaxedSimd, hasSimd } from './features.js';
import { describe } from './errors.js';

export type Build = 'simd' | 'relaxed';

/** Anything `init({ module })` accepts. A string is a path (Node) or a URL (elsewhere). */
export type ModuleSource =
  | WebAssembly.Module
  | BufferSource
  | URL
  | string
  | Response
  | PromiseLike<Response | WebAssembly.Module | BufferSource>;

/** Where the default .wasm of a build (or of its shared-memory twin, for threads) comes from on this
 *  platform (see the index.*.ts entries). */
export type DefaultSource = (build: Build, shared: boolean) => Promise<ModuleSource>;

/** An instance's exports and the compiled Module (which the threads instantiate again). */
export interface Instantiated {
  exports: KernelExports;
  module: WebAssembly.Module;
}

export function chooseBuild(requested: unknown): Build {
  if (!hasSimd()) {
    throw new Error('ffwd: this WebAssembly runtime does not support SIMD128, which every ffwd build needs');
  }
  if (requested === undefined || requested === 'auto') return hasRelaxedSimd() ? 'relaxed' : 'simd';
  if (requested === 'simd') return 'simd';
  if (requested === 'relaxed') {
    if (!hasRelaxedSimd()) {
      throw new Error(
        "ffwd: build 'relaxed' was requested but this runtime does not validate relaxed SIMD " +
          "(Node 20 needs --experimental-wasm-relaxed-simd); use build 'auto' or 'simd'",
      );
    }
    return 'relaxed';
  }
  throw new TypeError(`init: options.build must be 'auto', 'simd' or 'relaxed', got ${describe(requested)}`);
}

function isResponse(value: unknown): value is Response {
  return typeof Response !== 'undefined' && value instanceof Response;
}

async function fromResponse(response: Response, imports: WebAssembly.Imports): Promise<WebAssembly.WebAssemblyInstantiatedSource> {
  if (!response.ok) throw new Error(`init: fetching the module failed: HTTP ${response.status} ${response.url}`);
  if (typeof WebAssembly.instantiateStreaming === 'function') {
    try {
      return await WebAssembly.instantiateStreaming(response.clone(), imports);
    } catch (error) {
      // Servers that send the wrong Content-Type make streaming fail: fall back to bytes.
      if (!(error instanceof TypeError)) throw error;
    }
  }
  return WebAssembly.instantiate(await response.arrayBuffer(), imports);
}

/**
 * Instantiates `source`, resolving strings and URLs with `fetchSource` (fs on Node, fetch elsewhere);
 * `imports` carries the shared memory of a threads build (a build that owns its memory ignores it).
 */
export async function instantiate(
  source: ModuleSource,
  fetchSource: (location: string | URL) => Promise<ModuleSource>,
  imports: WebAssembly.Imports = {},
): Promise<Instantiated> {
  let resolved: unknown = await source;
  if (typeof resolved === 'string' || resolved instanceof URL) resolved = await fetchSource(resolved);
  // Responses are checked last: on Node 20 the first touch of the global Response loads undici (~20 ms).
  let instance: WebAssembly.Instance;
  let module: WebAssembly.Module;
  if (resolved instanceof WebAssembly.Module) {
    module = resolved;
    instance = await WebAssembly.instantiate(resolved, imports);
  } else if (resolved instanceof ArrayBuffer || ArrayBuffer.isView(resolved)) {
    ({ module, instance } = await WebAssembly.instantiate(resolved as BufferSource, imports));
  } else if (isResponse(resolved)) {
    ({ module, instance } = await fromResponse(resolved, imports));
  } else {
    throw new TypeError(
      `init: options.module must be a WebAssembly.Module, bytes, a URL, a path or a Response, got ${describe(resolved)}`,
    );
  }
  const exports = instance.exports as unknown as KernelExports;
  if (!(exports.memory instanceof WebAssembly.Memory) || typeof exports.alloc !== 'function') {
    throw new TypeError('init: options.module is not an ffwd module (no memory or alloc export)');
  }
  return { exports, module };
}

/** Whether a module is a shared-memory build (it imports its memory). */
export function importsMemory(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.kind === 'memory');
}

/** The build an instantiated module was compiled as, read from its RELAXED export. */
export function buildOf(exports: KernelExports): Build {
  return exports.RELAXED.value === 1 ? 'relaxed' : 'simd';
}

/** How a compute 'int8' layer multiplies: the instruction its kernels run, and why (the engine's probed relaxed dot). */
export interface Int8Dot {
  instruction: 'i32x4.relaxed_dot_i8x16_i7x16_add_s' | 'i32x4.dot_i16x8_s';
  /** What the engine's relaxed dot computes for a uint8 second operand (assembly/gemm/dot.ts DotMode). */
  engine: 'not probed (simd build)' | 'signed × signed' | 'unsigned × signed' | 'saturating pairs' | 'other';
}

const DOT_ENGINES: Int8Dot['engine'][] = ['not probed (simd build)', 'signed × signed', 'unsigned × signed', 'saturating pairs', 'other'];

export function int8DotOf(exports: KernelExports): Int8Dot {
  const mode = exports.DOT_MODE.value as number;
  return { instruction: mode === 1 || mode === 2 ? 'i32x4.relaxed_dot_i8x16_i7x16_add_s' : 'i32x4.dot_i16x8_s', engine: DOT_ENGINES[mode] };
}
