// The epilogue: accumulators (bias already in them) go to y, clipped to the valid columns; then, over
// rows just written, while they are in L1/L2: the activation, and either a residual added or, for a
// gated MLP, act(gate) ⊙ up written to the hidden layer.
//
// Why not activate the registers before the store: V8 (x64) treats every xmm register as clobbered
// by a call, and a call anywhere after the k loop (an activation too big to inline, GELU) makes its
// register allocator spill all eight accumulators inside the k loop, every iteration: −40% measured.
// Inlining the activation at every store instead costs code size ×32 and, for GELU, the same
// spills from register pressure. Storing first leaves no vector live across the call; re-reading
// the rows from cache costs one load and one store per four outputs.
import { Activation } from '../activations';
import { add, gelu, gelu10, geluErfFast, geluTanh, leakyRelu, multiply, quickGelu, relu, sigmoid, silu, tanh } from '../kernels';

/** Stores the first `lanes` (1 … 3) floats of v: the right edge of y. */
@inline function storePartial(dst: usize, v: v128, lanes: i32): void {
  v128.store32_lane(dst, v, 0);
  if (lanes > 1) v128.store32_lane(dst, v, 1, 4);
  if (lanes > 2) v128.store32_lane(dst, v, 2, 8);
}

/** Stores accumulator `vec` (columns 4·vec … 4·vec+3) of a tile row, clipped to nc valid columns. */
@inline export function storeVector(row: usize, vec: i32, c: v128, nc: i32): void {
  const col = vec << 2;
  if (nc > col) {
    const dst = row + (<usize>col << 2);
    if (nc >= col + 4) v128.store(dst, c);
    else storePartial(dst, c, nc - col);
  }
}

/**
 * y[i] = act(y[i]) for i < n, in place, by the elementwise kernel of that activation: the GEMM calls
 * it on rows it has just finished, still in L1/L2, so the activation runs at the elementwise kernels'
 * speed (their unrolled, path-splitting loops) and gives the same bits as calling them afterwards.
 */
export function activateRows(y: usize, n: i32, act: i32, param: f32): void {
  switch (act) {
    case Activation.Relu: relu(y, y, n); break;
    case Activation.LeakyRelu: leakyRelu(y, y, n, param); break;
    case Activation.Gelu: gelu(y, y, n); break;
    case Activation.Gelu10: gelu10(y, y, n); break;
    case Activation.GeluTanh: geluTanh(y, y, n); break;
    case Activation.GeluErfFast: geluErfFast(y, y, n); break;
    case Activation.Sigmoid: sigmoid(y, y, n); break;
    case Activation.Tanh: tanh(y, y, n); break;
    case Activation.Silu: silu(y, y, n); break;
    case Activation.QuickGelu: quickGelu(y, y, n); break;
  }
}

/**
 * int8 panels (weights.ts): y[r, c] = bias[c] + scale[c] · (unit · y[r, c]) over `rows` finished rows
 * from row0, the tile's sums of x·q in the units of its format (unit: 2^-24 for sums of q·2^24, else 1)
 * becoming x·(q·scale) + b; panel j's head (bias, then scales) lies j·ldb bytes after packed. The power
 * of two is exact, then a multiply and an add in both builds: two roundings, the γ(K+2) bound.
 */
export function dequantizeRows(y: usize, row0: i32, rows: i32, outF: i32, packed: usize, ldb: usize, unit: f32): void {
  const ldy = <usize>outF << 2;
  const full = outF >> 3;
  const units = f32x4.splat(unit);
  for (let r = 0, row = y + <usize>row0 * ldy; r < rows; r++, row += ldy) {
    let head = packed;
    let out = row;
    for (let j = 0; j < full; j++, head += ldb, out += 32) {
      v128.store(out, f32x4.add(v128.load(head), f32x4.mul(v128.load(head, 32), f32x4.mul(v128.load(out), units))));
      v128.store(out, f32x4.add(v128.load(head, 16), f32x4.mul(v128.load(head, 48), f32x4.mul(v128.load(out, 16), units))), 16);
    }
    for (let c = 0; c < (outF & 7); c++) {
      const at = out + (<usize>c << 2);
      store<f32>(at, load<f32>(head + (<usize>c << 2)) + load<f32>(head + 32 + (<usize>c << 2)) * (load<f32>(at) * unit));
    }
  }
}

/**
 * What happens to `rows` finished rows of y (outF floats each) starting at row `row0`:
 * - plain (hidden = 0): y = act(y), then y += residual (when extra ≠ 0: the residual's first row,
 *   outF floats a row), in that order: act(x·Wᵀ + b) + r, each step rounded as PyTorch rounds it;
 * - gated (hidden > 0): y holds [gate | up] per row, each half outF / 2 floats (hidden of them valid):
 *   extra[r, j] = act(gate[r, j]) · up[r, j] for j < hidden, the hidden layer (hidden floats a row),
 *   with act run by its elementwise kernel on the gate half in place.
 */
export function finishRows(y: usize, row0: i32, rows: i32, outF: i32, act: i32, param: f32, extra: usize, hidden: i32): void {
  const ldy = <usize>outF << 2;
  const first = y + <usize>row0 * ldy;
  if (hidden == 0) {
    if (act != 0) activateRows(first, rows * outF, act, param);
    if (extra != 0) add(first, extra + <usize>row0 * ldy, first, rows * outF);
    return;
  }
  const half = ldy >> 1;
  const ldh = <usize>hidden << 2;
  let h = extra + <usize>row0 * ldh;
  for (let r = 0, g = first; r < rows; r++, g += ldy, h += ldh) {
    if (act != 0) activateRows(g, hidden, act, param);
    multiply(g, g + half, h, hidden);
  }
}
