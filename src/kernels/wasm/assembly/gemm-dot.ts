// C = A·Bᵀ when the sum is long and C is small (Conv2D's dW = dY·colsᵀ: 30×25 outputs, k = N·outH·outW
// = 57,600): rows of A and of B are both contiguous along k, so each output is a dot product computed
// straight from them, with no packing (which would cost as much as the arithmetic here).
//
// Every output is computed the same way, whatever the tile, block or thread that computes it:
//   four f32 lanes l = 0..3 accumulate a[p]·b[p] for p ≡ l (mod 4), p < k4 = k − k mod 4, in order;
//   s = ((l0 + l1) + (l2 + l3)) + t, where t accumulates the last k mod 4 products in order from 0;
//   C = accumulate ? C + s : s.
// The lanes persist in a workspace between k-blocks (stored exactly), so blocking changes nothing.

/** k-block: a 2×4 tile reads 6 rows of KD floats (24 KB): they stay in L1 across the tile's work. */
const KD: i32 = 1024;
/**
 * Largest k-block of A (rows × KD floats) walked against 4 rows of B at a time, i.e. kept in L2 (1 MB on
 * the development machine's EPYC, 2 MB on recent Xeons) while B streams once. Larger A blocks take the
 * other order (A rows outer). The order does not change any output's instruction sequence.
 */
const A_BLOCK_BYTES: usize = 256 << 10;

/**
 * C[i0..i1) × [j0..j1) (+)= A·Bᵀ, A [m × k] with rows `lda` floats apart, B [n × k] rows `ldb` apart,
 * C row-major with n columns. `ws` holds 16 bytes of lanes per output of the rectangle.
 */
export function gemmDot(
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, n: i32, k: i32,
  i0: i32, i1: i32, j0: i32, j1: i32, accumulate: bool, ws: usize,
): void {
  if (i0 >= i1 || j0 >= j1) return;
  const width = j1 - j0;
  memory.fill(ws, 0, (<usize>(i1 - i0) * <usize>width) << 4);
  const k4 = k & ~3;
  const aRow = <usize>lda << 2, bRow = <usize>ldb << 2;
  for (let pc = 0; pc < k4; pc += KD) {
    const kd = min(KD, k4 - pc);
    const off = <usize>pc << 2;
    const j4 = j0 + ((width >> 2) << 2);
    const laneRow = <usize>width << 4;
    const iPairs = i0 + (((i1 - i0) >> 1) << 1);
    if (<usize>(i1 - i0) * (<usize>kd << 2) <= A_BLOCK_BYTES) {
      // The A block fits in L2: 4 rows of B at a time (in L1) against every row of A. Each B block is then
      // read from memory once — B is the big operand here (Conv2D's column matrix, megabytes).
      for (let j = j0; j < j4; j += 4) {
        const bj = b + <usize>j * bRow + off;
        const lanesJ = ws + (<usize>(j - j0) << 4);
        for (let i = i0; i < iPairs; i += 2) {
          const a0 = a + <usize>i * aRow + off;
          dot2x4(a0, a0 + aRow, bj, bRow, kd, lanesJ + <usize>(i - i0) * laneRow, laneRow);
        }
        if (iPairs < i1) dot1x4(a + <usize>iPairs * aRow + off, bj, bRow, kd, lanesJ + <usize>(iPairs - i0) * laneRow);
      }
    } else {
      for (let i = i0; i < iPairs; i += 2) {
        const a0 = a + <usize>i * aRow + off;
        const lanes = ws + <usize>(i - i0) * laneRow;
        for (let j = j0; j < j4; j += 4) {
          dot2x4(a0, a0 + aRow, b + <usize>j * bRow + off, bRow, kd, lanes + (<usize>(j - j0) << 4), laneRow);
        }
      }
      if (iPairs < i1) {
        const ai = a + <usize>iPairs * aRow + off;
        const lanes = ws + <usize>(iPairs - i0) * laneRow;
        for (let j = j0; j < j4; j += 4) dot1x4(ai, b + <usize>j * bRow + off, bRow, kd, lanes + (<usize>(j - j0) << 4));
      }
    }
    // The last n mod 4 columns: eight rows at a time, so that eight independent sums hide the add latency.
    for (let j = j4; j < j1; j++) {
      const bj = b + <usize>j * bRow + off;
      const lanes = ws + (<usize>(j - j0) << 4);
      let r = i0;
      for (; r + 8 <= i1; r += 8) dot8x1(a + <usize>r * aRow + off, aRow, bj, kd, lanes + <usize>(r - i0) * laneRow, laneRow);
      for (; r < i1; r++) dot1(a + <usize>r * aRow + off, bj, kd, lanes + <usize>(r - i0) * laneRow);
    }
  }
  // Fold the lanes, add the tail, write C.
  for (let i = i0; i < i1; i++) {
    const ai = a + <usize>i * aRow;
    for (let j = j0; j < j1; j++) {
      const l = ws + ((<usize>(i - i0) * <usize>width + <usize>(j - j0)) << 4);
      const v = v128.load(l);
      let s = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
      const bj = b + <usize>j * bRow;
      let t: f32 = 0;
      for (let p = k4; p < k; p++) t += load<f32>(ai + (<usize>p << 2)) * load<f32>(bj + (<usize>p << 2));
      s += t;
      const cp = c + ((<usize>i * <usize>n + <usize>j) << 2);
      store<f32>(cp, accumulate ? load<f32>(cp) + s : s);
    }
  }
}

/**
 * Lanes of a 2×4 tile (rows a0, a1 of A; 4 rows of B from b0, `bRow` bytes apart) += kd products each.
 * Pointers advance once per two steps and loads use immediate offsets: in wasm every address is an
 * i32 add V8 cannot fold into the x64 addressing mode, and those adds compete with the float ports.
 */
// @ts-ignore: decorator
@inline function dot2x4(a0: usize, a1: usize, b0: usize, bRow: usize, kd: i32, lanes: usize, laneRow: usize): void {
  let b1 = b0 + bRow, b2 = b1 + bRow, b3 = b2 + bRow;
  const l1 = lanes + laneRow;
  let s00 = v128.load(lanes), s01 = v128.load(lanes, 16), s02 = v128.load(lanes, 32), s03 = v128.load(lanes, 48);
  let s10 = v128.load(l1), s11 = v128.load(l1, 16), s12 = v128.load(l1, 32), s13 = v128.load(l1, 48);
  let steps = kd >> 2;
  for (; steps >= 2; steps -= 2) {
    let x0 = v128.load(a0), x1 = v128.load(a1);
    let y = v128.load(b0);
    s00 = madd(s00, x0, y);
    s10 = madd(s10, x1, y);
    y = v128.load(b1);
    s01 = madd(s01, x0, y);
    s11 = madd(s11, x1, y);
    y = v128.load(b2);
    s02 = madd(s02, x0, y);
    s12 = madd(s12, x1, y);
    y = v128.load(b3);
    s03 = madd(s03, x0, y);
    s13 = madd(s13, x1, y);
    x0 = v128.load(a0, 16); x1 = v128.load(a1, 16);
    y = v128.load(b0, 16);
    s00 = madd(s00, x0, y);
    s10 = madd(s10, x1, y);
    y = v128.load(b1, 16);
    s01 = madd(s01, x0, y);
    s11 = madd(s11, x1, y);
    y = v128.load(b2, 16);
    s02 = madd(s02, x0, y);
    s12 = madd(s12, x1, y);
    y = v128.load(b3, 16);
    s03 = madd(s03, x0, y);
    s13 = madd(s13, x1, y);
    a0 += 32; a1 += 32; b0 += 32; b1 += 32; b2 += 32; b3 += 32;
  }
  // The odd last step repeats the loop's first half on purpose: immediate offsets need constants, and a
  // helper taking the offset would leave the fold to Binaryen in the hottest loop of Conv2D's dW.
  if (steps > 0) {
    const x0 = v128.load(a0), x1 = v128.load(a1);
    let y = v128.load(b0);
    s00 = madd(s00, x0, y);
    s10 = madd(s10, x1, y);
    y = v128.load(b1);
    s01 = madd(s01, x0, y);
    s11 = madd(s11, x1, y);
    y = v128.load(b2);
    s02 = madd(s02, x0, y);
    s12 = madd(s12, x1, y);
    y = v128.load(b3);
    s03 = madd(s03, x0, y);
    s13 = madd(s13, x1, y);
  }
  v128.store(lanes, s00); v128.store(lanes, s01, 16); v128.store(lanes, s02, 32); v128.store(lanes, s03, 48);
  v128.store(l1, s10); v128.store(l1, s11, 16); v128.store(l1, s12, 32); v128.store(l1, s13, 48);
}

/** One output's lanes += kd products (the edges of the 2×4 tiling). */
// @ts-ignore: decorator
@inline function dot1(a: usize, b: usize, kd: i32, lanes: usize): void {
  let s = v128.load(lanes);
  for (let p: usize = 0, end = <usize>kd << 2; p < end; p += 16) s = madd(s, v128.load(a + p), v128.load(b + p));
  v128.store(lanes, s);
}

/** Lanes of 1 row × 4 columns (B rows `bRow` bytes apart, lanes contiguous). */
// @ts-ignore: decorator
@inline function dot1x4(a: usize, b0: usize, bRow: usize, kd: i32, lanes: usize): void {
  const b1 = b0 + bRow, b2 = b1 + bRow, b3 = b2 + bRow;
  let s0 = v128.load(lanes), s1 = v128.load(lanes, 16), s2 = v128.load(lanes, 32), s3 = v128.load(lanes, 48);
  for (let p: usize = 0, end = <usize>kd << 2; p < end; p += 16) {
    const x = v128.load(a + p);
    s0 = madd(s0, x, v128.load(b0 + p));
    s1 = madd(s1, x, v128.load(b1 + p));
    s2 = madd(s2, x, v128.load(b2 + p));
    s3 = madd(s3, x, v128.load(b3 + p));
  }
  v128.store(lanes, s0); v128.store(lanes, s1, 16); v128.store(lanes, s2, 32); v128.store(lanes, s3, 48);
}

/** Lanes of 8 rows (A rows `aRow` bytes apart, lanes `laneRow` apart) × 1 column. */
// @ts-ignore: decorator
@inline function dot8x1(a: usize, aRow: usize, b: usize, kd: i32, lanes: usize, laneRow: usize): void {
  let s0 = v128.load(lanes), s1 = v128.load(lanes + laneRow), s2 = v128.load(lanes + 2 * laneRow), s3 = v128.load(lanes + 3 * laneRow);
  let s4 = v128.load(lanes + 4 * laneRow), s5 = v128.load(lanes + 5 * laneRow), s6 = v128.load(lanes + 6 * laneRow), s7 = v128.load(lanes + 7 * laneRow);
  const a1 = a + aRow, a2 = a1 + aRow, a3 = a2 + aRow, a4 = a3 + aRow, a5 = a4 + aRow, a6 = a5 + aRow, a7 = a6 + aRow;
  for (let p: usize = 0, end = <usize>kd << 2; p < end; p += 16) {
    const y = v128.load(b + p);
    s0 = madd(s0, v128.load(a + p), y);
    s1 = madd(s1, v128.load(a1 + p), y);
    s2 = madd(s2, v128.load(a2 + p), y);
    s3 = madd(s3, v128.load(a3 + p), y);
    s4 = madd(s4, v128.load(a4 + p), y);
    s5 = madd(s5, v128.load(a5 + p), y);
    s6 = madd(s6, v128.load(a6 + p), y);
    s7 = madd(s7, v128.load(a7 + p), y);
  }
  v128.store(lanes, s0); v128.store(lanes + laneRow, s1); v128.store(lanes + 2 * laneRow, s2); v128.store(lanes + 3 * laneRow, s3);
  v128.store(lanes + 4 * laneRow, s4); v128.store(lanes + 5 * laneRow, s5); v128.store(lanes + 6 * laneRow, s6); v128.store(lanes + 7 * laneRow, s7);
}

// madd is also gemm.ts's, kept in each GEMM file on purpose: @inline makes it the same instruction either
// way, and each file's rounding contract (its header) is stated next to the madd it relies on.
/**
 * acc + a·b. In the plain build an f32 multiply then an f32 add; in the relaxed-SIMD build
 * (kernels-fma.wasm, the default where the engine has relaxed SIMD; NN_WASM_FMA=0|1 pins one) a fused
 * multiply-add where the CPU has one (relaxed_madd may also round twice: the same on every call).
 * Either way one instruction sequence per element, whatever the tiling or thread split.
 */
// @ts-ignore: decorator
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}
