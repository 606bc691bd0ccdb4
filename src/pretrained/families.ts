// How each Hugging Face family stores and wires its feedforward sublayer (../shared/research/
// checkpoints.md, read from transformers' modeling_*.py and configuration_*.py): the config keys of
// its sizes, activation and eps (with transformers' defaults), the path of a layer, the MLP's tensor
// names relative to it, the norms and where the residual goes.
import type { Wiring } from '../feedforward.js';
import type { Layout } from '../linear.js';
import type { NormKind } from '../norm.js';

export type Config = Record<string, unknown>;

/** Tensor paths relative to the layer: a plain MLP, a gated one, or one with gate and up merged. */
export type MlpNames = { fc1: string; fc2: string } | { gate: string; up: string; down: string } | { gateUp: string; down: string };

export interface Family {
  /** The stacks of an encoder–decoder or a two-tower model, the default first. */
  stacks?: readonly string[];
  /** The config that holds this stack's keys: the config itself, or a sub-config (CLIP's text_config). */
  settings?: (config: Config, stack: string) => Config;
  /** Keys of the sizes, the first present wins; a size missing from the config is taken from the tensors. */
  hidden: readonly string[];
  intermediate: (c: Config, stack: string) => number | undefined;
  layers: (c: Config, stack: string) => number | undefined;
  /** The config key the activation is read from and its value (transformers' default when absent). */
  activation: (c: Config) => [key: string, value: unknown];
  /** The eps of the norms: a config key and its default, or a constant the module hard-codes. */
  eps: { key: string; fallback: number } | { fixed: number };
  path: (stack: string, layer: number) => string;
  mlp: (c: Config) => MlpNames;
  layout?: Layout;
  norm: { kind: NormKind; offset?: 0 | 1; name: string };
  /** Gemma 2/3's second norm, on the MLP's output. */
  postNorm?: string;
  /** The sublayer as the family wires it (parallel-residual families: the MLP branch, x + mlp(norm(x))). */
  wiring: Exclude<Wiring, 'mlp'>;
}

const number = (c: Config, ...keys: string[]): number | undefined => {
  for (const key of keys) if (typeof c[key] === 'number') return c[key] as number;
  return undefined;
};
const key = (c: Config, name: string, fallback: unknown): [string, unknown] => [name, c[name] ?? fallback];
const fixed = (value: number): Family['eps'] => ({ fixed: value });
const eps = (name: string, fallback: number): Family['eps'] => ({ key: name, fallback });

const BERT: Family = {
  hidden: ['hidden_size'],
  intermediate: (c) => number(c, 'intermediate_size'),
  layers: (c) => number(c, 'num_hidden_layers'),
  activation: (c) => key(c, 'hidden_act', 'gelu'),
  eps: eps('layer_norm_eps', 1e-12),
  path: (_, i) => `encoder.layer.${i}`,
  mlp: () => ({ fc1: 'intermediate.dense', fc2: 'output.dense' }),
  norm: { kind: 'layer', name: 'output.LayerNorm' },
  wiring: 'post_norm',
};

const LLAMA: Family = {
  hidden: ['hidden_size'],
  intermediate: (c) => number(c, 'intermediate_size'),
  layers: (c) => number(c, 'num_hidden_layers'),
  activation: (c) => key(c, 'hidden_act', 'silu'),
  eps: eps('rms_norm_eps', 1e-6),
  path: (_, i) => `layers.${i}`,
  mlp: () => ({ gate: 'mlp.gate_proj', up: 'mlp.up_proj', down: 'mlp.down_proj' }),
  norm: { kind: 'rms', name: 'post_attention_layernorm' },
  wiring: 'pre_norm',
};

// Gemma reads `hidden_activation` (Gemma 1 configs also carry a `hidden_act` of 'gelu' that
// transformers 4.40–4.47 ignore; the weights were trained with the tanh form, which is what is used here).
const GEMMA: Family = {
  ...LLAMA,
  activation: (c) => key(c, 'hidden_activation', 'gelu_pytorch_tanh'),
  norm: { kind: 'rms', offset: 1, name: 'post_attention_layernorm' },
};

const GEMMA2: Family = {
  ...GEMMA,
  norm: { kind: 'rms', offset: 1, name: 'pre_feedforward_layernorm' },
  postNorm: 'post_feedforward_layernorm',
  wiring: 'sandwich',
};

/** T5's feed_forward_proj: 'relu', 'gelu', or 'gated-<act>' ('gated-gelu' runs gelu_new); an explicit dense_act_fn wins. */
const t5Projection = (c: Config) => {
  const proj = typeof c.feed_forward_proj === 'string' ? c.feed_forward_proj : 'relu';
  const gated = proj.startsWith('gated-');
  const act = gated ? proj.slice(6) : proj;
  return { gated, act: act === 'gelu' && gated ? 'gelu_new' : act };
};

const ENCODER_DECODER = ['encoder', 'decoder'] as const;

/** Whisper and BART: fc1/fc2 under {encoder,decoder}.layers.N, the norm named final_layer_norm, eps 1e-5 fixed. */
const seq2seq = (wiring: Family['wiring']): Family => ({
  stacks: ENCODER_DECODER,
  hidden: ['d_model'],
  intermediate: (c, stack) => number(c, `${stack}_ffn_dim`),
  layers: (c, stack) => number(c, `${stack}_layers`),
  activation: (c) => key(c, 'activation_function', 'gelu'),
  eps: fixed(1e-5),
  path: (stack, i) => `${stack}.layers.${i}`,
  mlp: () => ({ fc1: 'fc1', fc2: 'fc2' }),
  norm: { kind: 'layer', name: 'final_layer_norm' },
  wiring,
});

export const FAMILIES: Record<string, Family> = {
  bert: BERT,
  roberta: BERT,
  distilbert: {
    hidden: ['dim'],
    intermediate: (c) => number(c, 'hidden_dim'),
    layers: (c) => number(c, 'n_layers'),
    activation: (c) => key(c, 'activation', 'gelu'),
    eps: fixed(1e-12),
    path: (_, i) => `transformer.layer.${i}`,
    mlp: () => ({ fc1: 'ffn.lin1', fc2: 'ffn.lin2' }),
    norm: { kind: 'layer', name: 'output_layer_norm' },
    wiring: 'post_norm',
  },
  gpt2: {
    hidden: ['n_embd', 'hidden_size'],
    intermediate: (c) => number(c, 'n_inner') ?? (number(c, 'n_embd', 'hidden_size') ?? 768) * 4,
    layers: (c) => number(c, 'n_layer', 'num_hidden_layers'),
    activation: (c) => key(c, 'activation_function', 'gelu_new'),
    eps: eps('layer_norm_epsilon', 1e-5),
    path: (_, i) => `h.${i}`,
    mlp: () => ({ fc1: 'mlp.c_fc', fc2: 'mlp.c_proj' }),
    layout: 'in_out',
    norm: { kind: 'layer', name: 'ln_2' },
    wiring: 'pre_norm',
  },
  gpt_neox: {
    hidden: ['hidden_size'],
    intermediate: (c) => number(c, 'intermediate_size'),
    layers: (c) => number(c, 'num_hidden_layers'),
    activation: (c) => key(c, 'hidden_act', 'gelu'),
    eps: eps('layer_norm_eps', 1e-5),
    path: (_, i) => `layers.${i}`,
    mlp: () => ({ fc1: 'mlp.dense_h_to_4h', fc2: 'mlp.dense_4h_to_h' }),
    norm: { kind: 'layer', name: 'post_attention_layernorm' },
    wiring: 'pre_norm',
  },
  phi: {
    hidden: ['hidden_size'],
    intermediate: (c) => number(c, 'intermediate_size'),
    layers: (c) => number(c, 'num_hidden_layers'),
    activation: (c) => key(c, 'hidden_act', 'gelu_new'),
    eps: eps('layer_norm_eps', 1e-5),
    path: (_, i) => `layers.${i}`,
    mlp: () => ({ fc1: 'mlp.fc1', fc2: 'mlp.fc2' }),
    norm: { kind: 'layer', name: 'input_layernorm' },
    wiring: 'pre_norm',
  },
  phi3: { ...LLAMA, eps: eps('rms_norm_eps', 1e-5), mlp: () => ({ gateUp: 'mlp.gate_up_proj', down: 'mlp.down_proj' }) },
  llama: LLAMA,
  mistral: LLAMA,
  qwen2: LLAMA,
  gemma: GEMMA,
  gemma2: GEMMA2,
  gemma3_text: GEMMA2,
  gemma3: { ...GEMMA2, settings: (c) => (c.text_config ?? {}) as Config },
  t5: {
    stacks: ENCODER_DECODER,
    hidden: ['d_model'],
    intermediate: (c) => number(c, 'd_ff'),
    layers: (c, stack) => (stack === 'decoder' ? number(c, 'num_decoder_layers', 'num_layers') : number(c, 'num_layers')),
    activation: (c) => (typeof c.dense_act_fn === 'string' ? ['dense_act_fn', c.dense_act_fn] : ['feed_forward_proj', t5Projection(c).act]),
    eps: eps('layer_norm_epsilon', 1e-6),
    path: (stack, i) => `${stack}.block.${i}.layer.${stack === 'decoder' ? 2 : 1}`,
    mlp: (c) => (t5Projection(c).gated
      ? { gate: 'DenseReluDense.wi_0', up: 'DenseReluDense.wi_1', down: 'DenseReluDense.wo' }
      : { fc1: 'DenseReluDense.wi', fc2: 'DenseReluDense.wo' }),
    norm: { kind: 'rms', name: 'layer_norm' },
    wiring: 'pre_norm',
  },
  vit: { ...BERT, norm: { kind: 'layer', name: 'layernorm_after' }, wiring: 'pre_norm' },
  clip: {
    stacks: ['text', 'vision'],
    settings: (c, stack) => (c[`${stack}_config`] ?? {}) as Config,
    hidden: ['hidden_size'],
    intermediate: (c) => number(c, 'intermediate_size'),
    layers: (c) => number(c, 'num_hidden_layers'),
    activation: (c) => key(c, 'hidden_act', 'quick_gelu'),
    eps: eps('layer_norm_eps', 1e-5),
    path: (stack, i) => `${stack}_model.encoder.layers.${i}`,
    mlp: () => ({ fc1: 'mlp.fc1', fc2: 'mlp.fc2' }),
    norm: { kind: 'layer', name: 'layer_norm2' },
    wiring: 'pre_norm',
  },
  whisper: seq2seq('pre_norm'),
  bart: seq2seq('post_norm'),
};
