// Whether an array holds only finite floats: fit's divergence guard, once per step over every gradient.

const EXPONENT_BITS: i32 = 0x7f800000;

/**
 * 1 when none of the n floats at p is NaN or ±Infinity (the floats whose exponent bits are all ones),
 * else 0. Integer lane operations of one cycle each, so the pass runs at the speed of the loads — a
 * float64 sum of squares, the other way to tell, waits ~4 cycles on every addition.
 */
export function allFinite(p: usize, n: i32): i32 {
  const exponent = i32x4.splat(EXPONENT_BITS);
  let bad = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const off = <usize>i << 2;
    const a = i32x4.eq(v128.and(v128.load(p + off), exponent), exponent);
    const b = i32x4.eq(v128.and(v128.load(p + off, 16), exponent), exponent);
    bad = v128.or(bad, v128.or(a, b));
  }
  for (; i + 4 <= n; i += 4) {
    bad = v128.or(bad, i32x4.eq(v128.and(v128.load(p + (<usize>i << 2)), exponent), exponent));
  }
  if (v128.any_true(bad)) return 0;
  for (; i < n; i++) {
    if ((load<i32>(p + (<usize>i << 2)) & EXPONENT_BITS) == EXPONENT_BITS) return 0;
  }
  return 1;
}
