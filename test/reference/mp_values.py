#!/usr/bin/python3
"""High-precision values (mpmath, 80 significant digits) of every function in test/reference/math.js.

Writes test/reference/mp-values.json, which test/reference.test.ts uses to check the float64
reference. Each value is stored as a pair [hi, lo] of doubles with hi + lo = the exact value to
~1e-32 relative, so the test measures the reference's error without the rounding of the expected
value getting in the way.

    /usr/bin/python3 test/reference/mp_values.py            # the committed fixture (small)
    /usr/bin/python3 test/reference/mp_values.py --n 20000 --out /tmp/mp-big.json   # a big sweep

Needs mpmath (Debian: apt-get install python3-mpmath) and numpy.
"""
import argparse
import json
import os
import struct

import numpy as np
from mpmath import mp, mpf

mp.dps = 80

SQRT2 = mp.sqrt(2)
SQRT_2_OVER_PI = mp.sqrt(2 / mp.pi)
C_TANH = mpf("0.044715")
K_QUICK = mpf("1.702")


def sig(t):
    # σ(t) without cancellation at any precision
    if t >= 0:
        return 1 / (1 + mp.exp(-t))
    e = mp.exp(t)
    return e / (1 + e)


def Phi(x):
    return mp.erfc(-x / SQRT2) / 2


def phi(x):
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def gelu_tanh_w(x):  # 2u
    return 2 * SQRT_2_OVER_PI * (x + C_TANH * x**3)


FUNCS = {
    "erf": mp.erf,
    "erfc": mp.erfc,
    "Phi": Phi,
    "phi": phi,
    "gelu": lambda x: x * Phi(x),
    "geluDerivative": lambda x: Phi(x) + x * phi(x),
    # 0.5·x·(1 + tanh u) = x·σ(2u); 1 - tanh²u = sech²u: exact identities, no cancellation
    "geluTanh": lambda x: x * sig(gelu_tanh_w(x)),
    "geluTanhDerivative": lambda x: sig(gelu_tanh_w(x))
    + x / 2 * mp.sech(gelu_tanh_w(x) / 2) ** 2 * SQRT_2_OVER_PI * (1 + 3 * C_TANH * x * x),
    "sigmoid": sig,
    "sigmoidDerivative": lambda x: sig(x) * sig(-x),
    "tanh": mp.tanh,
    "tanhDerivative": lambda x: mp.sech(x) ** 2,
    "silu": lambda x: x * sig(x),
    "siluDerivative": lambda x: sig(x) + x * sig(x) * sig(-x),
    "quickGelu": lambda x: x * sig(K_QUICK * x),
    "quickGeluDerivative": lambda x: sig(K_QUICK * x) + K_QUICK * x * sig(K_QUICK * x) * sig(-K_QUICK * x),
}

# Domain of interest per function: where the result is a normal double (outside it the reference
# must still be right, but relative error is meaningless) and where it is not trivially ±1 or x.
RANGES = {
    "erf": (-6.0, 6.0),
    "erfc": (-6.0, 26.5),
    "Phi": (-37.5, 8.5),
    "phi": (-37.5, 37.5),
    "gelu": (-37.5, 10.0),
    "geluDerivative": (-37.5, 10.0),
    "geluTanh": (-20.0, 10.0),
    "geluTanhDerivative": (-20.0, 10.0),
    "sigmoid": (-700.0, 40.0),
    "sigmoidDerivative": (-700.0, 700.0),
    "tanh": (-20.0, 20.0),
    "tanhDerivative": (-350.0, 350.0),
    "silu": (-700.0, 40.0),
    "siluDerivative": (-700.0, 40.0),
    "quickGelu": (-400.0, 25.0),
    "quickGeluDerivative": (-400.0, 25.0),
}


def split(v):
    hi = float(v)
    lo = float(v - mpf(hi))
    return [hi, lo]


def points(lo, hi, n, rng):
    """n float32-representable points in [lo, hi]: a uniform grid, random points, a log-spaced
    set towards 0 on both sides, and a few fixed ones."""
    g = np.linspace(lo, hi, n // 2)
    r = rng.uniform(lo, hi, n // 4)
    m = n - len(g) - len(r)
    tiny = []
    if lo < 0 < hi:
        e = np.logspace(-40, 0, m // 2)
        tiny = list(-e * min(1.0, -lo)) + list(e * min(1.0, hi))
    else:
        tiny = list(rng.uniform(lo, hi, m))
    fixed = [v for v in (-1.0, -0.5, 0.5, 1.0, 2.0, -2.0, 0.46875, -0.46875, 4.0, -4.0) if lo <= v <= hi]
    xs = np.concatenate([g, r, np.array(tiny), np.array(fixed)]).astype(np.float32)
    xs = np.unique(xs[xs != 0])
    return [float(v) for v in xs]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=160, help="points per function")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "mp-values.json"))
    ap.add_argument("--seed", type=int, default=20240601)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    out = {
        "generator": "test/reference/mp_values.py",
        "mpmath": __import__("mpmath").__version__,
        "dps": mp.dps,
        "format": "functions[name] = list of [x, hi, lo]; exact f(x) = hi + lo",
        "functions": {},
    }
    for name, f in FUNCS.items():
        lo, hi = RANGES[name]
        rows = []
        for x in points(lo, hi, a.n, rng):
            v = f(mpf(x))
            rows.append([x] + split(v))
        out["functions"][name] = rows
    with open(a.out, "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
        fh.write("\n")
    print(a.out, sum(len(r) for r in out["functions"].values()), "values")


if __name__ == "__main__":
    main()
