// The activations on f32x4 lanes. Each is a field-less class with `forward(x, p)` and
// `backward(x, dy, p)` (= dy·f′(x)); `p` carries a runtime parameter (the leaky slope).
// kernels.ts turns each into exported loops; the GEMM epilogue applies them by id.

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

/** Activation ids as layers pass them to the GEMM epilogue; exported as globals `Activation.Relu`, … */
export enum Activation { Identity = 0, Relu = 1, LeakyRelu = 2 }

/** One activation applied to a vector by id: the GEMM epilogue's hook (`param` is the leaky slope). */
@inline export function activate(id: i32, v: v128, param: v128): v128 {
  switch (id) {
    case Activation.Relu: return changetype<Relu>(0).forward(v, param);
    case Activation.LeakyRelu: return changetype<LeakyRelu>(0).forward(v, param);
    default: return v;
  }
}
