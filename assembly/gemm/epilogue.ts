// The tile epilogue: accumulators (bias already in them) go to y, clipped to the valid columns;
// then the activation runs over the tile just written, while it is in L1.
//
// Why not activate the registers before the store: V8 (x64) treats every xmm register as clobbered
// by a call, and a call anywhere after the k loop (an activation too big to inline, GELU) makes its
// register allocator spill all eight accumulators inside the k loop, every iteration: −40% measured.
// Inlining the activation at every store instead costs code size ×32 and, for GELU, the same
// spills from register pressure. Storing first leaves no vector live across the call; re-reading
// the tile from L1 costs one load and one store per four outputs.
import { activate } from '../activations';

const tail = memory.data(16, 16);

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
 * y[r, c] = activate(act, y[r, c], param) for r < rows, c < cols (rows ldy bytes apart). A last
 * partial vector goes through a zeroed 16-byte scratch, so nothing past the columns is read or
 * written. Vectors group columns 4c … 4c+3 of each row, as the elementwise kernels do on one row.
 */
export function activateTile(y: usize, ldy: usize, rows: i32, cols: i32, act: i32, param: f32): void {
  const p = f32x4.splat(param);
  for (let r = 0; r < rows; r++, y += ldy) {
    for (let c = 0; c < cols; c += 4) {
      const at = y + (<usize>c << 2);
      const bytes = <usize>min(4, cols - c) << 2;
      const at16 = bytes == 16 ? at : tail;
      if (bytes < 16) {
        // Zeros in the unused lanes: activations may pick a path per vector from all four lanes,
        // so stale lanes would make the valid ones depend on history.
        v128.store(tail, f32x4.splat(0));
        memory.copy(tail, at, bytes);
      }
      v128.store(at16, activate(act, v128.load(at16), p));
      if (bytes < 16) memory.copy(at, tail, bytes);
    }
  }
}
