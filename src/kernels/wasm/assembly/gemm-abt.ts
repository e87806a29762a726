// C = A·Bᵀ when the sum is long and C is small: Conv2D's dW = dY·colsᵀ (30×25 outputs over k = N·outH·outW
// = 57,600 in SimpleConvNet). Rows of A and of B are both contiguous along k, so each output is a dot
// product computed straight from them, with no packing (which would cost as much as the arithmetic here).
//
// A register tile of outputs (3 rows of A × 3 rows of B in the FMA build, 2 × 4 in the plain one: see
// TILE_A) keeps its f32x4 accumulators in registers across a k-block and loads 6 vectors per 9 (8)
// multiply-adds. One k step per loop turn, on purpose: V8 issues all of a turn's loads before its
// arithmetic, so a 2-step unrolled 3×3 (or 2×4) turn has 12 loaded vectors live and spills accumulators to
// the stack every turn — the 2×4 kernel with that unroll this one replaces ran at ~22 GFLOP/s on the
// SimpleConvNet shape, this one at ~31–40 (docs/speed.md).
//
// Every output is computed the same way, whatever the tile shape, block or thread that computes it:
//   four f32 lanes l = 0..3 accumulate a[p]·b[p] for p ≡ l (mod 4), p < k4 = k − k mod 4, in order;
//   t accumulates the last k mod 4 products in order;  s = ((l0 + l1) + (l2 + l3)) + t;
//   C = accumulate ? C + s : s.
// The lanes persist in the workspace between k-blocks (stored exactly), so blocking changes nothing; the
// edge tiles (6×1, 3×1, 1×1) run the same madd per lane in the same order as the main tile.

/**
 * The tile: 3×3 in the FMA build (9 accumulators + 6 loaded vectors = 15 xmm registers: V8 issues a turn's
 * loads before its arithmetic, so all 6 are live at once), 2×4 in the plain build, whose multiply needs a
 * temporary register too (8 + 6 + 1 = 15; a 3×3 tile there spills an accumulator to the stack every turn).
 */
const TILE_A: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 2;
const TILE_B: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 4;

/**
 * k-block: a tile reads 6 rows of KD floats (24 KB), which stay in L1 across the tile's work. 256 to 2048
 * measured within noise of each other on the shapes useAbtKernel (gemm-wasm.ts) sends here.
 */
const KD: i32 = 1024;

/**
 * C[i0..i1) × [j0..j1) (+)= A·Bᵀ, A [m × k] with rows `lda` floats apart, B [n × k] rows `ldb` apart,
 * C row-major with n columns. `ws` holds 16 bytes (4 lanes) per output of the rectangle.
 */
export function gemmAbt(
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, n: i32, k: i32,
  i0: i32, i1: i32, j0: i32, j1: i32, accumulate: bool, ws: usize,
): void {
  if (i0 >= i1 || j0 >= j1) return;
  memory.fill(ws, 0, (<usize>(i1 - i0) * <usize>(j1 - j0)) << 4);
  abtLanes(a, lda, b, ldb, k & ~3, i0, i1, j0, j1, ws);
  foldAndStore(a, <usize>lda << 2, b, <usize>ldb << 2, c, n, k, i0, i1, j0, j1, accumulate, ws);
}

/**
 * The lanes of the rectangle's outputs (16 bytes each at ws, row-major over [i0, i1) × [j0, j1)) += the
 * products over p < k4 (a multiple of 4), k-block by k-block: gemmAbt without the fill and the fold, for a
 * caller whose sums run over several calls (Conv2D's dW, sample by sample: conv-weight-gradient.ts).
 */
export function abtLanes(a: usize, lda: i32, b: usize, ldb: i32, k4: i32, i0: i32, i1: i32, j0: i32, j1: i32, ws: usize): void {
  const aRow = <usize>lda << 2, bRow = <usize>ldb << 2;
  for (let pc = 0; pc < k4; pc += KD) {
    const off = <usize>pc << 2;
    abtBlock(a + off, aRow, b + off, bRow, min(KD, k4 - pc), i0, i1, j0, j1, ws);
  }
}

/**
 * One k-block (kd floats from a and b, a multiple of 4) of every output of the rectangle into its lanes.
 * A tile's rows of B (in L1) against every row of A (the A block, rows × kd floats, in L2): each B block
 * is read from memory once — B is the big operand here (Conv2D's column matrix, megabytes).
 */
function abtBlock(
  a: usize, aRow: usize, b: usize, bRow: usize, kd: i32, i0: i32, i1: i32, j0: i32, j1: i32, ws: usize,
): void {
  const laneRow = <usize>(j1 - j0) << 4;
  const iT = i0 + ((i1 - i0) / TILE_A) * TILE_A;
  const jT = j0 + ((j1 - j0) / TILE_B) * TILE_B;
  for (let j = j0; j < jT; j += TILE_B) {
    const bj = b + <usize>j * bRow;
    const lanesJ = ws + (<usize>(j - j0) << 4);
    for (let i = i0; i < iT; i += TILE_A) {
      const x = a + <usize>i * aRow, lanes = lanesJ + <usize>(i - i0) * laneRow;
      if (ASC_FEATURE_RELAXED_SIMD) tile3x3(x, aRow, bj, bRow, kd, lanes, laneRow);
      else tile2x4(x, aRow, bj, bRow, kd, lanes, laneRow);
    }
  }
  // The last m mod TILE_A rows, each against the rows of B (B plays the many-row side of the edge tiles).
  for (let i = iT; i < i1; i++) {
    edgeLine(b + <usize>j0 * bRow, bRow, jT - j0, a + <usize>i * aRow, kd, ws + <usize>(i - i0) * laneRow, 16);
  }
  // The last n mod TILE_B columns, each against every row of A.
  for (let j = jT; j < j1; j++) {
    edgeLine(a + <usize>i0 * aRow, aRow, i1 - i0, b + <usize>j * bRow, kd, ws + (<usize>(j - j0) << 4), laneRow);
  }
}

/**
 * Lanes of a 3×3 tile += kd products each (rows x.. of A `xRow` bytes apart, y.. of B `yRow` apart). Each
 * row has its own pointer bumped by 16: in wasm every address is an i32 add V8 cannot fold into the x64
 * addressing mode, so a shared index would cost one add per load.
 */
// @ts-ignore: decorator
@inline function tile3x3(x0: usize, xRow: usize, y0: usize, yRow: usize, kd: i32, lanes: usize, laneRow: usize): void {
  let x1 = x0 + xRow, x2 = x1 + xRow;
  let y1 = y0 + yRow, y2 = y1 + yRow;
  const l1 = lanes + laneRow, l2 = l1 + laneRow;
  let s00 = v128.load(lanes), s01 = v128.load(lanes, 16), s02 = v128.load(lanes, 32);
  let s10 = v128.load(l1), s11 = v128.load(l1, 16), s12 = v128.load(l1, 32);
  let s20 = v128.load(l2), s21 = v128.load(l2, 16), s22 = v128.load(l2, 32);
  for (let steps = kd >> 2; steps > 0; steps--) {
    const u0 = v128.load(x0), u1 = v128.load(x1), u2 = v128.load(x2);
    let v = v128.load(y0);
    s00 = madd(s00, u0, v); s10 = madd(s10, u1, v); s20 = madd(s20, u2, v);
    v = v128.load(y1);
    s01 = madd(s01, u0, v); s11 = madd(s11, u1, v); s21 = madd(s21, u2, v);
    v = v128.load(y2);
    s02 = madd(s02, u0, v); s12 = madd(s12, u1, v); s22 = madd(s22, u2, v);
    x0 += 16; x1 += 16; x2 += 16; y0 += 16; y1 += 16; y2 += 16;
  }
  v128.store(lanes, s00); v128.store(lanes, s01, 16); v128.store(lanes, s02, 32);
  v128.store(l1, s10); v128.store(l1, s11, 16); v128.store(l1, s12, 32);
  v128.store(l2, s20); v128.store(l2, s21, 16); v128.store(l2, s22, 32);
}

/** Lanes of a 2×4 tile (the plain build's; see TILE_A), otherwise as tile3x3. */
// @ts-ignore: decorator
@inline function tile2x4(x0: usize, xRow: usize, y0: usize, yRow: usize, kd: i32, lanes: usize, laneRow: usize): void {
  let x1 = x0 + xRow;
  let y1 = y0 + yRow, y2 = y1 + yRow, y3 = y2 + yRow;
  const l1 = lanes + laneRow;
  let s00 = v128.load(lanes), s01 = v128.load(lanes, 16), s02 = v128.load(lanes, 32), s03 = v128.load(lanes, 48);
  let s10 = v128.load(l1), s11 = v128.load(l1, 16), s12 = v128.load(l1, 32), s13 = v128.load(l1, 48);
  for (let steps = kd >> 2; steps > 0; steps--) {
    const u0 = v128.load(x0), u1 = v128.load(x1);
    let v = v128.load(y0);
    s00 = madd(s00, u0, v); s10 = madd(s10, u1, v);
    v = v128.load(y1);
    s01 = madd(s01, u0, v); s11 = madd(s11, u1, v);
    v = v128.load(y2);
    s02 = madd(s02, u0, v); s12 = madd(s12, u1, v);
    v = v128.load(y3);
    s03 = madd(s03, u0, v); s13 = madd(s13, u1, v);
    x0 += 16; x1 += 16; y0 += 16; y1 += 16; y2 += 16; y3 += 16;
  }
  v128.store(lanes, s00); v128.store(lanes, s01, 16); v128.store(lanes, s02, 32); v128.store(lanes, s03, 48);
  v128.store(l1, s10); v128.store(l1, s11, 16); v128.store(l1, s12, 32); v128.store(l1, s13, 48);
}

/**
 * The lanes of `rows` rows of X (`xRow` bytes apart, lanes `laneStep` apart) against one row y: 6 rows at a
 * time (6 independent sums hide the multiply-add latency), then 3, then single rows.
 */
function edgeLine(x: usize, xRow: usize, rows: i32, y: usize, kd: i32, lanes: usize, laneStep: usize): void {
  let r = 0;
  for (; r + 6 <= rows; r += 6) tile6x1(x + <usize>r * xRow, xRow, y, kd, lanes + <usize>r * laneStep, laneStep);
  for (; r + 3 <= rows; r += 3) tile3x1(x + <usize>r * xRow, xRow, y, kd, lanes + <usize>r * laneStep, laneStep);
  for (; r < rows; r++) tile1x1(x + <usize>r * xRow, y, kd, lanes + <usize>r * laneStep);
}

/** Lanes of 6 rows of X × one row y (an edge of the tiling; a·b = b·a exactly, so X may be B). */
// @ts-ignore: decorator
@inline function tile6x1(x: usize, xRow: usize, y: usize, kd: i32, lanes: usize, laneStep: usize): void {
  const x1 = x + xRow, x2 = x1 + xRow, x3 = x2 + xRow, x4 = x3 + xRow, x5 = x4 + xRow;
  const l3 = lanes + 3 * laneStep;
  let s0 = v128.load(lanes), s1 = v128.load(lanes + laneStep), s2 = v128.load(lanes + 2 * laneStep);
  let s3 = v128.load(l3), s4 = v128.load(l3 + laneStep), s5 = v128.load(l3 + 2 * laneStep);
  for (let p: usize = 0, end = <usize>kd << 2; p < end; p += 16) {
    const v = v128.load(y + p);
    s0 = madd(s0, v128.load(x + p), v);
    s1 = madd(s1, v128.load(x1 + p), v);
    s2 = madd(s2, v128.load(x2 + p), v);
    s3 = madd(s3, v128.load(x3 + p), v);
    s4 = madd(s4, v128.load(x4 + p), v);
    s5 = madd(s5, v128.load(x5 + p), v);
  }
  v128.store(lanes, s0); v128.store(lanes + laneStep, s1); v128.store(lanes + 2 * laneStep, s2);
  v128.store(l3, s3); v128.store(l3 + laneStep, s4); v128.store(l3 + 2 * laneStep, s5);
}

/** Lanes of 3 rows of X × one row y. */
// @ts-ignore: decorator
@inline function tile3x1(x: usize, xRow: usize, y: usize, kd: i32, lanes: usize, laneStep: usize): void {
  const x1 = x + xRow, x2 = x1 + xRow;
  let s0 = v128.load(lanes), s1 = v128.load(lanes + laneStep), s2 = v128.load(lanes + 2 * laneStep);
  for (let p: usize = 0, end = <usize>kd << 2; p < end; p += 16) {
    const v = v128.load(y + p);
    s0 = madd(s0, v128.load(x + p), v);
    s1 = madd(s1, v128.load(x1 + p), v);
    s2 = madd(s2, v128.load(x2 + p), v);
  }
  v128.store(lanes, s0); v128.store(lanes + laneStep, s1); v128.store(lanes + 2 * laneStep, s2);
}

/** One output's lanes. */
// @ts-ignore: decorator
@inline function tile1x1(x: usize, y: usize, kd: i32, lanes: usize): void {
  let s0 = v128.load(lanes);
  for (let p: usize = 0, end = <usize>kd << 2; p < end; p += 16) s0 = madd(s0, v128.load(x + p), v128.load(y + p));
  v128.store(lanes, s0);
}

/** The k mod 4 tail, the fold of the lanes, and C. */
function foldAndStore(
  a: usize, aRow: usize, b: usize, bRow: usize, c: usize, n: i32, k: i32,
  i0: i32, i1: i32, j0: i32, j1: i32, accumulate: bool, ws: usize,
): void {
  const k4 = k & ~3;
  const width = <usize>(j1 - j0);
  for (let i = i0; i < i1; i++) {
    const ai = a + <usize>i * aRow;
    for (let j = j0; j < j1; j++) {
      const v = v128.load(ws + ((<usize>(i - i0) * width + <usize>(j - j0)) << 4));
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

// madd is also gemm.ts's, kept in each GEMM file on purpose: @inline makes it the same instruction either
// way, and each file's rounding contract (its header) is stated next to the madd it relies on.
/**
 * acc + a·b. In the plain build an f32 multiply then an f32 add; in the relaxed-SIMD build
 * (kernels-fma.wasm) a fused multiply-add where the CPU has one (relaxed_madd may also round twice: the
 * same on every call). Either way one instruction sequence per element, whatever the tiling or thread split.
 */
// @ts-ignore: decorator
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}
