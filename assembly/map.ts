// The elementwise loops every activation shares. `Op` is a field-less class whose methods are
// inlined into the loop: `changetype<Op>(0)` names the class without allocating an instance.
// A tail of n % 4 elements goes through the same vector code via a 16-byte scratch, so the last
// elements get bit-identical results and nothing past the buffers is read or written.

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
    memory.copy(tail, x + body, rest);
    memory.copy(tail2, dy + body, rest);
    v128.store(tail, op.backward(v128.load(tail), v128.load(tail2), p));
    memory.copy(dx + body, tail, rest);
  }
}
