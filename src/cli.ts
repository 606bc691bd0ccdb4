// The `ffwd` command (bin/ffwd.js): `ffwd pack` writes what layer.save() writes for one layer's
// feedforward sublayer of a Hugging Face checkpoint, so that a service starts from ffwd.load(bytes)
// instead of repacking the checkpoint's weights at every cold start. Node only.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { init } from './index.node.js';
import { COMPUTES, type Compute, WEIGHT_DTYPES, type WeightDtype } from './linear.js';

const USAGE = `Usage: ffwd pack <model.safetensors | checkpoint dir> -o <out.safetensors> [options]

Writes one layer's feedforward block of a Hugging Face checkpoint as a saved ffwd layer: its packed
panels in a .safetensors file that ffwd.load(bytes) rebuilds without repacking. The same as
layer.save() of ffwd.feedForward.fromPretrained(files, config, { layer, sublayer, stack }).

  <model.safetensors>      one checkpoint file (its config.json is read from beside it, or --config)
  <checkpoint dir>         a save_pretrained directory: config.json and model.safetensors, or the
                           shards model.safetensors.index.json lists
  -o, --output <file>      where to write the saved layer (required)
  --config <config.json>   the model's config.json (default: the one in the checkpoint's directory)
  --layer <N>              which layer (default 0)
  --sublayer               the whole sublayer (norms and residual as the family wires them), not the MLP alone
  --stack <name>           encoder | decoder (T5, Whisper, BART), text | vision (CLIP)
  --dtype <dtype>          the weights' storage in the panels: ${WEIGHT_DTYPES.join(', ')} (default: what the checkpoint stores)
  --compute <compute>      ${COMPUTES.join(' | ')}: int8 computes with integer dot products on int8 weights (default f32)
  -h, --help               this text

Exit codes: 0 written; 2 bad arguments, or files that cannot be read or built from (a one-line message on stderr).`;

const STACKS = ['encoder', 'decoder', 'text', 'vision'];

/** A mistake in the command line or the files it names: one line on stderr, exit code 2. */
class UsageError extends Error {}

interface PackArguments {
  input: string;
  output: string;
  config?: string;
  layer: number;
  sublayer: boolean;
  stack?: string;
  dtype?: WeightDtype;
  compute?: Compute;
}

function parsePack(args: string[]): PackArguments | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        config: { type: 'string' },
        layer: { type: 'string' },
        sublayer: { type: 'boolean' },
        stack: { type: 'string' },
        dtype: { type: 'string' },
        compute: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(`expected one checkpoint (a .safetensors file or a directory), got ${positionals.length}${positionals.length ? `: ${positionals.join(' ')}` : ''}`);
  }
  if (values.output === undefined) throw new UsageError('-o <out.safetensors> is required');
  const layer = values.layer === undefined ? 0 : Number(values.layer);
  if (!Number.isInteger(layer) || layer < 0 || values.layer === '') throw new UsageError(`--layer must be an integer ≥ 0, got '${values.layer}'`);
  if (values.stack !== undefined && !STACKS.includes(values.stack)) {
    throw new UsageError(`--stack must be one of ${STACKS.join(', ')}, got '${values.stack}'`);
  }
  const { dtype, compute } = values;
  if (dtype !== undefined && !(WEIGHT_DTYPES as string[]).includes(dtype)) {
    throw new UsageError(`--dtype must be ${WEIGHT_DTYPES.map((d) => `'${d}'`).join(', ')}, got '${dtype}'`);
  }
  if (compute !== undefined && !(COMPUTES as string[]).includes(compute)) {
    throw new UsageError(`--compute must be ${COMPUTES.map((d) => `'${d}'`).join(', ')}, got '${compute}'`);
  }
  return {
    input: positionals[0], output: values.output, config: values.config, layer, sublayer: values.sublayer ?? false, stack: values.stack,
    dtype: dtype as WeightDtype | undefined, compute: compute as Compute | undefined,
  };
}

/** The bytes of `path`, or a UsageError naming it (`what`) and why it cannot be read. */
function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read ${what} '${path}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The checkpoint's files: the one given, or a directory's model.safetensors or the shards of its index. */
function checkpointFiles(input: string): { files: Uint8Array[]; dir: string } {
  const isDir = existsSync(input) && statSync(input).isDirectory();
  if (!isDir) return { files: [readInput(input, 'the checkpoint')], dir: dirname(input) };
  const index = join(input, 'model.safetensors.index.json');
  if (!existsSync(index)) return { files: [readInput(join(input, 'model.safetensors'), 'the checkpoint')], dir: input };
  let shards: string[];
  try {
    shards = [...new Set(Object.values(JSON.parse(readInput(index, 'the index').toString('utf8')).weight_map as Record<string, string>))];
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`'${index}' is not a safetensors index (JSON with a weight_map): ${(error as Error).message}`);
  }
  return { files: shards.map((shard) => readInput(join(input, shard), 'the shard')), dir: input };
}

function readConfig(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readInput(path, 'the config').toString('utf8'));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`'${path}' is not JSON: ${(error as Error).message}`);
  }
}

async function pack(options: PackArguments): Promise<string> {
  const { files, dir } = checkpointFiles(options.input);
  const config = readConfig(options.config ?? join(dir, 'config.json'));
  const ffwd = await init();
  let layer;
  try {
    layer = ffwd.feedForward.fromPretrained(files, config, { layer: options.layer, sublayer: options.sublayer, stack: options.stack, dtype: options.dtype, compute: options.compute });
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
  const bytes = layer.save();
  try {
    writeFileSync(options.output, bytes);
  } catch (error) {
    throw new UsageError(`cannot write '${options.output}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const shape = `${layer.inFeatures} → ${layer.hiddenFeatures} → ${layer.outFeatures}`;
  return `wrote ${options.output}: ${layer.gated ? 'gated ' : ''}${layer.activation} MLP ${shape}, ${layer.down.dtype} weights${layer.down.compute === 'int8' ? ' (int8 compute)' : ''}, wiring ${layer.wiring}, ${bytes.length} bytes`;
}

/** Runs the command line `args` (without node and the script); returns the exit code. */
export async function main(args: string[], out = process.stdout, err = process.stderr): Promise<number> {
  const [command, ...rest] = args;
  const prefix = command === 'pack' ? 'ffwd pack' : 'ffwd';
  try {
    if (command === '--help' || command === '-h' || command === 'help') {
      out.write(`${USAGE}\n`);
      return 0;
    }
    if (command !== 'pack') {
      throw new UsageError(`${command === undefined ? 'no command' : `unknown command '${command}'`}; the command is 'pack' (ffwd --help)`);
    }
    const parsed = parsePack(rest);
    out.write(`${parsed === 'help' ? USAGE : await pack(parsed)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err.write(`${prefix}: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 2;
  }
}
