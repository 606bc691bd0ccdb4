// Node: the packaged .wasm is read with fs (Node's fetch has no file: URLs); http(s) URLs are fetched.
import { readFile } from 'node:fs/promises';
import { createInit } from './ffwd.js';
import type { Build, ModuleSource } from './runtime.js';

export * from './api.js';

async function load(location: string | URL): Promise<ModuleSource> {
  const text = String(location);
  if (/^https?:/.test(text)) return fetch(text);
  return readFile(location instanceof URL ? location : text);
}

const packaged = (build: Build) => load(new URL(`../build/ffwd.${build}.wasm`, import.meta.url));

export const init = createInit(packaged, load);
