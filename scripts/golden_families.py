#!/usr/bin/python3
"""Golden data for loading the feedforward sublayer of the popular Hugging Face families from the files
`save_pretrained` writes: test/golden/families/<case>/{config.json, model.safetensors (or shards + index),
x.bin, <what>_l<layer>_{f32,f64}.bin} and test/golden/families/manifest.json.

Run with Debian's PyTorch (apt-get install python3-torch), which installs into /usr/bin/python3:

    /usr/bin/python3 scripts/golden_families.py

transformers is not needed (nor installed): every family's feedforward sublayer is written out below from
transformers' own sources, cited next to each forward. Deterministic: every case seeds its own
torch.Generator, PyTorch runs on one thread. Re-running on another machine may change the last bits of
the float32 outputs (vectorised kernels, BLAS), never x, the weights or the files' layout.

Each output comes in two versions computed from the SAME stored weights (F16/BF16 widened exactly):
  *_f32.bin  the forward in PyTorch float32 (what ffwd computes from widened weights; no bf16 arithmetic),
  *_f64.bin  the same forward in float64 (raw float64 values, the independent reference).
"""
import hashlib
import json
import math
import os
import shutil
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "golden", "families")
GENERATOR = "scripts/golden_families.py"
TRANSFORMERS_VERSION = "4.46.3"  # written into config.json as save_pretrained does

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

H, I, B = 72, 200, 5  # hidden, intermediate, batch: odd sizes, not multiples of 8
N_LAYERS = 2

# ------------------------------------------------------------------ safetensors writer / reader

ST_DTYPE = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.float64: "F64", torch.int64: "I64", torch.bool: "BOOL",
}
ST_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "BOOL": 1}
# the safetensors library lays tensors out sorted by dtype (its enum order, largest first), then by name
ST_ORDER = {"I64": 0, "F64": 1, "F32": 2, "BF16": 3, "F16": 4, "BOOL": 5}


def tensor_bytes(t):
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: the 16-bit patterns
        return t.view(torch.int16).numpy().astype("<i2", copy=False).tobytes()
    if t.dtype == torch.float16:
        return t.numpy().astype("<f2", copy=False).tobytes()
    if t.dtype == torch.float32:
        return t.numpy().astype("<f4", copy=False).tobytes()
    if t.dtype == torch.float64:
        return t.numpy().astype("<f8", copy=False).tobytes()
    if t.dtype == torch.int64:
        return t.numpy().astype("<i8", copy=False).tobytes()
    if t.dtype == torch.bool:
        return t.numpy().astype(np.uint8).tobytes()
    raise TypeError(t.dtype)


def st_layout(tensors):
    return sorted(tensors, key=lambda k: (ST_ORDER[ST_DTYPE[tensors[k].dtype]], k))


def write_safetensors(path, tensors):
    """u64 little-endian header length N, N bytes of JSON { name: { dtype, shape, data_offsets } ,
    "__metadata__": {"format": "pt"} } padded with spaces to a multiple of 8, then the tensors' bytes
    back to back (offsets relative to the end of the header)."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in st_layout(tensors):
        t = tensors[name]
        b = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(h)))
        fh.write(h)
        for b in blobs:
            fh.write(b)
    return offset  # bytes of tensor data


def read_safetensors(path):
    """Independent reader for the self-check: returns ({name: (dtype, shape, bytes)}, metadata)."""
    with open(path, "rb") as fh:
        data = fh.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None)
    body = data[8 + n:]
    out = {}
    end = 0
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        a, b = e["data_offsets"]
        assert a == end, (path, name, "offsets not contiguous")
        assert b - a == ST_SIZE[e["dtype"]] * int(np.prod(e["shape"], dtype=np.int64)), (path, name)
        out[name] = (e["dtype"], e["shape"], body[a:b])
        end = b
    assert end == len(body), (path, "trailing bytes")
    return out, meta


def to_torch(dtype, shape, raw):
    if dtype == "BF16":
        return torch.from_numpy(np.frombuffer(raw, "<i2").copy()).view(torch.bfloat16).reshape(shape)
    np_dt = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "BOOL": "u1"}[dtype]
    t = torch.from_numpy(np.frombuffer(raw, np_dt).copy()).reshape(shape)
    return t.bool() if dtype == "BOOL" else t


# ------------------------------------------------------------------ activations: transformers ACT2FN


def act_fn(name, x):
    """transformers src/transformers/activations.py, ACT2CLS / ACT2FN."""
    if name in ("gelu", "gelu_python"):
        # GELUActivation: nn.functional.gelu (exact, erf)
        return F.gelu(x)
    if name == "gelu_new":
        # NewGELUActivation: 0.5 * input * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (input + 0.044715 * torch.pow(input, 3.0))))
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == "gelu_pytorch_tanh":
        # PytorchGELUTanh / GELUTanh: nn.functional.gelu(input, approximate="tanh")
        return F.gelu(x, approximate="tanh")
    if name == "quick_gelu":
        # QuickGELUActivation: input * torch.sigmoid(1.702 * input)
        return x * torch.sigmoid(1.702 * x)
    if name in ("silu", "swish"):
        return F.silu(x)  # nn.SiLU
    if name == "relu":
        return F.relu(x)  # nn.ReLU
    raise KeyError(name)


# ------------------------------------------------------------------ norms (computed in the compute dtype)


def layernorm(x, w, b, eps):
    # nn.LayerNorm(hidden, eps=...): BERT/RoBERTa/ViT `layer_norm_eps`, GPT-2 `layer_norm_epsilon`,
    # GPT-NeoX/Phi/CLIP `layer_norm_eps`, DistilBERT eps=1e-12 fixed, Whisper/BART nn.LayerNorm default 1e-5
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def rmsnorm(x, w, eps):
    # LlamaRMSNorm (also Mistral, Qwen2, Phi3):
    #     hidden_states = hidden_states.to(torch.float32)
    #     variance = hidden_states.pow(2).mean(-1, keepdim=True)
    #     hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
    #     return self.weight * hidden_states.to(input_dtype)
    # x is float32 or float64 here, so the casts are identities.
    v = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(v + eps))


def rmsnorm_1p(x, w, eps):
    # GemmaRMSNorm (Gemma, Gemma2, Gemma3): output = self._norm(x.float()); output = output * (1.0 + self.weight.float())
    #     _norm(x) = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
    return (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)) * (1.0 + w)


def t5_layernorm(x, w, eps):
    # T5LayerNorm (models/t5/modeling_t5.py): no mean subtraction, no bias
    #     variance = hidden_states.to(torch.float32).pow(2).mean(-1, keepdim=True)
    #     hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
    #     return self.weight * hidden_states
    v = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(v + eps))


def apply_norm(kind, x, T, p, eps):
    if kind == "layernorm":
        return layernorm(x, T[p + "weight"], T[p + "bias"], eps)
    if kind == "layernorm_legacy":  # old BERT names: LayerNorm.gamma / LayerNorm.beta
        return layernorm(x, T[p + "gamma"], T[p + "beta"], eps)
    if kind == "rmsnorm":
        return rmsnorm(x, T[p + "weight"], eps)
    if kind == "rmsnorm_1p":
        return rmsnorm_1p(x, T[p + "weight"], eps)
    if kind == "t5":
        return t5_layernorm(x, T[p + "weight"], eps)
    raise KeyError(kind)


# ------------------------------------------------------------------ MLP forms


def linear(x, T, p, bias):
    # nn.Linear: weight [out, in]
    return F.linear(x, T[p + "weight"], T[p + "bias"] if bias else None)


def mlp_forward(spec, T, l, x):
    m = spec["mlp"]
    pre = spec["layer_prefix"](l)
    act = spec["activation"]
    kind = m["kind"]
    if kind == "dense2":  # up -> act -> down, nn.Linear
        h = act_fn(act, linear(x, T, pre + m["up"] + ".", m["bias"]))
        return linear(h, T, pre + m["down"] + ".", m["bias"])
    if kind == "conv1d":
        # GPT-2 Conv1D (pytorch_utils.py): weight [nx, nf] = [in, out];
        #     x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        # GPT2MLP: h = self.act(self.c_fc(hidden_states)); h2 = self.c_proj(h)
        up, down = pre + m["up"] + ".", pre + m["down"] + "."
        h = act_fn(act, torch.addmm(T[up + "bias"], x, T[up + "weight"]))
        return torch.addmm(T[down + "bias"], h, T[down + "weight"])
    if kind == "glu":  # down(act(gate(x)) * up(x))
        g = act_fn(act, linear(x, T, pre + m["gate"] + ".", m["bias"]))
        u = linear(x, T, pre + m["up"] + ".", m["bias"])
        return linear(g * u, T, pre + m["down"] + ".", m["bias"])
    if kind == "glu_merged":
        # Phi3MLP: up_states = self.gate_up_proj(hidden_states)
        #          gate, up_states = up_states.chunk(2, dim=-1)
        #          up_states = up_states * self.activation_fn(gate)
        #          return self.down_proj(up_states)
        gu = linear(x, T, pre + m["gate_up"] + ".", False)
        gate, up = gu.chunk(2, dim=-1)
        return linear(up * act_fn(act, gate), T, pre + m["down"] + ".", False)
    raise KeyError(kind)


def sublayer_forward(spec, T, l, x):
    pre = spec["layer_prefix"](l)
    norm, eps, wiring = spec["norm_kind"], spec["eps"], spec["wiring"]
    if wiring == "post":  # norm(x + mlp(x))
        return apply_norm(norm, x + mlp_forward(spec, T, l, x), T, pre + spec["norm"] + ".", eps)
    if wiring in ("pre", "parallel"):  # x + mlp(norm(x))
        return x + mlp_forward(spec, T, l, apply_norm(norm, x, T, pre + spec["norm"] + ".", eps))
    if wiring == "sandwich":  # x + post_norm(mlp(pre_norm(x)))
        h = mlp_forward(spec, T, l, apply_norm(norm, x, T, pre + spec["norm"] + ".", eps))
        return x + apply_norm(norm, h, T, pre + spec["post_norm"] + ".", eps)
    raise KeyError(wiring)


# ------------------------------------------------------------------ random tensors


class Rand:
    def __init__(self, seed, dtype):
        self.g = torch.Generator().manual_seed(seed)
        self.dtype = dtype  # the storage dtype of the family's weights

    def n(self, *shape, scale=1.0, dtype=None):
        t = torch.randn(*shape, generator=self.g, dtype=torch.float32) * scale
        return t.to(dtype or self.dtype)

    def w(self, out_f, in_f, dtype=None):  # a Linear weight [out, in], O(1) outputs
        return self.n(out_f, in_f, scale=1.0 / math.sqrt(in_f), dtype=dtype)

    def bias(self, n, dtype=None):
        return self.n(n, scale=0.1, dtype=dtype)

    def norm_w(self, n, dtype=None):  # random, around 1 (not ones)
        return (1.0 + self.n(n, scale=0.2, dtype=torch.float32)).to(dtype or self.dtype)

    def norm_w_1p(self, n, dtype=None):  # Gemma stores w and applies (1 + w): random around 0
        return self.n(n, scale=0.3, dtype=dtype)


# ------------------------------------------------------------------ the families


def cfg_common(arch, model_type, dtype_name):
    return {"architectures": [arch], "model_type": model_type, "torch_dtype": dtype_name,
            "transformers_version": TRANSFORMERS_VERSION}


DTYPE_NAME = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}


def bert_like(case, prefix, arch, model_type, eps, legacy=False, vocab=30, seed=0):
    """BERT (models/bert/modeling_bert.py) and RoBERTa (models/roberta/modeling_roberta.py, a copy):
    BertIntermediate: hidden_states = self.intermediate_act_fn(self.dense(hidden_states)), act ACT2FN[config.hidden_act]
    BertOutput:       hidden_states = self.dense(hidden_states); dropout;
                      hidden_states = self.LayerNorm(hidden_states + input_tensor)   (post-norm)
    eps = config.layer_norm_eps. Old (TF-converted) BERT files spell LayerNorm.gamma / .beta."""
    r = Rand(seed, torch.float32)
    T = OrderedDict()
    ln_w, ln_b = ("gamma", "beta") if legacy else ("weight", "bias")
    T[prefix + "embeddings.word_embeddings.weight"] = r.n(vocab, H, scale=0.02)
    T[prefix + "embeddings.position_embeddings.weight"] = r.n(16, H, scale=0.02)
    T[prefix + "embeddings.LayerNorm." + ln_w] = r.norm_w(H)
    T[prefix + "embeddings.LayerNorm." + ln_b] = r.bias(H)
    if not legacy:
        T[prefix + "embeddings.position_ids"] = torch.arange(16, dtype=torch.int64)[None]  # I64 buffer
    for l in range(N_LAYERS):
        p = f"{prefix}encoder.layer.{l}."
        T[p + "attention.self.query.weight"] = r.w(H, H)  # (key, value: left out to keep the data small)
        T[p + "attention.self.query.bias"] = r.bias(H)
        T[p + "attention.output.dense.weight"] = r.w(H, H)  # NOT the MLP's output.dense
        T[p + "attention.output.dense.bias"] = r.bias(H)
        T[p + "attention.output.LayerNorm." + ln_w] = r.norm_w(H)  # NOT the MLP's output.LayerNorm
        T[p + "attention.output.LayerNorm." + ln_b] = r.bias(H)
        T[p + "intermediate.dense.weight"] = r.w(I, H)
        T[p + "intermediate.dense.bias"] = r.bias(I)
        T[p + "output.dense.weight"] = r.w(H, I)
        T[p + "output.dense.bias"] = r.bias(H)
        T[p + "output.LayerNorm." + ln_w] = r.norm_w(H)
        T[p + "output.LayerNorm." + ln_b] = r.bias(H)
    if model_type == "roberta":
        T["lm_head.dense.weight"] = r.w(H, H)
        T["lm_head.dense.bias"] = r.bias(H)
        T["lm_head.bias"] = r.bias(vocab)
    elif not legacy:
        T["cls.predictions.bias"] = r.bias(vocab)
        T["cls.predictions.transform.dense.weight"] = r.w(H, H)
    c = cfg_common(arch, model_type, "float32")
    c.update({"hidden_size": H, "intermediate_size": I, "num_hidden_layers": N_LAYERS, "num_attention_heads": 8,
              "hidden_act": "gelu", "layer_norm_eps": eps, "hidden_dropout_prob": 0.1,
              "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 16, "type_vocab_size": 2,
              "vocab_size": vocab, "initializer_range": 0.02, "position_embedding_type": "absolute",
              "pad_token_id": 1 if model_type == "roberta" else 0, "use_cache": True})
    if model_type == "roberta":
        c.update({"bos_token_id": 0, "eos_token_id": 2})
    if legacy:  # saved by BertModel: no head, no prefix
        c["architectures"] = ["BertModel"]
    return dict(
        case=case, model_type="bert" if legacy else model_type, tensors=T, config=c, dtype=torch.float32,
        layer_prefix=lambda l: f"{prefix}encoder.layer.{l}.",
        mlp=dict(kind="dense2", up="intermediate.dense", down="output.dense", bias=True),
        activation="gelu", norm_kind="layernorm_legacy" if legacy else "layernorm", norm_name="layernorm",
        norm="output.LayerNorm", eps=eps, wiring="post", options={}, hidden=H, intermediate=I,
        description=("BERT with the LayerNorm.gamma/beta names of old TF-converted files, saved by BertModel (no prefix); "
                     if legacy else f"{arch} ({prefix!r} prefix)"),
    )


def distilbert(seed):
    """models/distilbert/modeling_distilbert.py
    FFN: x = self.lin1(input); x = self.activation(x); x = self.lin2(x); x = self.dropout(x); activation = get_activation(config.activation)
    TransformerBlock: sa_output = self.sa_layer_norm(sa_output + query)
                      ffn_output = self.ffn(sa_output); ffn_output = self.output_layer_norm(ffn_output + sa_output)
    nn.LayerNorm(normalized_shape=config.dim, eps=1e-12): no eps key in the config."""
    r = Rand(seed, torch.float32)
    T = OrderedDict()
    pre = "distilbert."
    T[pre + "embeddings.word_embeddings.weight"] = r.n(30, H, scale=0.02)
    T[pre + "embeddings.LayerNorm.weight"] = r.norm_w(H)
    T[pre + "embeddings.LayerNorm.bias"] = r.bias(H)
    for l in range(N_LAYERS):
        p = f"{pre}transformer.layer.{l}."
        T[p + "attention.q_lin.weight"] = r.w(H, H)  # (k_lin, v_lin, out_lin left out: data size)
        T[p + "attention.q_lin.bias"] = r.bias(H)
        T[p + "sa_layer_norm.weight"] = r.norm_w(H)
        T[p + "sa_layer_norm.bias"] = r.bias(H)
        T[p + "ffn.lin1.weight"] = r.w(I, H)
        T[p + "ffn.lin1.bias"] = r.bias(I)
        T[p + "ffn.lin2.weight"] = r.w(H, I)
        T[p + "ffn.lin2.bias"] = r.bias(H)
        T[p + "output_layer_norm.weight"] = r.norm_w(H)
        T[p + "output_layer_norm.bias"] = r.bias(H)
    T["vocab_projector.bias"] = r.bias(30)
    c = cfg_common("DistilBertForMaskedLM", "distilbert", "float32")
    c.update({"activation": "gelu", "attention_dropout": 0.1, "dim": H, "dropout": 0.1, "hidden_dim": I,
              "initializer_range": 0.02, "max_position_embeddings": 16, "n_heads": 8, "n_layers": N_LAYERS,
              "pad_token_id": 0, "qa_dropout": 0.1, "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": False,
              "tie_weights_": True, "vocab_size": 30})
    return dict(case="distilbert", model_type="distilbert", tensors=T, config=c, dtype=torch.float32,
                layer_prefix=lambda l: f"distilbert.transformer.layer.{l}.",
                mlp=dict(kind="dense2", up="ffn.lin1", down="ffn.lin2", bias=True),
                activation="gelu", norm_kind="layernorm", norm_name="layernorm", norm="output_layer_norm", eps=1e-12,
                wiring="post", options={}, hidden=H, intermediate=I,
                description="DistilBertForMaskedLM: config keys dim/hidden_dim/n_layers/activation, eps fixed 1e-12")


def gpt2(seed):
    """models/gpt2/modeling_gpt2.py
    GPT2MLP: self.c_fc = Conv1D(intermediate_size, embed_dim); self.c_proj = Conv1D(embed_dim, intermediate_size)
             hidden_states = self.act(self.c_fc(hidden_states)); self.c_proj(...); dropout. act = ACT2FN[config.activation_function]
    GPT2Block: residual = hidden_states; hidden_states = self.ln_2(hidden_states)
               feed_forward_hidden_states = self.mlp(hidden_states); hidden_states = residual + feed_forward_hidden_states
    inner_dim = config.n_inner if config.n_inner is not None else 4 * hidden_size; ln eps = config.layer_norm_epsilon"""
    r = Rand(seed, torch.float32)
    T = OrderedDict()
    npos = 16
    T["transformer.wte.weight"] = r.n(30, H, scale=0.02)
    T["transformer.wpe.weight"] = r.n(npos, H, scale=0.02)
    for l in range(N_LAYERS):
        p = f"transformer.h.{l}."
        T[p + "ln_1.weight"] = r.norm_w(H)
        T[p + "ln_1.bias"] = r.bias(H)
        T[p + "attn.bias"] = torch.tril(torch.ones(npos, npos)).view(1, 1, npos, npos)  # the causal mask buffer, F32
        T[p + "attn.c_attn.weight"] = r.w(3 * H, H).t().contiguous()  # Conv1D [in, out]
        T[p + "attn.c_attn.bias"] = r.bias(3 * H)
        T[p + "ln_2.weight"] = r.norm_w(H)
        T[p + "ln_2.bias"] = r.bias(H)
        T[p + "mlp.c_fc.weight"] = r.w(I, H).t().contiguous()  # [in=72, out=200]
        T[p + "mlp.c_fc.bias"] = r.bias(I)
        T[p + "mlp.c_proj.weight"] = r.w(H, I).t().contiguous()  # [in=200, out=72]
        T[p + "mlp.c_proj.bias"] = r.bias(H)
    T["transformer.ln_f.weight"] = r.norm_w(H)
    T["transformer.ln_f.bias"] = r.bias(H)
    c = cfg_common("GPT2LMHeadModel", "gpt2", "float32")
    c.update({"activation_function": "gelu_new", "attn_pdrop": 0.1, "bos_token_id": 0, "embd_pdrop": 0.1,
              "eos_token_id": 0, "initializer_range": 0.02, "layer_norm_epsilon": 1e-5, "n_ctx": npos, "n_embd": H,
              "n_head": 8, "n_inner": I, "n_layer": N_LAYERS, "n_positions": npos, "reorder_and_upcast_attn": False,
              "resid_pdrop": 0.1, "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True,
              "summary_activation": None, "summary_first_dropout": 0.1, "summary_proj_to_labels": True,
              "summary_type": "cls_index", "summary_use_proj": True, "use_cache": True, "vocab_size": 30})
    return dict(case="gpt2", model_type="gpt2", tensors=T, config=c, dtype=torch.float32,
                layer_prefix=lambda l: f"transformer.h.{l}.",
                mlp=dict(kind="conv1d", up="mlp.c_fc", down="mlp.c_proj", bias=True),
                activation="gelu_new", norm_kind="layernorm", norm_name="layernorm", norm="ln_2", eps=1e-5,
                wiring="pre", options={}, hidden=H, intermediate=I,
                description="GPT2LMHeadModel: Conv1D weights [in, out], n_inner set (null would mean 4*n_embd), "
                            "attn.bias causal-mask buffer")


def gpt_neox(seed):
    """models/gpt_neox/modeling_gpt_neox.py
    GPTNeoXMLP: hidden_states = self.dense_h_to_4h(hidden_states); self.act(...); self.dense_4h_to_h(...), act = ACT2FN[config.hidden_act]
    GPTNeoXLayer (config.use_parallel_residual, default True):
        # pseudocode: x = x + attn(ln1(x)) + mlp(ln2(x))
        mlp_output = self.mlp(self.post_attention_layernorm(hidden_states))
        hidden_states = mlp_output + attn_output + hidden_states
    so the feedforward sublayer alone is x + mlp(post_attention_layernorm(x)); eps = config.layer_norm_eps."""
    r = Rand(seed, torch.float16)
    T = OrderedDict()
    T["gpt_neox.embed_in.weight"] = r.n(30, H, scale=0.02)
    for l in range(N_LAYERS):
        p = f"gpt_neox.layers.{l}."
        T[p + "input_layernorm.weight"] = r.norm_w(H)
        T[p + "input_layernorm.bias"] = r.bias(H)
        T[p + "post_attention_layernorm.weight"] = r.norm_w(H)
        T[p + "post_attention_layernorm.bias"] = r.bias(H)
        T[p + "attention.bias"] = torch.tril(torch.ones(8, 8, dtype=torch.bool)).view(1, 1, 8, 8)  # BOOL mask buffer
        T[p + "attention.masked_bias"] = torch.tensor(-1e9, dtype=torch.float32)  # a 0-d F32 tensor
        T[p + "attention.rotary_emb.inv_freq"] = 1.0 / (10000 ** (torch.arange(0, 8, 2).float() / 8))  # F32 in an F16 file
        T[p + "attention.query_key_value.weight"] = r.w(3 * H, H)
        T[p + "attention.query_key_value.bias"] = r.bias(3 * H)
        T[p + "mlp.dense_h_to_4h.weight"] = r.w(I, H)
        T[p + "mlp.dense_h_to_4h.bias"] = r.bias(I)
        T[p + "mlp.dense_4h_to_h.weight"] = r.w(H, I)
        T[p + "mlp.dense_4h_to_h.bias"] = r.bias(H)
    T["gpt_neox.final_layer_norm.weight"] = r.norm_w(H)
    T["gpt_neox.final_layer_norm.bias"] = r.bias(H)
    T["embed_out.weight"] = r.n(30, H, scale=0.02)
    c = cfg_common("GPTNeoXForCausalLM", "gpt_neox", "float16")
    c.update({"bos_token_id": 0, "eos_token_id": 0, "hidden_act": "gelu", "hidden_size": H, "initializer_range": 0.02,
              "intermediate_size": I, "layer_norm_eps": 1e-5, "max_position_embeddings": 8, "num_attention_heads": 9,
              "num_hidden_layers": N_LAYERS, "rotary_emb_base": 10000, "rotary_pct": 1.0, "tie_word_embeddings": False,
              "use_cache": True, "use_parallel_residual": True, "vocab_size": 30, "attention_dropout": 0.0,
              "hidden_dropout": 0.0, "classifier_dropout": 0.1, "attention_bias": True})
    return dict(case="gpt_neox", model_type="gpt_neox", tensors=T, config=c, dtype=torch.float16,
                layer_prefix=lambda l: f"gpt_neox.layers.{l}.",
                mlp=dict(kind="dense2", up="mlp.dense_h_to_4h", down="mlp.dense_4h_to_h", bias=True),
                activation="gelu", norm_kind="layernorm", norm_name="layernorm", norm="post_attention_layernorm",
                eps=1e-5, wiring="parallel", options={}, hidden=H, intermediate=I,
                description="GPTNeoXForCausalLM (Pythia), F16, parallel residual; file also holds a BOOL mask, "
                            "a 0-d F32 masked_bias and F32 rotary inv_freq")


def phi(seed):
    """models/phi/modeling_phi.py
    PhiMLP: hidden_states = self.fc1(hidden_states); self.activation_fn(...); self.fc2(...), act = ACT2FN[config.hidden_act]
    PhiDecoderLayer: residual = hidden_states; hidden_states = self.input_layernorm(hidden_states)
        attn_outputs = self.resid_dropout(self_attn(hidden_states))
        feed_forward_hidden_states = self.resid_dropout(self.mlp(hidden_states))
        hidden_states = attn_outputs + feed_forward_hidden_states + residual
    one norm (input_layernorm, nn.LayerNorm eps=config.layer_norm_eps) feeds both: sublayer = x + mlp(input_layernorm(x))."""
    r = Rand(seed, torch.float32)
    T = OrderedDict()
    T["model.embed_tokens.weight"] = r.n(30, H, scale=0.02)
    for l in range(N_LAYERS):
        p = f"model.layers.{l}."
        T[p + "input_layernorm.weight"] = r.norm_w(H)
        T[p + "input_layernorm.bias"] = r.bias(H)
        T[p + "self_attn.q_proj.weight"] = r.w(H, H)  # (k/v/dense left out: data size)
        T[p + "self_attn.q_proj.bias"] = r.bias(H)
        T[p + "mlp.fc1.weight"] = r.w(I, H)
        T[p + "mlp.fc1.bias"] = r.bias(I)
        T[p + "mlp.fc2.weight"] = r.w(H, I)
        T[p + "mlp.fc2.bias"] = r.bias(H)
    T["model.final_layernorm.weight"] = r.norm_w(H)
    T["model.final_layernorm.bias"] = r.bias(H)
    T["lm_head.weight"] = r.n(30, H, scale=0.02)
    T["lm_head.bias"] = r.bias(30)
    c = cfg_common("PhiForCausalLM", "phi", "float32")
    c.update({"attention_dropout": 0.0, "bos_token_id": None, "embd_pdrop": 0.0, "eos_token_id": None,
              "hidden_act": "gelu_new", "hidden_size": H, "initializer_range": 0.02, "intermediate_size": I,
              "layer_norm_eps": 1e-5, "max_position_embeddings": 16, "num_attention_heads": 8,
              "num_hidden_layers": N_LAYERS, "num_key_value_heads": 8, "partial_rotary_factor": 0.5,
              "qk_layernorm": False, "resid_pdrop": 0.1, "rope_scaling": None, "rope_theta": 10000.0,
              "tie_word_embeddings": False, "use_cache": True, "vocab_size": 30})
    return dict(case="phi", model_type="phi", tensors=T, config=c, dtype=torch.float32,
                layer_prefix=lambda l: f"model.layers.{l}.",
                mlp=dict(kind="dense2", up="mlp.fc1", down="mlp.fc2", bias=True),
                activation="gelu_new", norm_kind="layernorm", norm_name="layernorm", norm="input_layernorm", eps=1e-5,
                wiring="parallel", options={}, hidden=H, intermediate=I,
                description="PhiForCausalLM (phi-1.5/phi-2 layout), one norm input_layernorm shared by attention and MLP")


def phi3(seed):
    """models/phi3/modeling_phi3.py
    Phi3MLP: self.gate_up_proj = nn.Linear(config.hidden_size, 2 * config.intermediate_size, bias=False)
             up_states = self.gate_up_proj(hidden_states); gate, up_states = up_states.chunk(2, dim=-1)
             up_states = up_states * self.activation_fn(gate); return self.down_proj(up_states)
    Phi3DecoderLayer: residual = hidden_states; hidden_states = self.post_attention_layernorm(hidden_states)
             hidden_states = self.mlp(hidden_states); hidden_states = residual + self.resid_mlp_dropout(hidden_states)
    Phi3RMSNorm = LlamaRMSNorm, eps = config.rms_norm_eps."""
    r = Rand(seed, torch.bfloat16)
    T = OrderedDict()
    T["model.embed_tokens.weight"] = r.n(30, H, scale=0.02)
    for l in range(N_LAYERS):
        p = f"model.layers.{l}."
        T[p + "input_layernorm.weight"] = r.norm_w(H)
        T[p + "self_attn.qkv_proj.weight"] = r.w(3 * H, H)
        T[p + "post_attention_layernorm.weight"] = r.norm_w(H)
        T[p + "mlp.gate_up_proj.weight"] = r.w(2 * I, H)  # rows 0..I-1 gate, I..2I-1 up
        T[p + "mlp.down_proj.weight"] = r.w(H, I)
    T["model.norm.weight"] = r.norm_w(H)
    T["lm_head.weight"] = r.n(30, H, scale=0.02)
    c = cfg_common("Phi3ForCausalLM", "phi3", "bfloat16")
    c.update({"attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 1, "embd_pdrop": 0.0,
              "eos_token_id": 2, "hidden_act": "silu", "hidden_size": H, "initializer_range": 0.02,
              "intermediate_size": I, "max_position_embeddings": 16, "num_attention_heads": 8,
              "num_hidden_layers": N_LAYERS, "num_key_value_heads": 8, "original_max_position_embeddings": 16,
              "pad_token_id": 0, "resid_pdrop": 0.0, "rms_norm_eps": 1e-5, "rope_scaling": None,
              "rope_theta": 10000.0, "sliding_window": 2047, "tie_word_embeddings": False, "use_cache": True,
              "vocab_size": 30})
    return dict(case="phi3", model_type="phi3", tensors=T, config=c, dtype=torch.bfloat16,
                layer_prefix=lambda l: f"model.layers.{l}.",
                mlp=dict(kind="glu_merged", gate_up="mlp.gate_up_proj", down="mlp.down_proj", bias=False),
                activation="silu", norm_kind="rmsnorm", norm_name="rmsnorm", norm="post_attention_layernorm", eps=1e-5,
                wiring="pre", options={}, hidden=H, intermediate=I,
                description="Phi3ForCausalLM, BF16: merged gate_up_proj [2I, H] (gate rows first), down(up * silu(gate))")


def llama_like(case, model_type, arch, seed, eps, mlp_bias=False, qkv_bias=False, extra_cfg=None, description=""):
    """models/llama/modeling_llama.py (Mistral models/mistral, Qwen2 models/qwen2 are copies of the MLP and norm):
    LlamaMLP: self.gate_proj = nn.Linear(self.hidden_size, self.intermediate_size, bias=config.mlp_bias) (also up_proj, down_proj)
              down_proj = self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x)), act_fn = ACT2FN[config.hidden_act]
    LlamaDecoderLayer: residual = hidden_states; hidden_states = self.post_attention_layernorm(hidden_states)
              hidden_states = self.mlp(hidden_states); hidden_states = residual + hidden_states
    LlamaRMSNorm(config.hidden_size, eps=config.rms_norm_eps). Mistral/Qwen2 MLPs have no bias and no mlp_bias key."""
    r = Rand(seed, torch.bfloat16)
    T = OrderedDict()
    T["model.embed_tokens.weight"] = r.n(30, H, scale=0.02)
    for l in range(N_LAYERS):
        p = f"model.layers.{l}."
        # in the state-dict order (LlamaDecoderLayer registers self_attn, mlp, input_layernorm,
        # post_attention_layernorm), which decides where transformers cuts the shards
        for q, o in (("q_proj", H), ("k_proj", 24), ("v_proj", 24)):
            T[p + f"self_attn.{q}.weight"] = r.w(o, H)
            if qkv_bias:
                T[p + f"self_attn.{q}.bias"] = r.bias(o)
        if model_type == "llama":  # Llama 2 era files still held this persistent buffer: F32 in a BF16 file
            T[p + "self_attn.rotary_emb.inv_freq"] = 1.0 / (10000 ** (torch.arange(0, 8, 2).float() / 8))
        T[p + "mlp.gate_proj.weight"] = r.w(I, H)
        if mlp_bias:
            T[p + "mlp.gate_proj.bias"] = r.bias(I)
        T[p + "mlp.up_proj.weight"] = r.w(I, H)
        if mlp_bias:
            T[p + "mlp.up_proj.bias"] = r.bias(I)
        T[p + "mlp.down_proj.weight"] = r.w(H, I)
        if mlp_bias:
            T[p + "mlp.down_proj.bias"] = r.bias(H)
        T[p + "input_layernorm.weight"] = r.norm_w(H)
        T[p + "post_attention_layernorm.weight"] = r.norm_w(H)
    T["model.norm.weight"] = r.norm_w(H)
    T["lm_head.weight"] = r.n(30, H, scale=0.02)
    c = cfg_common(arch, model_type, "bfloat16")
    c.update({"attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": H,
              "initializer_range": 0.02, "intermediate_size": I, "max_position_embeddings": 16,
              "num_attention_heads": 9, "num_hidden_layers": N_LAYERS, "num_key_value_heads": 3, "rms_norm_eps": eps,
              "rope_theta": 10000.0, "tie_word_embeddings": False, "use_cache": True, "vocab_size": 30})
    if model_type == "llama":
        c.update({"attention_bias": False, "mlp_bias": mlp_bias, "head_dim": 8, "pretraining_tp": 1,
                  "rope_scaling": None})
    c.update(extra_cfg or {})
    return dict(case=case, model_type=model_type, tensors=T, config=c, dtype=torch.bfloat16,
                layer_prefix=lambda l: f"model.layers.{l}.",
                mlp=dict(kind="glu", gate="mlp.gate_proj", up="mlp.up_proj", down="mlp.down_proj", bias=mlp_bias),
                activation="silu", norm_kind="rmsnorm", norm_name="rmsnorm", norm="post_attention_layernorm", eps=eps,
                wiring="pre", options={}, hidden=H, intermediate=I, description=description)


def gemma_family(case, seed):
    """Gemma (models/gemma/modeling_gemma.py), Gemma 2 (models/gemma2), Gemma 3 (models/gemma3):
    GemmaMLP/Gemma2MLP/Gemma3MLP: down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x)), no bias
        act: Gemma 1 in transformers 4.40-4.47: `hidden_activation = config.hidden_activation` (None -> warning and
        "gelu_pytorch_tanh"; hidden_act ignored). From 4.48 modular_gemma.py has `class GemmaMLP(LlamaMLP)`, i.e.
        `self.act_fn = ACT2FN[config.hidden_act]`: with google/gemma-7b's config ("hidden_act": "gelu") that is the
        exact gelu. The golden uses gelu_pytorch_tanh, the activation the weights were trained with.
        Gemma2MLP / Gemma3MLP: `self.act_fn = ACT2FN[config.hidden_activation]`.
    GemmaRMSNorm: output = self._norm(x.float()); output = output * (1.0 + self.weight.float())
    Gemma: pre-norm x + mlp(post_attention_layernorm(x)).
    Gemma2/3 DecoderLayer: residual = hidden_states; hidden_states = self.pre_feedforward_layernorm(hidden_states)
        hidden_states = self.mlp(hidden_states); hidden_states = self.post_feedforward_layernorm(hidden_states)
        hidden_states = residual + hidden_states
    (their post_attention_layernorm normalises the ATTENTION output: not part of the feedforward sublayer)."""
    r = Rand(seed, torch.bfloat16)
    T = OrderedDict()
    sandwich = case != "gemma"
    gemma3 = case in ("gemma3_text", "gemma3")
    mp = "language_model.model." if case == "gemma3" else "model."
    T[mp + "embed_tokens.weight"] = r.n(30, H, scale=0.02)
    for l in range(N_LAYERS):
        p = f"{mp}layers.{l}."
        T[p + "input_layernorm.weight"] = r.norm_w_1p(H)
        T[p + "self_attn.q_proj.weight"] = r.w(H, H)
        T[p + "self_attn.k_proj.weight"] = r.w(24, H)
        T[p + "self_attn.v_proj.weight"] = r.w(24, H)
        if gemma3:
            T[p + "self_attn.q_norm.weight"] = r.norm_w_1p(8)
            T[p + "self_attn.k_norm.weight"] = r.norm_w_1p(8)
        T[p + "post_attention_layernorm.weight"] = r.norm_w_1p(H)
        if sandwich:
            T[p + "pre_feedforward_layernorm.weight"] = r.norm_w_1p(H)
            T[p + "post_feedforward_layernorm.weight"] = r.norm_w_1p(H)
        T[p + "mlp.gate_proj.weight"] = r.w(I, H)
        T[p + "mlp.up_proj.weight"] = r.w(I, H)
        T[p + "mlp.down_proj.weight"] = r.w(H, I)
    T[mp + "norm.weight"] = r.norm_w_1p(H)
    eps = 1e-6
    text = {"attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 2, "eos_token_id": 1, "head_dim": 8,
            "hidden_size": H, "initializer_range": 0.02, "intermediate_size": I, "max_position_embeddings": 16,
            "num_attention_heads": 9, "num_hidden_layers": N_LAYERS, "num_key_value_heads": 3, "pad_token_id": 0,
            "rms_norm_eps": eps, "rope_theta": 10000.0, "use_cache": True, "vocab_size": 30}
    if case == "gemma":
        c = cfg_common("GemmaForCausalLM", "gemma", "bfloat16")
        # as google/gemma-7b's config.json: the legacy hidden_act next to the hidden_activation in effect
        c.update(text, hidden_act="gelu", hidden_activation="gelu_pytorch_tanh")
        desc = ("GemmaForCausalLM: GeGLU, (1 + w) RMSNorm, config carries hidden_act 'gelu' AND hidden_activation "
                "'gelu_pytorch_tanh' (the outputs use gelu_pytorch_tanh, as transformers 4.40-4.47; the modular "
                "GemmaMLP(LlamaMLP) of 4.48+ reads hidden_act instead)")
    elif case == "gemma2":
        c = cfg_common("Gemma2ForCausalLM", "gemma2", "bfloat16")
        c.update(text, hidden_act="gelu_pytorch_tanh", hidden_activation="gelu_pytorch_tanh",
                 attn_logit_softcapping=50.0, final_logit_softcapping=30.0, query_pre_attn_scalar=8,
                 sliding_window=4096, cache_implementation="hybrid")
        desc = "Gemma2ForCausalLM: sandwich x + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(x)))"
    elif case == "gemma3_text":
        c = cfg_common("Gemma3ForCausalLM", "gemma3_text", "bfloat16")
        c.update(text, hidden_activation="gelu_pytorch_tanh", attn_logit_softcapping=None,
                 final_logit_softcapping=None, query_pre_attn_scalar=8, sliding_window=512,
                 sliding_window_pattern=6, rope_local_base_freq=10000.0, rope_scaling=None,
                 cache_implementation="hybrid")
        desc = "Gemma3ForCausalLM (text-only, model_type gemma3_text), sandwich norms, q_norm/k_norm present"
    else:
        c = cfg_common("Gemma3ForConditionalGeneration", "gemma3", "bfloat16")
        del c["torch_dtype"]
        # save_pretrained writes nested configs as their difference from the sub-config's defaults (as the
        # published google/gemma-3-4b-it config.json): hidden_activation ("gelu_pytorch_tanh") and rms_norm_eps (1e-6)
        # are Gemma3TextConfig defaults and therefore absent here.
        c.update({"boi_token_index": 255999, "eoi_token_index": 256000, "eos_token_id": [1, 106],
                  "image_token_index": 262144, "initializer_range": 0.02, "mm_tokens_per_image": 256,
                  "torch_dtype": "bfloat16",
                  "text_config": {"head_dim": 8, "hidden_size": H, "intermediate_size": I, "model_type": "gemma3_text",
                                  "num_attention_heads": 9, "num_hidden_layers": N_LAYERS, "num_key_value_heads": 3,
                                  "rope_scaling": {"factor": 8.0, "rope_type": "linear"}, "sliding_window": 1024,
                                  "vocab_size": 30},
                  "vision_config": {"hidden_size": 48, "image_size": 16, "intermediate_size": 96,
                                    "model_type": "siglip_vision_model", "num_attention_heads": 4,
                                    "num_hidden_layers": 1, "patch_size": 8, "vision_use_head": False}})
        vp = "vision_tower.vision_model.encoder.layers.0."
        T[vp + "layer_norm2.weight"] = r.norm_w(48)
        T[vp + "layer_norm2.bias"] = r.bias(48)
        T[vp + "mlp.fc1.weight"] = r.w(96, 48)  # SigLIP's MLP: a trap for a loader looking for 'mlp.' alone
        T[vp + "mlp.fc1.bias"] = r.bias(96)
        T[vp + "mlp.fc2.weight"] = r.w(48, 96)
        T[vp + "mlp.fc2.bias"] = r.bias(48)
        T["multi_modal_projector.mm_input_projection_weight"] = r.w(48, H)
        T["multi_modal_projector.mm_soft_emb_norm.weight"] = r.norm_w_1p(48)
        desc = ("Gemma3ForConditionalGeneration: text tensors under language_model.model., a vision tower with its own "
                "mlp.fc1/fc2, config.json with a minimal nested text_config (activation and eps are defaults)")
    if gemma3:
        c["transformers_version"] = "4.50.0.dev0"  # Gemma 3 arrived in transformers 4.50
    return dict(case=case, model_type=c["model_type"], tensors=T, config=c,
                dtype=torch.bfloat16, layer_prefix=lambda l: f"{mp}layers.{l}.",
                mlp=dict(kind="glu", gate="mlp.gate_proj", up="mlp.up_proj", down="mlp.down_proj", bias=False),
                activation="gelu_pytorch_tanh", norm_kind="rmsnorm_1p", norm_name="rmsnorm_1p",
                norm="pre_feedforward_layernorm" if sandwich else "post_attention_layernorm",
                post_norm="post_feedforward_layernorm" if sandwich else None, eps=eps,
                wiring="sandwich" if sandwich else "pre", options={}, hidden=H, intermediate=I, description=desc)


def t5(case, seed):
    """models/t5/modeling_t5.py, configuration_t5.py
    T5DenseActDense:      hidden_states = self.wi(hidden_states); self.act(...); dropout; self.wo(...)       (no bias)
    T5DenseGatedActDense: hidden_gelu = self.act(self.wi_0(hidden_states)); hidden_linear = self.wi_1(hidden_states)
                          hidden_states = hidden_gelu * hidden_linear; dropout; self.wo(hidden_states)
        act = ACT2FN[config.dense_act_fn]; T5Config: act_info = self.feed_forward_proj.split("-");
        self.dense_act_fn = act_info[-1]; self.is_gated_act = act_info[0] == "gated";
        if feed_forward_proj == "gated-gelu": self.dense_act_fn = "gelu_new"
    T5LayerFF: forwarded_states = self.layer_norm(hidden_states); forwarded_states = self.DenseReluDense(forwarded_states)
               hidden_states = hidden_states + self.dropout(forwarded_states)
        layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
    T5Block: encoder layer[0] SelfAttention, layer[1] T5LayerFF; decoder layer[0] SelfAttention, layer[1] EncDecAttention,
             layer[2] T5LayerFF."""
    gated = case == "t5_v1_1"
    stack = "decoder" if case == "t5_decoder" else "encoder"
    r = Rand(seed, torch.float32)
    T = OrderedDict()
    T["shared.weight"] = r.n(30, H, scale=1.0)
    n_enc = n_dec = N_LAYERS
    for st, n in (("encoder", n_enc), ("decoder", n_dec)):
        for l in range(n):
            p = f"{st}.block.{l}."
            T[p + "layer.0.SelfAttention.q.weight"] = r.w(H, H)  # (k, v, o left out: data size)
            if l == 0:
                T[p + "layer.0.SelfAttention.relative_attention_bias.weight"] = r.n(32, 9, scale=0.1)  # [buckets, num_heads]
            T[p + "layer.0.layer_norm.weight"] = r.norm_w(H)
            f = 1
            if st == "decoder":
                T[p + "layer.1.EncDecAttention.q.weight"] = r.w(H, H)
                T[p + "layer.1.layer_norm.weight"] = r.norm_w(H)  # NOT the decoder's feedforward norm
                f = 2
            if gated:
                T[p + f"layer.{f}.DenseReluDense.wi_0.weight"] = r.w(I, H)
                T[p + f"layer.{f}.DenseReluDense.wi_1.weight"] = r.w(I, H)
            else:
                T[p + f"layer.{f}.DenseReluDense.wi.weight"] = r.w(I, H)
            T[p + f"layer.{f}.DenseReluDense.wo.weight"] = r.w(H, I)
            T[p + f"layer.{f}.layer_norm.weight"] = r.norm_w(H)
        T[f"{st}.final_layer_norm.weight"] = r.norm_w(H)
    if gated:
        T["lm_head.weight"] = r.n(30, H, scale=0.02)  # v1.1: not tied
    c = cfg_common("T5ForConditionalGeneration", "t5", "float32")
    ffp = "gated-gelu" if gated else "relu"
    c.update({"d_ff": I, "d_kv": 8, "d_model": H, "decoder_start_token_id": 0, "dense_act_fn": "gelu_new" if gated else "relu",
              "dropout_rate": 0.1, "eos_token_id": 1, "feed_forward_proj": ffp, "initializer_factor": 1.0,
              "is_encoder_decoder": True, "is_gated_act": gated, "layer_norm_epsilon": 1e-6, "num_decoder_layers": n_dec,
              "num_heads": 9, "num_layers": n_enc, "pad_token_id": 0, "relative_attention_max_distance": 128,
              "relative_attention_num_buckets": 32, "tie_word_embeddings": not gated, "use_cache": True, "vocab_size": 30})
    f = 2 if stack == "decoder" else 1
    return dict(case=case, model_type="t5", tensors=T, config=c, dtype=torch.float32,
                layer_prefix=lambda l: f"{stack}.block.{l}.",
                mlp=(dict(kind="glu", gate=f"layer.{f}.DenseReluDense.wi_0", up=f"layer.{f}.DenseReluDense.wi_1",
                          down=f"layer.{f}.DenseReluDense.wo", bias=False) if gated else
                     dict(kind="dense2", up=f"layer.{f}.DenseReluDense.wi", down=f"layer.{f}.DenseReluDense.wo", bias=False)),
                activation="gelu_new" if gated else "relu", norm_kind="t5", norm_name="t5", norm=f"layer.{f}.layer_norm",
                eps=1e-6, wiring="pre", options={"stack": stack}, hidden=H, intermediate=I,
                description={"t5": "T5ForConditionalGeneration v1.0 (relu, wi/wo), the encoder stack",
                             "t5_decoder": "the t5 case's checkpoint (byte-identical files), the decoder stack: its "
                                           "feedforward is layer.2 (layer.1 is the cross-attention)",
                             "t5_v1_1": "T5 v1.1 gated-gelu: wo(gelu_new(wi_0 x) * wi_1 x), the encoder stack"}[case])


def vit(seed):
    """models/vit/modeling_vit.py
    ViTLayer: attention_output = self.attention(self.layernorm_before(hidden_states)); hidden_states = attention_output + hidden_states
              layer_output = self.layernorm_after(hidden_states); layer_output = self.intermediate(layer_output)
              layer_output = self.output(layer_output, hidden_states)
    ViTIntermediate: self.intermediate_act_fn(self.dense(hidden_states)), ACT2FN[config.hidden_act]
    ViTOutput: hidden_states = self.dense(hidden_states); dropout; hidden_states = hidden_states + input_tensor  (the residual)
    eps = config.layer_norm_eps."""
    r = Rand(seed, torch.float32)
    T = OrderedDict()
    T["vit.embeddings.cls_token"] = r.n(1, 1, H, scale=0.02)
    T["vit.embeddings.position_embeddings"] = r.n(1, 5, H, scale=0.02)
    T["vit.embeddings.patch_embeddings.projection.weight"] = r.n(H, 3, 8, 8, scale=0.02)
    T["vit.embeddings.patch_embeddings.projection.bias"] = r.bias(H)
    for l in range(N_LAYERS):
        p = f"vit.encoder.layer.{l}."
        T[p + "attention.attention.query.weight"] = r.w(H, H)  # (key, value left out: data size)
        T[p + "attention.attention.query.bias"] = r.bias(H)
        T[p + "attention.output.dense.weight"] = r.w(H, H)  # NOT the MLP's output.dense
        T[p + "attention.output.dense.bias"] = r.bias(H)
        T[p + "intermediate.dense.weight"] = r.w(I, H)
        T[p + "intermediate.dense.bias"] = r.bias(I)
        T[p + "output.dense.weight"] = r.w(H, I)
        T[p + "output.dense.bias"] = r.bias(H)
        T[p + "layernorm_before.weight"] = r.norm_w(H)
        T[p + "layernorm_before.bias"] = r.bias(H)
        T[p + "layernorm_after.weight"] = r.norm_w(H)
        T[p + "layernorm_after.bias"] = r.bias(H)
    T["vit.layernorm.weight"] = r.norm_w(H)
    T["vit.layernorm.bias"] = r.bias(H)
    T["classifier.weight"] = r.w(10, H)
    T["classifier.bias"] = r.bias(10)
    c = cfg_common("ViTForImageClassification", "vit", "float32")
    c.update({"attention_probs_dropout_prob": 0.0, "encoder_stride": 8, "hidden_act": "gelu",
              "hidden_dropout_prob": 0.0, "hidden_size": H, "image_size": 16, "initializer_range": 0.02,
              "intermediate_size": I, "layer_norm_eps": 1e-12, "num_attention_heads": 8, "num_channels": 3,
              "num_hidden_layers": N_LAYERS, "patch_size": 8, "qkv_bias": True})
    return dict(case="vit", model_type="vit", tensors=T, config=c, dtype=torch.float32,
                layer_prefix=lambda l: f"vit.encoder.layer.{l}.",
                mlp=dict(kind="dense2", up="intermediate.dense", down="output.dense", bias=True),
                activation="gelu", norm_kind="layernorm", norm_name="layernorm", norm="layernorm_after", eps=1e-12,
                wiring="pre", options={}, hidden=H, intermediate=I,
                description="ViTForImageClassification: pre-norm layernorm_after, ViTOutput adds the residual")


CLIP_TEXT_H, CLIP_TEXT_I = 64, 136


def clip(case, seed):
    """models/clip/modeling_clip.py
    CLIPMLP: hidden_states = self.fc1(hidden_states); self.activation_fn(...); self.fc2(...), ACT2FN[config.hidden_act]
    CLIPEncoderLayer: residual = hidden_states; hidden_states = self.layer_norm2(hidden_states)
                      hidden_states = self.mlp(hidden_states); hidden_states = residual + hidden_states
    layer_norm2 = nn.LayerNorm(self.embed_dim, eps=config.layer_norm_eps); text/vision sizes from text_config/vision_config."""
    r = Rand(seed, torch.float32)
    T = OrderedDict()
    T["logit_scale"] = torch.tensor(2.6592, dtype=torch.float32)  # 0-d
    T["text_model.embeddings.position_ids"] = torch.arange(8, dtype=torch.int64)[None]  # I64 buffer (older files)
    T["text_model.embeddings.token_embedding.weight"] = r.n(30, CLIP_TEXT_H, scale=0.02)
    T["text_model.embeddings.position_embedding.weight"] = r.n(8, CLIP_TEXT_H, scale=0.02)
    T["vision_model.embeddings.class_embedding"] = r.n(H, scale=0.02)
    T["vision_model.embeddings.patch_embedding.weight"] = r.n(H, 3, 8, 8, scale=0.02)
    T["vision_model.embeddings.position_embedding.weight"] = r.n(5, H, scale=0.02)
    T["vision_model.pre_layrnorm.weight"] = r.norm_w(H)  # (sic) the real name
    T["vision_model.pre_layrnorm.bias"] = r.bias(H)
    for tower, h, i in (("text_model", CLIP_TEXT_H, CLIP_TEXT_I), ("vision_model", H, I)):
        for l in range(N_LAYERS):
            p = f"{tower}.encoder.layers.{l}."
            T[p + "self_attn.q_proj.weight"] = r.w(h, h)  # (k/v/out_proj left out: data size)
            T[p + "self_attn.q_proj.bias"] = r.bias(h)
            T[p + "layer_norm1.weight"] = r.norm_w(h)
            T[p + "layer_norm1.bias"] = r.bias(h)
            T[p + "mlp.fc1.weight"] = r.w(i, h)
            T[p + "mlp.fc1.bias"] = r.bias(i)
            T[p + "mlp.fc2.weight"] = r.w(h, i)
            T[p + "mlp.fc2.bias"] = r.bias(h)
            T[p + "layer_norm2.weight"] = r.norm_w(h)
            T[p + "layer_norm2.bias"] = r.bias(h)
    T["text_model.final_layer_norm.weight"] = r.norm_w(CLIP_TEXT_H)
    T["text_model.final_layer_norm.bias"] = r.bias(CLIP_TEXT_H)
    T["vision_model.post_layernorm.weight"] = r.norm_w(H)
    T["vision_model.post_layernorm.bias"] = r.bias(H)
    T["text_projection.weight"] = r.w(32, CLIP_TEXT_H)
    T["visual_projection.weight"] = r.w(32, H)
    c = cfg_common("CLIPModel", "clip", "float32")
    c.update({"initializer_factor": 1.0, "logit_scale_init_value": 2.6592, "projection_dim": 32,
              "text_config": {"attention_dropout": 0.0, "bos_token_id": 0, "eos_token_id": 2, "hidden_act": "quick_gelu",
                              "hidden_size": CLIP_TEXT_H, "initializer_factor": 1.0, "initializer_range": 0.02,
                              "intermediate_size": CLIP_TEXT_I, "layer_norm_eps": 1e-5, "max_position_embeddings": 8,
                              "model_type": "clip_text_model", "num_attention_heads": 8, "num_hidden_layers": N_LAYERS,
                              "pad_token_id": 1, "projection_dim": 32, "vocab_size": 30},
              "vision_config": {"attention_dropout": 0.0, "hidden_act": "quick_gelu", "hidden_size": H, "image_size": 16,
                                "initializer_factor": 1.0, "initializer_range": 0.02, "intermediate_size": I,
                                "layer_norm_eps": 1e-5, "model_type": "clip_vision_model", "num_attention_heads": 8,
                                "num_channels": 3, "num_hidden_layers": N_LAYERS, "patch_size": 8, "projection_dim": 32}})
    text = case == "clip_text"
    tower = "text_model" if text else "vision_model"
    return dict(case=case, model_type="clip", tensors=T, config=c, dtype=torch.float32,
                layer_prefix=lambda l: f"{tower}.encoder.layers.{l}.",
                mlp=dict(kind="dense2", up="mlp.fc1", down="mlp.fc2", bias=True),
                activation="quick_gelu", norm_kind="layernorm", norm_name="layernorm", norm="layer_norm2", eps=1e-5,
                wiring="pre", options={"stack": "text" if text else "vision"},
                hidden=CLIP_TEXT_H if text else H, intermediate=CLIP_TEXT_I if text else I,
                description=f"CLIPModel, the {'text' if text else 'vision'} tower: text hidden {CLIP_TEXT_H}/"
                            f"intermediate {CLIP_TEXT_I}, vision hidden {H}/intermediate {I} (sizes from the sub-configs)")


def enc_dec(case, seed):
    """Whisper (models/whisper/modeling_whisper.py) and BART (models/bart/modeling_bart.py), encoder and decoder layers:
    Whisper (pre-norm): residual = hidden_states; hidden_states = self.final_layer_norm(hidden_states)
        hidden_states = self.activation_fn(self.fc1(hidden_states)); dropout; hidden_states = self.fc2(hidden_states); dropout
        hidden_states = residual + hidden_states
    BART (post-norm): residual = hidden_states; hidden_states = self.activation_fn(self.fc1(hidden_states)); dropout
        hidden_states = self.fc2(hidden_states); dropout; hidden_states = residual + hidden_states
        hidden_states = self.final_layer_norm(hidden_states)
    activation_fn = ACT2FN[config.activation_function]; final_layer_norm = nn.LayerNorm(self.embed_dim): eps 1e-5, no config key."""
    fam = case.split("_")[0]
    stack = "decoder" if case.endswith("_decoder") else "encoder"
    r = Rand(seed, torch.float32)
    T = OrderedDict()
    n = {"encoder": N_LAYERS, "decoder": N_LAYERS}
    if fam == "whisper":
        T["model.encoder.conv1.weight"] = r.n(H, 8, 3, scale=0.1)  # a 3-D tensor
        T["model.encoder.conv1.bias"] = r.bias(H)
        T["model.encoder.embed_positions.weight"] = r.n(8, H, scale=0.02)
        T["model.decoder.embed_tokens.weight"] = r.n(30, H, scale=0.02)
        T["model.decoder.embed_positions.weight"] = r.n(8, H, scale=0.02)
    else:
        T["model.shared.weight"] = r.n(30, H, scale=0.02)
        T["model.encoder.embed_positions.weight"] = r.n(10, H, scale=0.02)
        T["model.decoder.embed_positions.weight"] = r.n(10, H, scale=0.02)
        T["final_logits_bias"] = torch.zeros(1, 30)
    for st in ("encoder", "decoder"):
        for l in range(n[st]):
            p = f"model.{st}.layers.{l}."
            attns = ["self_attn"] + (["encoder_attn"] if st == "decoder" else [])
            for a in attns:
                T[p + f"{a}.q_proj.weight"] = r.w(H, H)  # (k/v/out_proj left out: data size)
                T[p + f"{a}.q_proj.bias"] = r.bias(H)
                T[p + f"{a}_layer_norm.weight"] = r.norm_w(H)
                T[p + f"{a}_layer_norm.bias"] = r.bias(H)
            T[p + "fc1.weight"] = r.w(I, H)
            T[p + "fc1.bias"] = r.bias(I)
            T[p + "fc2.weight"] = r.w(H, I)
            T[p + "fc2.bias"] = r.bias(H)
            T[p + "final_layer_norm.weight"] = r.norm_w(H)
            T[p + "final_layer_norm.bias"] = r.bias(H)
        if fam == "whisper":
            T[f"model.{st}.layer_norm.weight"] = r.norm_w(H)
            T[f"model.{st}.layer_norm.bias"] = r.bias(H)
        else:
            T[f"model.{st}.layernorm_embedding.weight"] = r.norm_w(H)
            T[f"model.{st}.layernorm_embedding.bias"] = r.bias(H)
    common = {"activation_function": "gelu", "d_model": H, "decoder_ffn_dim": I, "encoder_ffn_dim": I,
              "decoder_layers": n["decoder"], "encoder_layers": n["encoder"], "decoder_attention_heads": 8,
              "encoder_attention_heads": 8, "activation_dropout": 0.0, "attention_dropout": 0.0, "dropout": 0.0,
              "decoder_layerdrop": 0.0, "encoder_layerdrop": 0.0, "init_std": 0.02, "is_encoder_decoder": True,
              "scale_embedding": False, "use_cache": True, "vocab_size": 30, "pad_token_id": 1,
              "bos_token_id": 0, "eos_token_id": 2, "decoder_start_token_id": 2}
    if fam == "whisper":
        c = cfg_common("WhisperForConditionalGeneration", "whisper", "float32")
        c.update(common, num_mel_bins=8, max_source_positions=8, max_target_positions=8, num_hidden_layers=n["encoder"],
                 apply_spec_augment=False, median_filter_width=7, use_weighted_layer_sum=False)
    else:
        c = cfg_common("BartForConditionalGeneration", "bart", "float32")
        c.update(common, max_position_embeddings=8, num_hidden_layers=n["encoder"], classifier_dropout=0.0,
                 forced_eos_token_id=2, add_bias_logits=False, add_final_layer_norm=False, normalize_before=False)
    return dict(case=case, model_type=fam, tensors=T, config=c, dtype=torch.float32,
                layer_prefix=lambda l: f"model.{stack}.layers.{l}.",
                mlp=dict(kind="dense2", up="fc1", down="fc2", bias=True),
                activation="gelu", norm_kind="layernorm", norm_name="layernorm", norm="final_layer_norm", eps=1e-5,
                wiring="pre" if fam == "whisper" else "post", options={"stack": stack}, hidden=H, intermediate=I,
                description=f"{c['architectures'][0]}, the {stack} stack "
                            f"({'pre-norm' if fam == 'whisper' else 'post-norm'} final_layer_norm)"
                            + ("; the same checkpoint as the encoder case (byte-identical files)" if stack == "decoder" else ""))


def cases():
    return [
        bert_like("bert", "bert.", "BertForMaskedLM", "bert", 1e-12, seed=101),
        bert_like("bert_legacy", "", "BertModel", "bert", 1e-12, legacy=True, seed=102),
        bert_like("roberta", "roberta.", "RobertaForMaskedLM", "roberta", 1e-5, seed=103),
        distilbert(104),
        gpt2(105),
        gpt_neox(106),
        phi(107),
        phi3(108),
        llama_like("llama", "llama", "LlamaForCausalLM", 109, 1e-5,
                   description="LlamaForCausalLM, BF16, SwiGLU, mlp_bias false"),
        llama_like("llama_bias", "llama", "LlamaForCausalLM", 110, 1e-5, mlp_bias=True,
                   description="LlamaForCausalLM with mlp_bias true: gate/up/down biases"),
        dict(llama_like("llama_sharded", "llama", "LlamaForCausalLM", 109, 1e-5,
                        description="the llama case (same seed, same tensors) split across two shards "
                                    "with model.safetensors.index.json"), sharded=True),
        llama_like("mistral", "mistral", "MistralForCausalLM", 111, 1e-5, extra_cfg={"sliding_window": 4096},
                   description="MistralForCausalLM, BF16"),
        llama_like("qwen2", "qwen2", "Qwen2ForCausalLM", 112, 1e-6, qkv_bias=True,
                   extra_cfg={"use_sliding_window": False, "sliding_window": 4096, "max_window_layers": 2,
                              "tie_word_embeddings": False},
                   description="Qwen2ForCausalLM, BF16, q/k/v biases (the MLP has none)"),
        gemma_family("gemma", 113),
        gemma_family("gemma2", 114),
        gemma_family("gemma3_text", 115),
        gemma_family("gemma3", 116),
        t5("t5", 117),
        t5("t5_decoder", 117),  # the t5 checkpoint, the other stack
        t5("t5_v1_1", 119),
        vit(120),
        clip("clip_text", 121),
        clip("clip_vision", 121),
        enc_dec("whisper", 122),
        enc_dec("whisper_decoder", 122),
        enc_dec("bart", 124),
        enc_dec("bart_decoder", 124),
    ]


# ------------------------------------------------------------------ writing


def shard_split(names):
    """Split the state dict in its order into two shards the way transformers' size-based sharding does: a
    prefix of the tensors in shard 1. The cut falls inside layer 1's MLP (gate_proj in shard 1; up_proj,
    down_proj and the layer's norms in shard 2)."""
    cut = names.index("model.layers.1.mlp.up_proj.weight")
    return names[:cut], names[cut:]


def write_raw(path, t, dtype):
    a = t.detach().contiguous().numpy().astype(dtype, copy=False)
    with open(path, "wb") as fh:
        fh.write(a.tobytes())
    return a


def generate(spec, manifest):
    case = spec["case"]
    d = os.path.join(OUT, case)
    os.makedirs(d)
    T = spec["tensors"]
    with open(os.path.join(d, "config.json"), "w") as fh:  # PretrainedConfig.to_json_string: indent 2, sorted keys
        fh.write(json.dumps(spec["config"], indent=2, sort_keys=True) + "\n")
    if spec.get("sharded"):
        names = list(T)
        parts = shard_split(names)
        files = [f"model-{i + 1:05d}-of-{len(parts):05d}.safetensors" for i in range(len(parts))]
        weight_map = {}
        total = 0
        for f, part in zip(files, parts):
            total += write_safetensors(os.path.join(d, f), OrderedDict((k, T[k]) for k in part))
            weight_map.update({k: f for k in part})
        index = {"metadata": {"total_size": total}, "weight_map": weight_map}
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as fh:  # as transformers: indent 2, sorted keys
            fh.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
        index_name = "model.safetensors.index.json"
    else:
        write_safetensors(os.path.join(d, "model.safetensors"), T)
        files = ["model.safetensors"]
        index_name = None

    h = spec["hidden"]
    x_of = "llama" if case == "llama_sharded" else case  # the sharded llama: the same x, so the same outputs
    g = torch.Generator().manual_seed(7000 + sum(map(ord, x_of)))
    x = torch.randn(B, h, generator=g, dtype=torch.float32)
    write_raw(os.path.join(d, "x.bin"), x, "<f4")
    # the stored weights, widened exactly: float32 for the PyTorch float32 forward, float64 for the reference
    floating = {k: v for k, v in T.items() if v.dtype.is_floating_point}
    T32 = {k: v.to(torch.float32) for k, v in floating.items()}
    T64 = {k: v.to(torch.float64) for k, v in floating.items()}
    outputs = {}
    checks = []
    for l in range(spec.get("n_layers", N_LAYERS)):
        for what, fn in (("mlp", mlp_forward), ("sublayer", sublayer_forward)):
            with torch.no_grad():
                y32 = fn(spec, T32, l, x)
                y64 = fn(spec, T64, l, x.to(torch.float64))
            assert y32.dtype == torch.float32 and y64.dtype == torch.float64 and tuple(y32.shape) == (B, h)
            f32, f64 = f"{what}_l{l}_f32.bin", f"{what}_l{l}_f64.bin"
            write_raw(os.path.join(d, f32), y32, "<f4")
            write_raw(os.path.join(d, f64), y64, "<f8")
            outputs[f"{what}_l{l}"] = {"f32": f32, "f64": f64, "shape": [B, h]}
            rel = float((y32.double() - y64).abs().max() / y64.abs().max())
            checks.append((f"{what}_l{l}", rel))
            assert rel < 2e-5, (case, what, l, rel)
        # the sublayer must differ from the MLP alone (the norm and residual are really there)
        m64 = torch.from_numpy(np.fromfile(os.path.join(d, f"mlp_l{l}_f64.bin"), "<f8")).reshape(B, h)
        s64 = torch.from_numpy(np.fromfile(os.path.join(d, f"sublayer_l{l}_f64.bin"), "<f8")).reshape(B, h)
        assert float((m64 - s64).abs().max()) > 0.1, (case, l)
    if spec["case"] in ("bert", "llama", "llama_sharded"):
        assert "mlp_l1" in outputs
    pre = spec["layer_prefix"]
    m = spec["mlp"]
    mlp_tensors = {}
    for l in range(spec.get("n_layers", N_LAYERS)):
        roles = {k: v for k, v in m.items() if k in ("up", "down", "gate", "gate_up")}
        names = {}
        for role, suffix in roles.items():
            names[role] = pre(l) + suffix + ".weight"
            if m["bias"]:
                names[role + "_bias"] = pre(l) + suffix + ".bias"
        ln = {"layernorm_legacy": ("gamma", "beta")}.get(spec["norm_kind"], ("weight", "bias"))
        names["norm"] = pre(l) + spec["norm"] + "." + ln[0]
        if spec["norm_kind"] in ("layernorm", "layernorm_legacy"):
            names["norm_bias"] = pre(l) + spec["norm"] + "." + ln[1]
        if spec.get("post_norm"):
            names["post_norm"] = pre(l) + spec["post_norm"] + ".weight"
        for v in names.values():
            assert v in T, (case, v)
        mlp_tensors[f"l{l}"] = names
    manifest["cases"][case] = {
        "model_type": spec["model_type"],
        "description": spec["description"],
        "dir": case,
        "files": files,
        "index": index_name,
        "config": "config.json",
        "options": spec["options"],
        "batch": B,
        "hidden": h,
        "intermediate": spec["intermediate"],
        "layers": spec.get("n_layers", N_LAYERS),
        "dtype": ST_DTYPE[spec["dtype"]],
        "activation": spec["activation"],
        "gated": m["kind"] in ("glu", "glu_merged"),
        "norm": spec["norm_name"],
        "eps": spec["eps"],
        "wiring": spec["wiring"],
        "x": "x.bin",
        "outputs": outputs,
        "mlp_tensors": mlp_tensors,
    }
    return checks


def self_check(manifest):
    """Re-read every written file: safetensors headers/bytes against the tensors, index, configs, raw outputs."""
    specs = {s["case"]: s for s in cases()}  # rebuilt from the seeds: also checks determinism
    n_files = 0
    for case, e in manifest["cases"].items():
        d = os.path.join(OUT, e["dir"])
        T = specs[case]["tensors"]
        seen = {}
        for f in e["files"]:
            got, meta = read_safetensors(os.path.join(d, f))
            assert meta == {"format": "pt"}, (case, f, meta)
            for k, (dt, shape, raw) in got.items():
                assert k not in seen, (case, k)
                seen[k] = f
                t = T[k]
                assert dt == ST_DTYPE[t.dtype] and shape == list(t.shape), (case, k)
                back = to_torch(dt, shape, raw)
                assert torch.equal(back, t), (case, k)
            n_files += 1
        assert set(seen) == set(T), (case, set(T) ^ set(seen))
        if e["index"]:
            with open(os.path.join(d, e["index"])) as fh:
                idx = json.load(fh)
            assert idx["weight_map"] == seen, case
            assert idx["metadata"]["total_size"] == sum(len(tensor_bytes(t)) for t in T.values())
            n_files += 1
        with open(os.path.join(d, e["config"])) as fh:
            assert json.load(fh) == specs[case]["config"]
        n_files += 1
        h = e["hidden"]
        x = np.fromfile(os.path.join(d, e["x"]), "<f4")
        assert x.shape == (B * h,)
        n_files += 1
        for k, o in e["outputs"].items():
            a = np.fromfile(os.path.join(d, o["f32"]), "<f4").reshape(o["shape"])
            b = np.fromfile(os.path.join(d, o["f64"]), "<f8").reshape(o["shape"])
            assert np.isfinite(a).all() and np.isfinite(b).all()
            assert np.abs(a - b).max() / np.abs(b).max() < 2e-5, (case, k)
            n_files += 2
        # the forward recomputed from the tensors READ BACK (by name) must reproduce the f64 files
        back = {}
        for f in e["files"]:
            got, _ = read_safetensors(os.path.join(d, f))
            back.update({k: to_torch(*v).to(torch.float64) for k, v in got.items() if v[0] in ("F32", "F16", "BF16")})
        xt = torch.from_numpy(x.astype(np.float64)).reshape(B, h)
        for k, o in e["outputs"].items():
            what, l = k.rsplit("_l", 1)
            fn = mlp_forward if what == "mlp" else sublayer_forward
            with torch.no_grad():
                y = fn(specs[case], back, int(l), xt).numpy()
            ref = np.fromfile(os.path.join(d, o["f64"]), "<f8").reshape(o["shape"])
            assert np.array_equal(y, ref), (case, k)
    with open(os.path.join(OUT, "manifest.json")) as fh:
        assert json.load(fh) == manifest
    return n_files + 1


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):  # stale outputs of an earlier run; README.md is written by hand and kept
        if os.path.isdir(os.path.join(OUT, f)):
            shutil.rmtree(os.path.join(OUT, f))
        elif f == "manifest.json":
            os.remove(os.path.join(OUT, f))
    manifest = {
        "generator": GENERATOR,
        "torch": torch.__version__,
        "byte_order": "little-endian",
        "notes": [
            "x.bin and *_f32.bin: raw little-endian float32, C order [batch, hidden]; *_f64.bin: raw float64.",
            "f32 = the forward in PyTorch float32 from the stored weights widened to float32 (no F16/BF16 arithmetic); "
            "f64 = the same forward in float64 from the same stored weights: the independent reference.",
            "mlp = the MLP alone (no norm, no residual); sublayer = the feedforward sublayer as the family wires it: "
            "pre: x + mlp(norm(x)); post: norm(x + mlp(x)); parallel: x + mlp(norm(x)) (the attention branch, "
            "which reads the same x, left out); sandwich: x + post_norm(mlp(pre_norm(x))).",
            "norm: layernorm = nn.LayerNorm; rmsnorm = LlamaRMSNorm w * x / sqrt(mean(x^2) + eps); rmsnorm_1p = "
            "GemmaRMSNorm (1 + w) * x / sqrt(mean(x^2) + eps); t5 = T5LayerNorm (RMS, no mean, no bias).",
            "activation: the transformers ACT2FN string in effect for the MLP.",
            "mlp_tensors: the names the MLP and its norms use, per layer (everything else in the files is to be ignored).",
        ],
        "cases": {},
    }
    report = []
    for spec in cases():
        report.append((spec["case"], generate(spec, manifest)))
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")
    n = self_check(manifest)
    for case, checks in report:
        worst = max(r for _, r in checks)
        print(f"{case:16s} max |f32 - f64| / max |f64| = {worst:.2e}", file=sys.stderr)
    total, blobs = 0, {}
    for dp, _, fs in os.walk(OUT):
        for f in fs:
            with open(os.path.join(dp, f), "rb") as fh:
                data = fh.read()
            total += len(data)
            blobs[hashlib.sha256(data).hexdigest()] = len(data)
    unique = sum(blobs.values())
    print(f"self-check re-read {n} files; {len(manifest['cases'])} cases in {os.path.relpath(OUT, ROOT)}: "
          f"{total} bytes ({total / 1e6:.2f} MB) on disk, {unique} bytes ({unique / 1e6:.2f} MB) of distinct files "
          f"(what git stores: the encoder/decoder and CLIP text/vision cases share byte-identical checkpoints), "
          f"torch {torch.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
