#!/usr/bin/python3
"""Golden vectors from real PyTorch for ffwd's norms: writes test/golden/norms/*.bin and
test/golden/norms/manifest.json.

Run with Debian's PyTorch (apt-get install python3-torch), which installs into /usr/bin/python3:

    /usr/bin/python3 scripts/golden_norms.py

Each case holds rows of x, a weight and a bias (raw little-endian float32), and PyTorch's float32
outputs of torch.nn.functional.layer_norm and of the RMSNorm forms transformer code writes out in
torch ops (LLaMA's, Gemma's 1 + w, T5's). Each output's entry records PyTorch's own largest error
in float32 ulps against the same formula evaluated in float64 (torch, float64 inputs and weights),
so the tests can check their float64 reference against it. Deterministic: one seeded
torch.Generator per case, one thread.
"""
import json
import os
import platform
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "golden", "norms")

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def layer_norm(x, w, b, eps):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def rms_llama(x, w, eps):
    # transformers' LlamaRMSNorm (float32 throughout)
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rms_gemma(x, w, eps):
    # transformers' GemmaRMSNorm: the weight is stored as an offset from 1
    return (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)) * (1.0 + w)


def rms_t5(x, w, eps):
    # transformers' T5LayerNorm: RMS without mean or bias, variance first, weight last
    variance = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(variance + eps))


# output stem, ffwd call, eps, function of (x, w, b, eps), the call as text
FORMS = [
    ("layer_norm", {"kind": "layer"}, 1e-5, lambda x, w, b, e: layer_norm(x, w, b, e),
     "torch.nn.functional.layer_norm(x, (n,), w, b, eps)"),
    ("rms_llama", {"kind": "rms", "offset": 0}, 1e-5, lambda x, w, b, e: rms_llama(x, w, e),
     "w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))"),
    ("rms_gemma", {"kind": "rms", "offset": 1}, 1e-6, lambda x, w, b, e: rms_gemma(x, w, e),
     "(x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)) * (1.0 + w)"),
    ("rms_t5", {"kind": "rms", "offset": 0}, 1e-6, lambda x, w, b, e: rms_t5(x, w, e),
     "w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))  (T5LayerNorm)"),
]

# name, rows, n, seed, how x is drawn, x from a generator
CASES = [
    ("n768_normal", 3, 768, 3001, "N(0, 1)", lambda g, s: torch.randn(s, generator=g)),
    ("n768_mean1000", 3, 768, 3002, "1000 + N(0, 1): float32 statistics lose digits",
     lambda g, s: 1000.0 + torch.randn(s, generator=g)),
    ("n4097_normal", 1, 4097, 3003, "N(0, 1), a row with a tail of 1 past the vectors",
     lambda g, s: torch.randn(s, generator=g)),
    ("n3_mixed", 5, 3, 3004, "3 + 2·N(0, 1), rows shorter than a vector",
     lambda g, s: 3.0 + 2.0 * torch.randn(s, generator=g)),
]


def ordered(a):
    """float32 values as ordered integers: consecutive floats are consecutive integers, ±0 → 0."""
    b = a.astype("<f4").view(np.int32).astype(np.int64)
    return np.where(b < 0, -(b & 0x7FFFFFFF), b)


def max_ulp(actual32, exact64):
    """Largest distance in float32 ulps between a float32 result and its exact value rounded to float32."""
    return int(np.abs(ordered(actual32.numpy()) - ordered(exact64.to(torch.float32).numpy())).max())


manifest = {
    "generator": "scripts/golden_norms.py",
    "torch": torch.__version__,
    "python": platform.python_version(),
    "numpy": np.__version__,
    "machine": platform.machine(),
    "byte_order": "little-endian",
    "notes": [
        "Raw little-endian float32, C order, shape [rows, n] for x and outputs, [n] for weight and bias; no header.",
        "Outputs are PyTorch's float32 results. torch_max_ulp is PyTorch's largest error in float32 ulps against "
        "the same formula in float64 (torch, on the float64 values of the same inputs), rounded to float32.",
        "The weight is 1 + 0.1·N(0, 1) and the bias 0.1·N(0, 1); Gemma's form uses the weight as its offset w "
        "(the factor is 1 + w), as its checkpoints store it.",
    ],
    "cases": {},
}


def save(name, t):
    data = t.detach().contiguous().numpy().astype("<f4", copy=False).tobytes()
    with open(os.path.join(OUT, name + ".bin"), "wb") as fh:
        fh.write(data)
    return {"file": name + ".bin", "shape": list(t.shape), "bytes": len(data)}


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):  # stale outputs of an earlier run
        if f.endswith(".bin") or f == "manifest.json":
            os.remove(os.path.join(OUT, f))
    for name, rows, n, seed, what, draw in CASES:
        g = torch.Generator().manual_seed(seed)
        x = draw(g, (rows, n)).to(torch.float32)
        w = (1.0 + 0.1 * torch.randn(n, generator=g)).to(torch.float32)
        b = (0.1 * torch.randn(n, generator=g)).to(torch.float32)
        case = {"rows": rows, "n": n, "x_from": what, "seed": seed,
                "x": save(f"{name}_x", x), "weight": save(f"{name}_weight", w), "bias": save(f"{name}_bias", b),
                "outputs": {}}
        for stem, call, eps, fn, text in FORMS:
            with torch.no_grad():
                y32 = fn(x, w, b, eps)
                y64 = fn(x.double(), w.double(), b.double(), eps)
            case["outputs"][stem] = {**save(f"{name}_{stem}", y32), **call, "eps": eps, "torch_call": text,
                                     "torch_max_ulp": max_ulp(y32, y64)}
        manifest["cases"][name] = case
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")
    total = sum(e["bytes"] for c in manifest["cases"].values()
                for e in [c["x"], c["weight"], c["bias"], *c["outputs"].values()])
    summary = {k: {s: o["torch_max_ulp"] for s, o in c["outputs"].items()} for k, c in manifest["cases"].items()}
    print(f"wrote {total / 1e3:.0f} kB, torch {torch.__version__}; torch max ulp: {summary}", file=sys.stderr)


if __name__ == "__main__":
    main()
