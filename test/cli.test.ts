// The `ffwd pack` command, spawned as a user runs it (bin/ffwd.js over dist/, which `npm test` builds
// first): on golden checkpoints it writes exactly what layer.save() writes for fromPretrained's layer,
// the file loads with ffwd.load and gives fromPretrained's outputs bit for bit in both builds; bad
// arguments are one line on stderr and exit code 2.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILDS, instance } from './builds.js';

const BIN = fileURLToPath(new URL('../bin/ffwd.js', import.meta.url));
const FAMILIES = fileURLToPath(new URL('./golden/families/', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'ffwd-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Runs `ffwd …args` in a child process (asynchronously, so that concurrent tests overlap). */
function ffwd(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
const f32 = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
const read = (path: string) => readFileSync(join(FAMILIES, path));

const PACKED = [
  // a sharded directory (config.json and the shards of model.safetensors.index.json beside it)
  { name: 'llama_sharded', args: ['llama_sharded', '--layer', '1', '--sublayer'], files: ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'], options: { layer: 1, sublayer: true } },
  // one file, its config.json read from beside it
  { name: 'gpt2', args: ['gpt2/model.safetensors'], files: ['model.safetensors'], options: {} },
  // an encoder–decoder's decoder, the config given explicitly, int8 weights
  // int8 weights quantised from a BF16 checkpoint, computed with integer dot products
  { name: 'llama', args: ['llama/model.safetensors', '--compute', 'int8', '--sublayer'], files: ['model.safetensors'], options: { compute: 'int8', sublayer: true } },
  { name: 't5', args: ['t5/model.safetensors', '--config', join(FAMILIES, 't5/config.json'), '--stack', 'decoder', '--sublayer', '--dtype', 'int8'], files: ['model.safetensors'], options: { stack: 'decoder', sublayer: true, dtype: 'int8' } },
];

describe('ffwd pack', () => {
  it.concurrent.each(PACKED)('$name: exit 0, one line on stdout, the file layer.save() writes', async ({ name, args, files, options }) => {
    const target = join(out, `${name}.safetensors`);
    const { status, stdout, stderr } = await ffwd('pack', join(FAMILIES, args[0]), ...args.slice(1), '-o', target);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(new RegExp(`^wrote .*${name}\\.safetensors: .* MLP 72 → 200 → 72, (f32|bf16|f16|int8) weights( \\(int8 compute\\))?, wiring .*, \\d+ bytes\\n$`));
    for (const build of BUILDS) {
      const f = await instance(build);
      const config = JSON.parse(read(`${name}/config.json`).toString('utf8'));
      const reference = f.feedForward.fromPretrained(files.map((file) => read(`${name}/${file}`)), config, options);
      const saved = readFileSync(target);
      expect(Buffer.compare(saved, reference.save()), `${build}: the same bytes as save()`).toBe(0);
      const loaded = f.load(saved);
      const x = f32(read(`${name}/x.bin`));
      expect(bits(loaded.forward(x, 5)), `${build}: fromPretrained's outputs`).toEqual(bits(reference.forward(x, 5)));
      loaded.free();
      reference.free();
    }
  });

  it('--help lists every option and exits 0', async () => {
    for (const args of [['--help'], ['pack', '--help'], ['pack', '-h']]) {
      const { status, stdout } = await ffwd(...args);
      expect(status).toBe(0);
      for (const option of ['-o, --output', '--config', '--layer', '--sublayer', '--stack', '--dtype', '--compute', 'encoder | decoder', 'text | vision', 'bf16', 'int8']) {
        expect(stdout, `${args.join(' ')}: ${option}`).toContain(option);
      }
    }
  });

  const gpt2 = join(FAMILIES, 'gpt2/model.safetensors');
  it.concurrent.each([
    [['pack', gpt2, '-o', join(out, 'x'), '--dtype', 'f64'], /^ffwd pack: --dtype must be 'f32', 'bf16', 'f16', 'int8', got 'f64'$/],
    [['pack', gpt2, '-o', join(out, 'x'), '--compute', 'f16'], /^ffwd pack: --compute must be 'f32', 'int8', got 'f16'$/],
    [['pack', gpt2, '-o', join(out, 'x'), '--dtype', 'bf16', '--compute', 'int8'], /^ffwd pack: .*compute 'int8' \(integer dot products\) needs dtype 'int8', got dtype 'bf16'$/],
    [['pack', gpt2, '-o', join(out, 'x'), '--layer', '1.5'], /^ffwd pack: --layer must be an integer ≥ 0, got '1.5'$/],
    [['pack', gpt2, '-o', join(out, 'x'), '--layer', '7'], /^ffwd pack: .*options.layer is 7, but the config has 2 layers$/],
    [['pack', gpt2, '-o', join(out, 'x'), '--stack', 'middle'], /^ffwd pack: --stack must be one of encoder, decoder, text, vision, got 'middle'$/],
    [['pack', gpt2, '-o', join(out, 'x'), '--stack', 'decoder'], /^ffwd pack: .*'gpt2' has one stack of layers/],
    [['pack', gpt2, '-o', join(out, 'x'), '--bogus'], /^ffwd pack: Unknown option '--bogus'/],
    [['pack', gpt2], /^ffwd pack: -o <out.safetensors> is required$/],
    [['pack', '-o', join(out, 'x')], /^ffwd pack: expected one checkpoint \(a .safetensors file or a directory\), got 0$/],
    [['pack', join(FAMILIES, 'nothere.safetensors'), '-o', join(out, 'x')], /^ffwd pack: cannot read the checkpoint '.*nothere.safetensors': ENOENT$/],
    [['pack', join(FAMILIES, 'gpt2/x.bin'), '-o', join(out, 'x')], /^ffwd pack: safetensors: /],
    [['pack', gpt2, '-o', join(out, 'no/such/dir/x')], /^ffwd pack: cannot write '.*': ENOENT$/],
    [['unpack'], /^ffwd: unknown command 'unpack'; the command is 'pack' \(ffwd --help\)$/],
    [[], /^ffwd: no command/],
  ])('%j: one line on stderr, exit code 2', async (args, message) => {
    const { status, stdout, stderr } = await ffwd(...args);
    expect(stderr.trimEnd()).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
    expect(status).toBe(2);
  });
});
