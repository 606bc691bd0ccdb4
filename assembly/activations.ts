// The activations on f32x4 lanes. Each is a field-less class with `forward(x, p)` and
// `backward(x, dy, p)` (= dy·f′(x)); `p` carries a runtime parameter (the leaky slope).
// kernels.ts turns each into exported loops; the GEMM epilogue applies them by id.

import { geluFar, geluErfFastF32, geluNear, phiTailRatio64 } from './math/erf';
import { exp64 } from './math/exp';
import {
  geluTanhIsNear, geluTanhIsNear2, geluTanhNearLanes, geluTanhNear, sigmoid64, sigmoidGrad64, tanhGrad64, xSigmoid64, xSigmoidGrad64,
} from './math/sigmoid';
import { tanh64 } from './math/tanh';
import { hi64, lo64, narrow } from './math/wide';
import { madd64 } from './simd';

export const ZERO = f32x4.splat(0);

// NaN inputs come out as the same NaN, bit for bit: the masks below select x itself for NaN lanes,
// because arithmetic on a NaN may flip its sign differently on different engines.
@inline function positiveOrNaN(x: v128): v128 { return v128.or(f32x4.gt(x, ZERO), f32x4.ne(x, x)); }

@final @unmanaged export class Relu {
  // x < 0 ? 0 : x, as PyTorch: -0 stays -0 and NaN stays NaN.
  @inline forward(x: v128, p: v128): v128 { return v128.andnot(x, f32x4.lt(x, ZERO)); }
  // PyTorch's threshold_backward: x <= 0 ? 0 : dy (the gradient at 0 is 0; a NaN x passes dy through).
  @inline backward(x: v128, dy: v128, p: v128): v128 { return v128.andnot(dy, f32x4.le(x, ZERO)); }
}

@final @unmanaged export class LeakyRelu {
  // x > 0 ? x : x·slope, so -0 stays -0.
  @inline forward(x: v128, slope: v128): v128 {
    return v128.bitselect(x, f32x4.mul(x, slope), positiveOrNaN(x));
  }
  // x > 0 ? dy : dy·slope, as PyTorch (a NaN x takes the slope); a NaN dy passes through.
  @inline backward(x: v128, dy: v128, slope: v128): v128 {
    return v128.bitselect(dy, f32x4.mul(dy, slope), v128.or(f32x4.gt(x, ZERO), f32x4.ne(dy, dy)));
  }
}

// ---- The smooth activations. Accuracy contracts (DESIGN.md): ≤ 2 ulp forward, ≤ 4 ulp backward
// (or ≤ 2^-24·max(1, |x|) absolute where f' crosses 0), over every finite float32, in both builds.
// `gelu` and `gelu_tanh` are float32 (math/erf.ts, math/sigmoid.ts): a cheap path for groups of
// vectors whose lanes all lie in the common range (mapForwardSplit in map.ts) and, for gelu, a
// lane-by-lane one for the rest; gelu_tanh's rest, sigmoid, tanh, silu and quick_gelu evaluate in
// float64 and round once. Backward kernels evaluate dy·f'(x) in float64.

const GELU_NEAR = f32x4.splat(-3.0);
const ZERO64 = f64x2.splat(0.0);
const ONE64 = f64x2.splat(1.0);
const HALF64 = f64x2.splat(0.5);
const INV_SQRT_2PI = f64x2.splat(0.3989422804014327);
const GELU_CLAMP = f64x2.splat(15.0); // |gelu(-15)| ≈ 5e-50: rounds to -0; gelu'(±15) rounds to 1 / 0
const TANH_K1 = f64x2.splat(1.5957691216057308); // 2·√(2/π)
const TANH_K3 = f64x2.splat(0.07135481627260025); // 2·√(2/π)·0.044715
const TANH_K3X3 = f64x2.splat(0.21406444881780076); // 3·TANH_K3
const TANH_CLAMP = f64x2.splat(12.0); // 2u(12) ≈ 142: beyond, gelu_tanh(x) is x or -0
const SILU_CLAMP = f64x2.splat(200.0);
const QUICK_K = f64x2.splat(1.702);
const QUICK_CLAMP = f64x2.splat(100.0);

@inline function clamp64(x: v128, limit: v128): v128 {
  return f64x2.pmax(f64x2.pmin(x, limit), f64x2.neg(limit));
}

/** gelu'(x) = Φ(x) + x·φ(x). */
@inline function geluGrad64(x: v128): v128 {
  const c = clamp64(x, GELU_CLAMP);
  const a = f64x2.abs(c);
  const e = exp64(f64x2.mul(f64x2.mul(a, a), f64x2.neg(HALF64)));
  const q = f64x2.mul(e, phiTailRatio64(a)); // Φ(-a)
  const cdf = v128.bitselect(f64x2.sub(ONE64, q), q, f64x2.ge(c, ZERO64));
  return madd64(c, f64x2.mul(e, INV_SQRT_2PI), cdf);
}

/** 2u(x) = 2√(2/π)·(x + 0.044715x³) for an already clamped x. */
@inline function tanhArg64(c: v128): v128 {
  return f64x2.mul(c, madd64(TANH_K3, f64x2.mul(c, c), TANH_K1));
}

@inline function geluTanh64(x: v128): v128 {
  const a = f64x2.pmin(f64x2.abs(x), TANH_CLAMP);
  return xSigmoid64(x, a, tanhArg64(a));
}

@inline function geluTanhGrad64(x: v128): v128 {
  const c = clamp64(x, TANH_CLAMP);
  const m = f64x2.mul(c, madd64(TANH_K3X3, f64x2.mul(c, c), TANH_K1)); // x·(2u)'
  return xSigmoidGrad64(tanhArg64(c), m);
}

@inline function silu64(x: v128): v128 {
  const a = f64x2.pmin(f64x2.abs(x), SILU_CLAMP);
  return xSigmoid64(x, a, a);
}

@inline function siluGrad64(x: v128): v128 {
  const t = clamp64(x, SILU_CLAMP);
  return xSigmoidGrad64(t, t);
}

@inline function quickGelu64(x: v128): v128 {
  const a = f64x2.pmin(f64x2.abs(x), QUICK_CLAMP);
  return xSigmoid64(x, a, f64x2.mul(a, QUICK_K));
}

@inline function quickGeluGrad64(x: v128): v128 {
  const t = f64x2.mul(clamp64(x, QUICK_CLAMP), QUICK_K);
  return xSigmoidGrad64(t, t);
}

@final @unmanaged export class Gelu {
  /** x·Φ(x) (PyTorch approximate='none'). */
  @inline forward(x: v128, p: v128): v128 {
    if (this.isNear(x)) return geluNear(x);
    return geluFar(x);
  }
  /** Every lane ≥ -3 (so not NaN): geluNear applies; geluFar gives the same bits on those lanes. */
  @inline isNear(x: v128): bool { return i32x4.all_true(f32x4.ge(x, GELU_NEAR)); }
  @inline isNear2(x: v128, y: v128): bool { return i32x4.all_true(v128.and(f32x4.ge(x, GELU_NEAR), f32x4.ge(y, GELU_NEAR))); }
  @inline near(x: v128): v128 { return geluNear(x); }
  @inline far(x: v128): v128 { return geluFar(x); }
  @inline backward(x: v128, dy: v128, p: v128): v128 {
    return narrow(f64x2.mul(geluGrad64(lo64(x)), lo64(dy)), f64x2.mul(geluGrad64(hi64(x)), hi64(dy)));
  }
}

const GELU_10_MAX = f32x4.splat(10.0);

/** Hugging Face's gelu_10, clip(gelu(x), −10, 10). gelu ≥ −0.17, so only the upper bound binds, and in
 *  float32 gelu(x) > 10 exactly when x > 10 (above 10, Φ(x) rounds to 1). pmin keeps NaN bits. */
@inline function clip10(y: v128): v128 { return f32x4.pmin(y, GELU_10_MAX); }

@final @unmanaged export class Gelu10 {
  @inline forward(x: v128, p: v128): v128 { return clip10(changetype<Gelu>(0).forward(x, p)); }
  @inline isNear(x: v128): bool { return changetype<Gelu>(0).isNear(x); }
  @inline isNear2(x: v128, y: v128): bool { return changetype<Gelu>(0).isNear2(x, y); }
  @inline near(x: v128): v128 { return clip10(geluNear(x)); }
  @inline far(x: v128): v128 { return clip10(geluFar(x)); }
  /** gelu′(x) where the clip passes gelu through (x ≤ 10), else 0, as torch.clip's gradient. */
  @inline backward(x: v128, dy: v128, p: v128): v128 {
    return v128.andnot(changetype<Gelu>(0).backward(x, dy, p), f32x4.gt(x, GELU_10_MAX));
  }
}

@final @unmanaged export class GeluErfFast {
  /** x·Φ(x) with error ≤ max(4e-7, 2 ulp): the throughput variant, branch-free (math/erf.ts). */
  @inline forward(x: v128, p: v128): v128 { return geluErfFastF32(x); }
  @inline backward(x: v128, dy: v128, p: v128): v128 { return changetype<Gelu>(0).backward(x, dy, p); }
}

/** GeluTanh's far path, not inlined: it runs once per far vector, and inlined at each of its call
 *  sites the near path it carries would cost ≈ 5 KB of module. */
function geluTanhFar(x: v128): v128 {
  return v128.bitselect(geluTanhNear(x), narrow(geluTanh64(lo64(x)), geluTanh64(hi64(x))), geluTanhNearLanes(x));
}

@final @unmanaged export class GeluTanh {
  /** PyTorch approximate='tanh': 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) = x·σ(2u). */
  @inline forward(x: v128, p: v128): v128 {
    if (this.isNear(x)) return geluTanhNear(x);
    return this.far(x);
  }
  /** Every lane |x| ≤ 3: the float32 throughput path applies; other vectors evaluate in float64,
   *  except their lanes |x| ≤ 3, which keep the near path's bits: an element's result never depends
   *  on its neighbours, so not on the batch, the chunk or the thread that computes it. */
  @inline isNear(x: v128): bool { return geluTanhIsNear(x); }
  @inline isNear2(x: v128, y: v128): bool { return geluTanhIsNear2(x, y); }
  @inline near(x: v128): v128 { return geluTanhNear(x); }
  @inline far(x: v128): v128 { return geluTanhFar(x); }
  @inline backward(x: v128, dy: v128, p: v128): v128 {
    return narrow(f64x2.mul(geluTanhGrad64(lo64(x)), lo64(dy)), f64x2.mul(geluTanhGrad64(hi64(x)), hi64(dy)));
  }
}

@final @unmanaged export class Sigmoid {
  @inline forward(x: v128, p: v128): v128 { return narrow(sigmoid64(lo64(x)), sigmoid64(hi64(x))); }
  @inline backward(x: v128, dy: v128, p: v128): v128 {
    return narrow(f64x2.mul(sigmoidGrad64(lo64(x)), lo64(dy)), f64x2.mul(sigmoidGrad64(hi64(x)), hi64(dy)));
  }
}

@final @unmanaged export class Tanh {
  @inline forward(x: v128, p: v128): v128 { return narrow(tanh64(lo64(x)), tanh64(hi64(x))); }
  @inline backward(x: v128, dy: v128, p: v128): v128 {
    return narrow(f64x2.mul(tanhGrad64(lo64(x)), lo64(dy)), f64x2.mul(tanhGrad64(hi64(x)), hi64(dy)));
  }
}

@final @unmanaged export class Silu {
  /** x·σ(x). */
  @inline forward(x: v128, p: v128): v128 { return narrow(silu64(lo64(x)), silu64(hi64(x))); }
  @inline backward(x: v128, dy: v128, p: v128): v128 {
    return narrow(f64x2.mul(siluGrad64(lo64(x)), lo64(dy)), f64x2.mul(siluGrad64(hi64(x)), hi64(dy)));
  }
}

@final @unmanaged export class QuickGelu {
  /** x·σ(1.702x) (CLIP's QuickGELU). */
  @inline forward(x: v128, p: v128): v128 { return narrow(quickGelu64(lo64(x)), quickGelu64(hi64(x))); }
  @inline backward(x: v128, dy: v128, p: v128): v128 {
    return narrow(f64x2.mul(quickGeluGrad64(lo64(x)), lo64(dy)), f64x2.mul(quickGeluGrad64(hi64(x)), hi64(dy)));
  }
}

/** Activation ids as layers pass them to the GEMM (gemm/epilogue.ts); exported as globals `Activation.Relu`, … */
export enum Activation {
  Identity = 0, Relu = 1, LeakyRelu = 2, Gelu = 3, GeluTanh = 4, GeluErfFast = 5, Sigmoid = 6, Tanh = 7, Silu = 8,
  QuickGelu = 9, Gelu10 = 10,
}
