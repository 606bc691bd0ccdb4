// What the numbers were measured on.
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The first processor's fields in /proc/cpuinfo (Linux), else {}. */
function cpuinfo() {
  try {
    const first = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0];
    return Object.fromEntries(first.split('\n').map((l) => l.split(/\s*:\s*/, 2)).filter((kv) => kv.length === 2));
  } catch {
    return {};
  }
}

export function machine() {
  const info = cpuinfo();
  const flags = new Set((info.flags ?? '').split(' '));
  return {
    cpu: info['model name'] ?? os.cpus()[0]?.model ?? 'unknown',
    cpuFamily: info['cpu family'] && `family ${info['cpu family']} model ${info.model}`,
    cpuMHz: info['cpu MHz'] ? Math.round(Number(info['cpu MHz'])) : undefined,
    vectorFlags: ['avx2', 'fma', 'avx512f'].filter((f) => flags.has(f)),
    cores: os.availableParallelism?.() ?? os.cpus().length,
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadAverage: os.loadavg().map((l) => +l.toFixed(2)),
    date: new Date().toISOString(),
  };
}
