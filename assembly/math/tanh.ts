// tanh on f64x2 lanes: (1 - e)/(1 + e), e = e^-2|x|, sign restored. In float64 the subtraction
// 1 - e loses at most log2(1/(2|x|)) of 53 bits, harmless for |x| ≥ 2^-12; below that tanh(x)
// rounds to x in float32 (tanh x = x - x³/3 + …) and x is returned, which also keeps ±0.
import { exp64 } from './exp';

const ONE64 = f64x2.splat(1.0);
const TINY64 = f64x2.splat(0.000244140625); // 2^-12
const SIGN64 = i64x2.splat(0x8000000000000000);

@inline export function tanh64(x: v128): v128 {
  const a = f64x2.abs(x);
  const e = exp64(f64x2.mul(a, f64x2.splat(-2.0)));
  const t = f64x2.div(f64x2.sub(ONE64, e), f64x2.add(ONE64, e));
  const signed = v128.or(t, v128.and(x, SIGN64));
  return v128.bitselect(x, signed, f64x2.lt(a, TINY64));
}
