// The builds every test runs against, and one shared instance of each per test file.
import { init, type Ffwd } from '../src/index.node.js';

export const BUILDS = ['simd', 'relaxed'] as const;

const instances = new Map<string, Promise<Ffwd>>();

export function instance(build: (typeof BUILDS)[number]): Promise<Ffwd> {
  if (!instances.has(build)) instances.set(build, init({ build }));
  return instances.get(build)!;
}
