// The elementwise loops every activation shares. `Op` is a field-less class whose methods are
// inlined into the loop: `changetype<Op>(0)` names the class without allocating an instance.
// A tail of n % 4 elements goes through the same vector code via a 16-byte scratch, so the last
// elements get bit-identical results and nothing past the buffers is read or written. The scratch's
// unused lanes are zeroed first: kernels that pick a path per vector must not see stale data. The
// scratch is this thread's (scratch.ts): threads run tails at the same time.
import { tailScratch } from './scratch';

/** y[i] = Op.forward(x[i], p) for i < n; y may equal x. */
@inline export function mapForward<Op>(x: usize, y: usize, n: i32, p: v128): void {
  const op = changetype<Op>(0);
  const body = <usize>(n & ~3) << 2;
  // Four independent vectors per step: the smooth activations are long dependency chains, and
  // interleaving four of them is what lets the out-of-order core fill its pipes (1.5-2x here).
  const body4 = body & ~63;
  let i: usize = 0;
  for (; i < body4; i += 64) {
    const a = op.forward(v128.load(x + i), p);
    const b = op.forward(v128.load(x + i, 16), p);
    const c = op.forward(v128.load(x + i, 32), p);
    const d = op.forward(v128.load(x + i, 48), p);
    v128.store(y + i, a);
    v128.store(y + i, b, 16);
    v128.store(y + i, c, 32);
    v128.store(y + i, d, 48);
  }
  for (; i < body; i += 16) {
    v128.store(y + i, op.forward(v128.load(x + i), p));
  }
  const rest = <usize>(n & 3) << 2;
  if (rest) {
    const tail = tailScratch;
    v128.store(tail, f32x4.splat(0));
    memory.copy(tail, x + body, rest);
    v128.store(tail, op.forward(v128.load(tail), p));
    memory.copy(y + body, tail, rest);
  }
}

/** y[i] = Op.combine(a[i], b[i], p) for i < n; y may equal a or b. */
@inline export function mapBinary<Op>(a: usize, b: usize, y: usize, n: i32, p: v128): void {
  const op = changetype<Op>(0);
  const body = <usize>(n & ~3) << 2;
  const body4 = body & ~63; // four vectors per step, as in mapForward
  let i: usize = 0;
  for (; i < body4; i += 64) {
    const r0 = op.combine(v128.load(a + i), v128.load(b + i), p);
    const r1 = op.combine(v128.load(a + i, 16), v128.load(b + i, 16), p);
    const r2 = op.combine(v128.load(a + i, 32), v128.load(b + i, 32), p);
    const r3 = op.combine(v128.load(a + i, 48), v128.load(b + i, 48), p);
    v128.store(y + i, r0);
    v128.store(y + i, r1, 16);
    v128.store(y + i, r2, 32);
    v128.store(y + i, r3, 48);
  }
  for (; i < body; i += 16) {
    v128.store(y + i, op.combine(v128.load(a + i), v128.load(b + i), p));
  }
  const rest = <usize>(n & 3) << 2;
  if (rest) {
    const tail = tailScratch;
    const tail2 = tailScratch + 16;
    v128.store(tail, f32x4.splat(0));
    v128.store(tail2, f32x4.splat(0));
    memory.copy(tail, a + body, rest);
    memory.copy(tail2, b + body, rest);
    v128.store(tail, op.combine(v128.load(tail), v128.load(tail2), p));
    memory.copy(y + body, tail, rest);
  }
}

/** An activation's backward as a binary map: combine(x, dy) = dy · Op′(x). */
@final @unmanaged class GradientOf<Op> {
  @inline combine(x: v128, dy: v128, p: v128): v128 { return changetype<Op>(0).backward(x, dy, p); }
}

/** dx[i] = dy[i] · Op′(x[i]) for i < n; dx may equal x or dy. */
@inline export function mapBackward<Op>(x: usize, dy: usize, dx: usize, n: i32, p: v128): void {
  mapBinary<GradientOf<Op>>(x, dy, dx, n, p);
}

/**
 * mapForward for an Op with a cheap common path: `Op.isNear(v)` says whether all four lanes of v
 * may take `Op.near(v)`; the others take `Op.far(v)` (which must give the same bits as near on the
 * lanes near accepts). Runs of far vectors go to a separate, not inlined, loop (farRun) so that the
 * near loop keeps its registers; the tail goes through `Op.forward`.
 */
@inline export function mapForwardSplit<Op>(x: usize, y: usize, n: i32, p: v128): void {
  const op = changetype<Op>(0);
  const body = <usize>(n & ~3) << 2;
  let i: usize = 0;
  const body4 = body & ~63;
  while (i < body4) {
    const v = v128.load(x + i);
    const u = v128.load(x + i, 16);
    const v2 = v128.load(x + i, 32);
    const u2 = v128.load(x + i, 48);
    if (op.isNear2(v, u) && op.isNear2(v2, u2)) {
      const a = op.near(v);
      const b = op.near(u);
      const c = op.near(v2);
      const d = op.near(u2);
      v128.store(y + i, a);
      v128.store(y + i, b, 16);
      v128.store(y + i, c, 32);
      v128.store(y + i, d, 48);
      i += 64;
    } else {
      i = farRun<Op>(x, y, i, body);
    }
  }
  while (i < body) {
    const v = v128.load(x + i);
    if (op.isNear(v)) {
      v128.store(y + i, op.near(v));
      i += 16;
    } else {
      i = farRun<Op>(x, y, i, body);
    }
  }
  const rest = <usize>(n & 3) << 2;
  if (rest) {
    const tail = tailScratch;
    memory.copy(tail, x + body, rest);
    v128.store(tail, op.forward(v128.load(tail), p));
    memory.copy(y + body, tail, rest);
  }
}

/** Far vectors from offset i until the first near one (or end); returns where it stopped. */
function farRun<Op>(x: usize, y: usize, i: usize, end: usize): usize {
  const op = changetype<Op>(0);
  // four vectors per step, like the near loop: independent work for the out-of-order core
  while (i + 64 <= end) {
    const a = op.far(v128.load(x + i));
    const b = op.far(v128.load(x + i, 16));
    const c = op.far(v128.load(x + i, 32));
    const d = op.far(v128.load(x + i, 48));
    v128.store(y + i, a);
    v128.store(y + i, b, 16);
    v128.store(y + i, c, 32);
    v128.store(y + i, d, 48);
    i += 64;
    if (i + 64 <= end && op.isNear2(v128.load(x + i), v128.load(x + i, 16)) &&
      op.isNear2(v128.load(x + i, 32), v128.load(x + i, 48))) return i;
  }
  while (i < end) {
    v128.store(y + i, op.far(v128.load(x + i)));
    i += 16;
  }
  return i;
}
