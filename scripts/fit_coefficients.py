#!/usr/bin/env python3
"""Fits the polynomial and rational coefficients used by assembly/math/ (reproducible: no randomness).

Run: python3 scripts/fit_coefficients.py   (needs numpy and mpmath: apt-get install python3-numpy python3-mpmath)
Prints AssemblyScript constant blocks; the values in assembly/math/*.ts were pasted from its output.

Method: Lawson's iteratively reweighted least squares on Chebyshev nodes, which converges to the
minimax (equi-oscillating) fit; rationals use the linearised form P - f·Q = 0 reweighted by 1/|Q|.
Each fit reports its maximum error on a dense grid, evaluated with the coefficients rounded to the
precision the kernel stores them in (float32 or float64).
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40


def nodes(lo, hi, n=4000):
    k = np.arange(n)
    return (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / n)


def lawson(A, y, w, iters=300):
    """min over c of max |(A c - y)·w| by Lawson's algorithm (a least-squares sequence)."""
    lw = np.ones(len(y))
    best = None
    for _ in range(iters):
        W = np.sqrt(lw) * w
        c, *_ = np.linalg.lstsq(A * W[:, None], y * W, rcond=None)
        err = (A @ c - y) * w
        e = np.abs(err).max()
        if best is None or e < best[0]:
            best = (e, c)
        lw = lw * np.abs(err)
        lw = np.maximum(lw / lw.sum(), 1e-16)
    return best


def rational(x, y, w, num_powers, den_degree, iters=300):
    """y ≈ N(x)/D(x), N = Σ n_k x^k over num_powers, D = 1 + d_1 x + ... ; error weighted by w."""
    Qprev = np.ones(len(x))
    lw = np.ones(len(x))
    best = None
    for _ in range(iters):
        A = np.hstack([x[:, None] ** np.array(num_powers), -(y[:, None] * x[:, None] ** np.arange(1, den_degree + 1))])
        W = np.sqrt(lw) * w / np.abs(Qprev)
        s, *_ = np.linalg.lstsq(A * W[:, None], y * W, rcond=None)
        N = s[: len(num_powers)]
        D = np.concatenate([[1.0], s[len(num_powers):]])
        Qv = np.polyval(D[::-1], x)
        err = ((x[:, None] ** np.array(num_powers)) @ N / Qv - y) * w
        e = np.abs(err).max()
        if best is None or e < best[0]:
            best = (e, N, D)
        Qprev = Qv
        lw = lw * np.abs(err)
        lw = np.maximum(lw / lw.sum(), 1e-16)
    return best


def f32(v):
    return np.float32(v).astype(np.float64)


def fmt32(name, vals):
    return '\n'.join(f'const {name}{i} = f32x4.splat({float(np.float32(v))!r});' for i, v in vals)


def fmt64(name, vals):
    return '\n'.join(f'const {name}{i} = f64x2.splat({float(v)!r});' for i, v in vals)


def exp32():
    # e^{-r} = 1 - r + r²·s(r), |r| ≤ ln2/2 + margin: relative error of the whole.
    R = 0.36
    r = nodes(-R, R)
    target = np.array([float((mp.exp(-t) - 1 + t) / (t * t)) for t in r])
    w = r * r / np.exp(-r)
    e, c = lawson(r[:, None] ** np.arange(5), target, w)
    c = f32(c)
    rr = np.linspace(-R, R, 200001)
    val = 1 - rr + rr * rr * np.polyval(c[::-1], rr)
    err = np.abs(val / np.exp(-rr) - 1).max()
    print(f'// exp32: e^-r = 1 - r + r²·s(r) on |r| ≤ {R}: rel error {err:.3g} (2^{np.log2(err):.1f})')
    print(fmt32('EXP_S', enumerate(c)))


def exp64():
    R = 0.3466
    r = nodes(-R, R)
    target = np.array([float((mp.exp(t) - 1 - t) / (t * t)) for t in r])
    w = r * r / np.exp(r)
    e, c = lawson(r[:, None] ** np.arange(7), target, w)
    print(f'// exp64: e^r = 1 + r + r²·s(r) on |r| ≤ {R}: rel error {e:.3g} (2^{np.log2(e):.1f})')
    print(fmt64('EXP_D', enumerate(c)))


def lam(name, logS, ks, a_max=3.0, num=3, den=3, center=None):
    """log(2·S(a)) = -a(k·a + s0) + λ(a), λ(a) = a·N(a)/D(a); k in ks and s0 = m/256 chosen to
    make |λ| small (few-bit constants, so that the kernel can form a·(k·a + s0) exactly)."""
    x = nodes(0, a_max)
    f = np.array([logS(t) for t in x])
    best = None
    for k in ks:
        for m in range(0, 512):
            s0 = m / 256
            v = np.abs(f + x * (k * x + s0)).max()
            if best is None or v < best[0]:
                best = (v, s0, k)
    lam_max, s0, k = best
    y = f + x * (k * x + s0)
    xx = np.linspace(0, a_max, 30001)
    yy = np.array([logS(t) for t in xx]) + xx * (k * xx + s0)
    if center is None:
        # λ(a) = a·N(a)/D(a)
        e, N, D = rational(x, y, np.ones(len(x)), list(range(1, num + 2)), den)
        N32, D32 = f32(N), f32(D)
        val = (xx[:, None] ** np.arange(1, num + 2)) @ N32 / np.polyval(D32[::-1], xx)
        form = 'a·N(a)/D(a)'
    else:
        # λ(a) = N(u)/D(u), u = a - center: better conditioned once rounded to float32
        e, N, D = rational(x - center, y, np.ones(len(x)), list(range(0, num + 1)), den)
        N32, D32 = f32(N), f32(D)
        val = np.polyval(N32[::-1], xx - center) / np.polyval(D32[::-1], xx - center)
        form = f'N(u)/D(u), u = a - {center}'
    err = np.abs(val - yy).max()
    print(f'// {name}: log(2S(a)) = -a({k}a + {s0}) + λ(a), λ = {form} on [0, {a_max}]: |λ| ≤ {lam_max:.3f}, '
          f'abs error {err:.3g} (2^{np.log2(err):.1f})')
    print(f'const {name}_K = f32x4.splat({k!r});\nconst {name}_S0 = f32x4.splat({s0!r});')
    print(fmt32(f'{name}_N', enumerate(N32)))
    print(fmt32(f'{name}_D', list(enumerate(D32))[1:]))


def gelu_logS(a):
    a = mp.mpf(a)
    return float(mp.log(2 * mp.ncdf(-a)))


SQRT_2_OVER_PI = mp.sqrt(2 / mp.pi)


def tanh_logS(a):
    a = mp.mpf(a)
    z = 2 * SQRT_2_OVER_PI * (a + mp.mpf('0.044715') * a ** 3)
    return float(mp.log(2 / (1 + mp.exp(z))))


def erfc64():
    # R(a) = Φ(-a)·e^{a²/2} on [0, 15], relative, float64 coefficients.
    x = nodes(0, 15.0, 6000)
    y = np.array([float(mp.ncdf(-t) * mp.exp(t * t / 2)) for t in x])
    e, N, D = rational(x, y, 1 / y, list(range(0, 6)), 6)
    print(f'// erfc64: R(a) = Φ(-a)·e^(a²/2) ≈ N(a)/D(a) on [0, 15]: rel error {e:.3g} (2^{np.log2(e):.1f})')
    print(fmt64('PHI_N', enumerate(N)))
    print(fmt64('PHI_D', list(enumerate(D))[1:]))


def gelu_far():
    # a·Φ(-a) = e^(-a²/2 - C + μ(a))/2 on [3, 14.5], C = ln(√(2π)/2) = C_HI + c_lo (C_HI a multiple
    # of 2^-12), Λ = μ - c_lo ≈ N(a²)/D(a²), absolute error.
    c = float(-mp.log(1 / mp.sqrt(2 * mp.pi)) - mp.log(2))
    c_hi = round(c * 4096) / 4096
    c_lo = c - c_hi

    def mu(a):
        a = mp.mpf(a)
        return float(mp.log(mp.sqrt(2 * mp.pi) * a * mp.ncdf(-a) * mp.exp(a * a / 2)))

    a = nodes(3.0, 14.5)
    y = np.array([mu(t) for t in a]) - c_lo
    e, N, D = rational(a * a, y, np.ones(len(a)), list(range(0, 4)), 3)
    N32, D32 = f32(N), f32(D)
    aa = np.linspace(3.0, 14.5, 20001)
    val = np.polyval(N32[::-1], aa * aa) / np.polyval(D32[::-1], aa * aa)
    err = np.abs(val - (np.array([mu(t) for t in aa]) - c_lo)).max()
    print(f'// FAR: Λ(a) = N(a²)/D(a²) on [3, 14.5], C_HI = {c_hi!r} ({round(c_hi * 4096)}/4096): '
          f'abs error {err:.3g} (2^{np.log2(err):.1f})')
    print(fmt32('FAR_N', enumerate(N32)))
    print(fmt32('FAR_D', list(enumerate(D32))[1:]))


def exp32_short():
    # e^-r = 1 - r + r²·s(r), s of degree 3 (gelu_erf_fast)
    R = 0.36
    r = nodes(-R, R)
    target = np.array([float((mp.exp(-t) - 1 + t) / (t * t)) for t in r])
    e, c = lawson(r[:, None] ** np.arange(4), target, r * r / np.exp(-r))
    print(f'// exp32 short: rel error {e:.3g} (2^{np.log2(e):.1f})')
    print(fmt32('EXP3_S', enumerate(f32(c))))


if __name__ == '__main__':
    exp32()
    exp64()
    lam('GELU', gelu_logS, [0.5])
    lam('GTANH', tanh_logS, [m / 64 for m in range(16, 80)], num=5, den=5, center=1.5)
    erfc64()
    gelu_far()
    exp32_short()
    lam('GFAST', gelu_logS, [0.5], a_max=4.5, num=3, den=3)
