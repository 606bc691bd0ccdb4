#!/usr/bin/python3
"""Golden vectors from real PyTorch for the ffwd tests: writes test/golden/*.bin, *.safetensors and
test/golden/manifest.json.

Run with Debian's PyTorch (apt-get install python3-torch), which installs into /usr/bin/python3:

    /usr/bin/python3 scripts/golden.py

Deterministic: every section seeds its own torch.Generator, runs on one thread, and the outputs
are raw little-endian float32. Re-running on another machine may change the last bits of the
PyTorch outputs (vectorised kernels, BLAS), never the inputs or the weights.
"""
import json
import math
import os
import platform
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "golden")

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

manifest = {
    "generator": "scripts/golden.py",
    "torch": torch.__version__,
    "python": platform.python_version(),
    "numpy": np.__version__,
    "cpu_capability": None,  # filled in by main()
    "machine": platform.machine(),
    "byte_order": "little-endian",
    "notes": [],
    "files": {},
}


def rel(name):
    return os.path.join(OUT, name)


def save_f32(name, t, description, **extra):
    """Raw little-endian float32 file `${name}.bin`, described in the manifest under `name`."""
    a = t.detach().cpu().contiguous().to(torch.float32).numpy().astype("<f4", copy=False)
    data = a.tobytes()
    with open(rel(name + ".bin"), "wb") as fh:
        fh.write(data)
    manifest["files"][name] = {
        "file": name + ".bin",
        "dtype": "float32",
        "shape": list(a.shape),
        "bytes": len(data),
        "description": description,
        **extra,
    }


# ------------------------------------------------------------------ safetensors writer

ST_DTYPE = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def tensor_bytes(t):
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret the 16-bit patterns
        return t.view(torch.int16).numpy().astype("<i2", copy=False).tobytes()
    if t.dtype == torch.float16:
        return t.numpy().astype("<f2", copy=False).tobytes()
    return t.numpy().astype("<f4", copy=False).tobytes()


def write_safetensors(path, tensors, metadata):
    """The safetensors format: u64 little-endian header length N, N bytes of JSON
    { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { str: str } } padded with
    spaces to a multiple of 8, then the tensors' bytes back to back (offsets relative to the end
    of the header)."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, t in tensors.items():
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
    return 8 + len(h) + offset


def save_safetensors(name, tensors, description, **extra):
    meta = {"format": "pt", "generator": "scripts/golden.py", "torch": torch.__version__}
    size = write_safetensors(rel(name + ".safetensors"), tensors, meta)
    manifest["files"][name] = {
        "file": name + ".safetensors",
        "dtype": "safetensors",
        "tensors": {k: {"dtype": ST_DTYPE[v.dtype], "shape": list(v.shape)} for k, v in tensors.items()},
        "bytes": size,
        "description": description,
        **extra,
    }


# ------------------------------------------------------------------ a. activations

def f32_from_bits(bits):
    return torch.from_numpy(np.array(bits, dtype=np.uint32).view(np.float32).copy())


def activation_inputs():
    g = torch.Generator().manual_seed(1001)
    max_f = float(np.finfo(np.float32).max)
    tiny = float(np.finfo(np.float32).tiny)  # min normal
    specials = [
        0.0, -0.0, math.inf, -math.inf, math.nan, max_f, -max_f, tiny, -tiny,
        1.0, -1.0, 0.5, -0.5, 2.0, -2.0,
        1e3, -1e3, 1e10, -1e10, 1e30, -1e30,
        88.72283935546875, -87.33654022216797, -103.97207641601562, 104.0, -104.0,
    ]
    sub_bits = [1, 2, 3, 0x7FFFFF, 0x400000, 0x000100, 0x012345, 0x7FFFFE]
    subnormals = f32_from_bits(sub_bits + [b | 0x80000000 for b in sub_bits])
    parts = [
        torch.tensor(specials, dtype=torch.float32),
        subnormals,
        torch.from_numpy(np.linspace(-10, 10, 2001).astype(np.float32)),  # step 0.01
        torch.randn(1024, generator=g, dtype=torch.float32),  # N(0, 1)
        torch.from_numpy(np.linspace(-14, -4, 1001).astype(np.float32)),  # the tail, step 0.01
    ]
    x = torch.cat(parts)
    # Pad to a multiple of 16 with more N(0, 1) samples so that every element goes through
    # PyTorch's vectorised loop (AVX2: 8 lanes, unrolled twice; a scalar loop does the remainder).
    pad = (-len(x)) % 16
    if pad:
        x = torch.cat([x, torch.randn(pad, generator=g, dtype=torch.float32)])
    layout = []
    start = 0
    for label, p in zip(
        ["specials", "subnormals", "grid [-10, 10] step 0.01", "N(0, 1) samples", "tail [-14, -4] step 0.01"], parts
    ):
        layout.append({"what": label, "start": start, "count": len(p)})
        start += len(p)
    if pad:
        layout.append({"what": "N(0, 1) padding to a multiple of 16", "start": start, "count": pad})
    return x, layout


ACTIVATIONS = [
    # id, file stem, function, torch call as text, extra manifest fields
    ("gelu", "gelu", lambda t: F.gelu(t, approximate="none"), "torch.nn.functional.gelu(x, approximate='none')", {}),
    ("gelu_tanh", "gelu_tanh", lambda t: F.gelu(t, approximate="tanh"), "torch.nn.functional.gelu(x, approximate='tanh')", {}),
    ("sigmoid", "sigmoid", torch.sigmoid, "torch.sigmoid(x)", {}),
    ("tanh", "tanh", torch.tanh, "torch.tanh(x)", {}),
    ("relu", "relu", torch.relu, "torch.relu(x)", {}),
    ("leaky_relu", "leaky_relu_0.01", lambda t: F.leaky_relu(t, 0.01), "torch.nn.functional.leaky_relu(x, 0.01)", {"slope": 0.01}),
    ("leaky_relu", "leaky_relu_0.2", lambda t: F.leaky_relu(t, 0.2), "torch.nn.functional.leaky_relu(x, 0.2)", {"slope": 0.2}),
    ("silu", "silu", F.silu, "torch.nn.functional.silu(x)", {}),
    (
        "quick_gelu",
        "quick_gelu",
        lambda t: t * torch.sigmoid(1.702 * t),
        "x * torch.sigmoid(1.702 * x)",
        {"note": "no PyTorch builtin: composed from float32 ops (1.702*x rounded to float32, then sigmoid, then the product); "
                 "dx by autograd through that composition"},
    ),
]


def golden_activations():
    x, layout = activation_inputs()
    dy = torch.randn(len(x), generator=torch.Generator().manual_seed(1002), dtype=torch.float32)
    save_f32("act_x", x, "activation inputs (float32): specials, subnormals, grid, N(0,1), tail", layout=layout)
    save_f32("act_dy", dy, "upstream gradient dy ~ N(0, 1) used for every act_*_dx")
    for act_id, stem, fn, call, extra in ACTIVATIONS:
        xx = x.clone().requires_grad_(True)
        y = fn(xx)
        y.backward(dy)
        dy_diff, dx_diff = scalar_path_differences(x, dy, fn)
        save_f32(f"act_{stem}_y", y, f"forward: y = {call}", activation=act_id, input="act_x", torch_call=call,
                 scalar_path_differs=dy_diff, **extra)
        save_f32(
            f"act_{stem}_dx",
            xx.grad,
            f"backward: dx = autograd of {call} for upstream act_dy (= dy * f'(x))",
            activation=act_id,
            input="act_x",
            upstream="act_dy",
            torch_call=call,
            scalar_path_differs=dx_diff,
            **extra,
        )
    return x


def describe(v):
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v == 0:
            return "-0" if math.copysign(1, v) < 0 else "0"
        return repr(v)
    return v


def cpu_capability():
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return None


def observed_semantics():
    """What PyTorch itself returns at the special points (float32), through its vectorised loop
    (the points repeated to 32 elements) and through its scalar loop (one element at a time)."""
    pts = [-math.inf, -1e30, -20.0, -10.0, -5.0, -1.0, -0.0, 0.0, 1e-45, math.inf, math.nan]
    out = {"x": [describe(p) for p in pts]}
    n = len(pts)
    for act_id, stem, fn, call, extra in ACTIVATIONS:
        row = {}
        x = torch.tensor((pts * 3)[:32], dtype=torch.float32, requires_grad=True)  # 32: all vectorised
        y = fn(x)
        y.backward(torch.ones_like(y))
        row["vectorised"] = {"y": [describe(float(v)) for v in y.detach()[:n]], "dx_for_dy_1": [describe(float(v)) for v in x.grad[:n]]}
        ys, dxs = [], []
        for p in pts:
            x = torch.tensor([p], dtype=torch.float32, requires_grad=True)
            y = fn(x)
            y.backward(torch.ones_like(y))
            ys.append(describe(float(y.detach()[0])))
            dxs.append(describe(float(x.grad[0])))
        row["scalar"] = {"y": ys, "dx_for_dy_1": dxs}
        out[stem] = row
    return out


def bits_differ(a, b):
    a = a.detach().contiguous().numpy()
    b = b.detach().contiguous().numpy()
    same = (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))
    return int((~same).sum())


def scalar_path_differences(x, dy, fn):
    """How many elements PyTorch computes differently when it evaluates them one at a time
    (its scalar loop) instead of in one vectorised call."""
    xx = x.clone().requires_grad_(True)
    y = fn(xx)
    y.backward(dy)
    ys, dxs = [], []
    for i in range(len(x)):
        xi = x[i : i + 1].clone().requires_grad_(True)
        yi = fn(xi)
        yi.backward(dy[i : i + 1])
        ys.append(yi.detach())
        dxs.append(xi.grad)
    return bits_differ(y, torch.cat(ys)), bits_differ(xx.grad, torch.cat(dxs))


# ------------------------------------------------------------------ b. feedforward

class FeedForwardBlock(nn.Module):
    """fc2(activation(fc1(x))): nn.Linear(d_model, d_hidden) → activation → nn.Linear(d_hidden, d_model)."""

    def __init__(self, d_model=512, d_hidden=2048, activation=None):
        super().__init__()
        self.fc1 = nn.Linear(d_model, d_hidden)
        self.act = activation if activation is not None else nn.GELU()
        self.fc2 = nn.Linear(d_hidden, d_model)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


FFN_ACTIVATIONS = {
    "gelu": lambda: nn.GELU(approximate="none"),
    "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
    "relu": lambda: nn.ReLU(),
}


def round_weights(block, dtype):
    """Round every parameter to `dtype` and back, so the stored file is exact."""
    with torch.no_grad():
        for p in block.parameters():
            p.copy_(p.to(dtype).to(torch.float32))


def weights_of(block, dtype):
    return {
        "fc1.weight": block.fc1.weight.detach().to(dtype),
        "fc1.bias": block.fc1.bias.detach().to(dtype),
        "fc2.weight": block.fc2.weight.detach().to(dtype),
        "fc2.bias": block.fc2.bias.detach().to(dtype),
    }


def outputs(block, x, act):
    """PyTorch's float32 output and a float64 evaluation of the same (rounded) weights, rounded to
    float32 (the reference for the contract 'relative error vs float64 matmul')."""
    b = FeedForwardBlock(block.fc1.in_features, block.fc1.out_features, FFN_ACTIVATIONS[act]())
    b.load_state_dict(block.state_dict())
    with torch.no_grad():
        y32 = b(x)
        y64 = b.double()(x.double()).float()
    return y32, y64


def golden_feedforward():
    torch.manual_seed(2001)  # nn.Linear's default init draws from the global generator
    block = FeedForwardBlock(512, 2048)
    round_weights(block, torch.float16)
    save_safetensors(
        "ffn512_f16",
        weights_of(block, torch.float16),
        "FeedForwardBlock(d_model=512, d_hidden=2048) weights (nn.Linear default init, torch.manual_seed(2001)), "
        "rounded to float16: the F16 values are exactly the float32 weights PyTorch used",
        d_model=512,
        d_hidden=2048,
    )
    g = torch.Generator().manual_seed(2002)
    x8 = torch.randn(8, 512, generator=g, dtype=torch.float32)
    x1 = torch.randn(1, 512, generator=g, dtype=torch.float32)
    save_f32("ffn512_x_b8", x8, "FFN input, batch 8 (N(0, 1))", weights="ffn512_f16")
    save_f32("ffn512_x_b1", x1, "FFN input, batch 1 (N(0, 1))", weights="ffn512_f16")
    for act in ["gelu", "gelu_tanh", "relu"]:
        y32, y64 = outputs(block, x8, act)
        desc = f"fc2({FFN_ACTIVATIONS[act]()}(fc1(x))) for ffn512_x_b8 and the ffn512_f16 weights"
        save_f32(f"ffn512_y_b8_{act}", y32, "PyTorch float32 output of " + desc,
                 weights="ffn512_f16", input="ffn512_x_b8", activation=act)
        save_f32(f"ffn512_y_b8_{act}_f64", y64, "float64 evaluation, rounded to float32, of " + desc,
                 weights="ffn512_f16", input="ffn512_x_b8", activation=act)
    y32, y64 = outputs(block, x1, "gelu")
    desc = "fc2(GELU(fc1(x))) for ffn512_x_b1 and the ffn512_f16 weights"
    save_f32("ffn512_y_b1_gelu", y32, "PyTorch float32 output of " + desc,
             weights="ffn512_f16", input="ffn512_x_b1", activation="gelu")
    save_f32("ffn512_y_b1_gelu_f64", y64, "float64 evaluation, rounded to float32, of " + desc,
             weights="ffn512_f16", input="ffn512_x_b1", activation="gelu")

    # A small block whose sizes are not multiples of 4 or 8 (tails everywhere).
    torch.manual_seed(2003)
    small = FeedForwardBlock(24, 40)
    save_safetensors(
        "ffn24_f32",
        weights_of(small, torch.float32),
        "FeedForwardBlock(d_model=24, d_hidden=40) weights in F32 (full float32 mantissas; torch.manual_seed(2003))",
        d_model=24,
        d_hidden=40,
    )
    small_bf16 = FeedForwardBlock(24, 40)
    small_bf16.load_state_dict(small.state_dict())
    round_weights(small_bf16, torch.bfloat16)
    save_safetensors(
        "ffn24_bf16",
        weights_of(small_bf16, torch.bfloat16),
        "the ffn24_f32 weights rounded to bfloat16 (round to nearest even); exact as stored",
        d_model=24,
        d_hidden=40,
    )
    x5 = torch.randn(5, 24, generator=torch.Generator().manual_seed(2004), dtype=torch.float32)
    save_f32("ffn24_x_b5", x5, "small FFN input, batch 5 (N(0, 1))")
    for stem, b in [("f32", small), ("bf16", small_bf16)]:
        y32, y64 = outputs(b, x5, "gelu")
        desc = f"fc2(GELU(fc1(x))) for ffn24_x_b5 and the ffn24_{stem} weights"
        save_f32(f"ffn24_y_b5_gelu_{stem}", y32, "PyTorch float32 output of " + desc,
                 weights=f"ffn24_{stem}", input="ffn24_x_b5", activation="gelu")
        save_f32(f"ffn24_y_b5_gelu_{stem}_f64", y64, "float64 evaluation, rounded to float32, of " + desc,
                 weights=f"ffn24_{stem}", input="ffn24_x_b5", activation="gelu")


# ------------------------------------------------------------------ main

def main():
    manifest["cpu_capability"] = cpu_capability()
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):  # stale outputs of an earlier run
        if f.endswith((".bin", ".safetensors")) or f == "manifest.json":
            os.remove(os.path.join(OUT, f))
    golden_activations()
    golden_feedforward()
    manifest["observed_semantics"] = observed_semantics()
    manifest["notes"] = [
        "All .bin files are raw little-endian float32, C order, shape as given; no header.",
        "act_*_y and act_*_dx are PyTorch's float32 results, not the exact values: check kernels against "
        "test/reference/math.js and use these to compare with PyTorch. PyTorch 1.13's float32 CPU kernels "
        "are not ulp-accurate: its gelu computes 0.5x(1+erf) and cancels on the negative tail (relative error "
        "4% at x = -5, 57% at -5.5, and +0 instead of a negative value from x = -5.55 down); its tanh-form "
        "gelu returns -0 from x = -5.07 down; gelu(-inf) and silu(-inf) are NaN.",
        "quick_gelu has no PyTorch builtin: it is x * torch.sigmoid(1.702 * x) in float32.",
        "The x vector's length is a multiple of 16 so every element took PyTorch's vectorised (AVX2) path. "
        "PyTorch's scalar loop (used for the remainder of a vector and for tiny tensors) gives different "
        "bits for many elements: scalar_path_differs counts them per file (elements evaluated one at a time); "
        "observed_semantics shows both paths at the special points.",
        "ffn*_f64 files hold a float64 evaluation of the same block (same rounded weights, same input) "
        "rounded to float32.",
        "Weights: nn.Linear default initialisation from the given manual_seed; 'rounded to float16/bfloat16' "
        "means the float32 model used exactly the stored values.",
    ]
    with open(rel("manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")
    total = sum(v["bytes"] for v in manifest["files"].values())
    print(f"wrote {len(manifest['files'])} files, {total / 1e6:.2f} MB, torch {torch.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
