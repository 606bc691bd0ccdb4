// The elementwise loops every activation shares. `Op` is a field-less class whose methods are
// inlined into the loop: `changetype<Op>(0)` names the class without allocating an instance.
// A tail of n % 4 elements goes through the same vector code via a 16-byte scratch, so the last
// elements get bit-identical results and nothing past the buffers is read or written. The scratch's
// unused lanes are zeroed first: kernels that pick a path per vector must not see stale data.

const tail = memory.data(16, 16);
const tail2 = memory.data(16, 16);

/** y[i] = Op.forward(x[i], p) for i < n; y may equal x. */
@inline export function mapForward<Op>(x: usize, y: usize, n: i32, p: v128): void {
  const op = changetype<Op>(0);
  const body = <usize>(n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    v128.store(y + i, op.forward(v128.load(x + i), p));
  }
  const rest = <usize>(n & 3) << 2;
  if (rest) {
    v128.store(tail, f32x4.splat(0));
    memory.copy(tail, x + body, rest);
    v128.store(tail, op.forward(v128.load(tail), p));
    memory.copy(y + body, tail, rest);
  }
}

/** dx[i] = dy[i] · Op′(x[i]) for i < n; dx may equal x or dy. */
@inline export function mapBackward<Op>(x: usize, dy: usize, dx: usize, n: i32, p: v128): void {
  const op = changetype<Op>(0);
  const body = <usize>(n & ~3) << 2;
  for (let i: usize = 0; i < body; i += 16) {
    v128.store(dx + i, op.backward(v128.load(x + i), v128.load(dy + i), p));
  }
  const rest = <usize>(n & 3) << 2;
  if (rest) {
    v128.store(tail, f32x4.splat(0));
    v128.store(tail2, f32x4.splat(0));
    memory.copy(tail, x + body, rest);
    memory.copy(tail2, dy + body, rest);
    v128.store(tail, op.backward(v128.load(tail), v128.load(tail2), p));
    memory.copy(dx + body, tail, rest);
  }
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
    memory.copy(tail, x + body, rest);
    v128.store(tail, op.forward(v128.load(tail), p));
    memory.copy(y + body, tail, rest);
  }
}

/** Far vectors from offset i until the first near one (or end); returns where it stopped. */
function farRun<Op>(x: usize, y: usize, i: usize, end: usize): usize {
  const op = changetype<Op>(0);
  do {
    v128.store(y + i, op.far(v128.load(x + i)));
    i += 16;
  } while (i < end && !op.isNear(v128.load(x + i)));
  return i;
}
