// Conv2D backward's weight gradient for windows kw = 5 wide, read in place from the zero-padded sample:
//
//   dWᵀ[j, f] += Σ_{n in order} Σ_{p in order} patch_n[j, p] · dy_n[f, p]       (j = (c·kh + ky)·kw + kx)
//
// The other orientation of conv-weight-gradient.ts's in-place GEMM (issue 13R). There, B was the sample's
// patchesᵀ [P × K], built run by run (two unaligned f32x4 stores per 5-float run, ~15 % of the product's
// time on the default model's second conv), and A four rows of dy read in place (one pointer each). Here a
// register tile is one kw-run of dWᵀ's rows — the five columns (c, ky, kx = 0..4) of dW — by 8 filters:
// at sum step p = (oy, ox) its five A values are padded[c, oy·sh + ky, ox·sw + kx], five neighbouring
// floats of the padded sample, so five load-splats at constant offsets from ONE pointer; its B row is
// dy_n[f0..f0+7, p], which is what changes layout: each sample's dy rows are transposed once into panels
// [P × 8] (dyᵀ: 4×4 shuffles, 1/25 of the tile's multiply-adds in moves). So no patch is ever copied, a
// sum step costs 2 pointer adds for 10 multiply-adds (the 4×8 tile: 5 for 8), and K = C·kh·5 fills the
// tile's rows exactly (the dot path's 25-column dWs included: their 8-wide panels wasted 7 of the last 8).
//
// Each element's sum is the in-place GEMM's: acc = dW; for n in order, for p in order:
// acc = madd(acc, patch, dy) (madd(acc, dy, patch) there: the product commutes exactly, fused or not),
// the accumulators stored and reloaded exactly between samples. So the same bits as the in-place GEMM
// (and as the batch-wide GEMM before issue 13G) whatever the thread split; the dot path's four lanes per
// output (and their fold) are gone for the shapes this path takes: another order there, as deterministic.
//
// Memory (the thread's patch buffer): the padded sample, the thread's dyᵀ panels, and its dWᵀ
// accumulators (40 floats per run and panel), loaded from dW at the start and stored back at the end.
import { padSample } from './conv-patches';

/** Window width this path takes: a tile's rows are one run of kw = 5 neighbouring pixels. */
export const RUN_WIDTH: i32 = 5;
/** Filters per panel of dyᵀ: two f32x4 per sum step. */
const PANEL: i32 = 8;
/** Floats of one tile's accumulators: 5 rows × 8 filters. */
const TILE_FLOATS: i32 = RUN_WIDTH * PANEL;

/** Floats of the padded sample, rounded up so that dyᵀ starts on a 64-byte line. */
// @ts-ignore: decorator
@inline function paddedFloatsAligned(channels: i32, hp: i32, wp: i32): i32 {
  return (channels * hp * wp + 15) & ~15;
}

/** Floats of the patch buffer this path needs for `rows` filters and `runs` runs (padded sample, dyᵀ, accumulators). */
export function runsBufferFloats(rows: i32, runs: i32, channels: i32, hp: i32, wp: i32, plane: i32): i64 {
  const panels = <i64>((rows + PANEL - 1) / PANEL);
  return <i64>paddedFloatsAligned(channels, hp, wp) + panels * <i64>plane * PANEL + panels * <i64>runs * TILE_FLOATS;
}

/**
 * dW[i0..i1) × [j0..j1) (K = channels·kh·5 columns) += the sum above over the batch; `biasLanes` (≠ 0):
 * filters [i0, i1)'s bias lanes (conv-weight-gradient.ts's) grow by each sample's dy on the way. Window
 * numbers as conv-weight-gradient.ts's Window; `buffer` is the thread's patch buffer (runsBufferFloats).
 */
export function runsProduct(
  dy: usize, x: usize, dw: usize, filters: i32, batch: i32, i0: i32, i1: i32, j0: i32, j1: i32,
  channels: i32, height: i32, width: i32, kernelH: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
  outH: i32, outW: i32, hp: i32, wp: i32, biasLanes: usize, buffer: usize,
): void {
  const k = channels * kernelH * RUN_WIDTH, plane = outH * outW, rows = i1 - i0;
  const panels = (rows + PANEL - 1) / PANEL;
  // The runs (c, ky) that columns [j0, j1) touch: whole runs are computed, only [j0, j1) stored.
  const r0 = j0 / RUN_WIDTH, r1 = (j1 + RUN_WIDTH - 1) / RUN_WIDTH, runs = r1 - r0;
  const padded = buffer;
  const dyT = padded + (<usize>paddedFloatsAligned(channels, hp, wp) << 2);
  const acc = dyT + ((<usize>panels * <usize>plane * PANEL) << 2);
  moveAccumulators(dw, k, i0, i1, j0, j1, r0, runs, panels, acc, true);
  const rowBytes = <usize>plane << 2, aStep = <usize>strideW << 2, aRowStep = <usize>(strideH * wp) << 2;
  for (let n = 0; n < batch; n++) {
    const xn = x + ((<usize>n * <usize>(channels * height * width)) << 2);
    padSample(xn, channels, height, width, padTop, padLeft, hp, wp, padded);
    const dyn = dy + <usize>n * <usize>filters * rowBytes + <usize>i0 * rowBytes;
    transposeDy(dyn, plane, rows, panels, dyT, biasLanes);
    for (let q = 0; q < panels; q++) {
      const b = dyT + <usize>q * <usize>plane * (PANEL << 2);
      for (let r = 0; r < runs; r++) {
        const run = r0 + r, c = run / kernelH, ky = run - c * kernelH;
        const a = padded + (<usize>((c * hp + ky) * wp) << 2);
        tile5x8(a, aStep, aRowStep, outH, outW, b, acc + (<usize>(q * runs + r) * TILE_FLOATS << 2));
      }
    }
  }
  moveAccumulators(dw, k, i0, i1, j0, j1, r0, runs, panels, acc, false);
}

/**
 * dWᵀ tile [5 × 8] at acc (row kx: 8 filters) += Σ_{oy, ox} padded[a + oy·aRowStep + ox·aStep + 4·kx] · dyᵀ[p]
 * over p = oy·outW + ox in order, dyᵀ's row p at b + 32·p. V8 issues a turn's loads before its arithmetic
 * (docs/speed.md, the micro-kernel's audit), so the five A values are one f32x4 (kx 0..3, broadcast lane by
 * lane with vpshufd, which V8 places at the use) and one load-splat (kx 4): 10 accumulators + 4 loaded
 * vectors + the broadcast = 15 xmm, no spill (five load-splats spilled two accumulators every step). The
 * plain build's multiply would need a 16th register: that build keeps the other paths (PATH_RUNS needs FMA).
 */
// @ts-ignore: decorator
@inline function tile5x8(a: usize, aStep: usize, aRowStep: usize, outH: i32, outW: i32, b: usize, acc: usize): void {
  let c00 = v128.load(acc), c01 = v128.load(acc, 16);
  let c10 = v128.load(acc, 32), c11 = v128.load(acc, 48);
  let c20 = v128.load(acc, 64), c21 = v128.load(acc, 80);
  let c30 = v128.load(acc, 96), c31 = v128.load(acc, 112);
  let c40 = v128.load(acc, 128), c41 = v128.load(acc, 144);
  const rowSpan = <usize>outW * aStep;
  for (let oy = 0; oy < outH; oy++) {
    for (let s = a, end = a + rowSpan; s < end; s += aStep) {
      const b0 = v128.load(b);
      const b1 = v128.load(b, 16);
      const v = v128.load(s);
      const x4 = v128.load32_splat(s, 16);
      let x = i32x4.shuffle(v, v, 0, 0, 0, 0);
      c00 = madd(c00, x, b0);
      c01 = madd(c01, x, b1);
      x = i32x4.shuffle(v, v, 1, 1, 1, 1);
      c10 = madd(c10, x, b0);
      c11 = madd(c11, x, b1);
      x = i32x4.shuffle(v, v, 2, 2, 2, 2);
      c20 = madd(c20, x, b0);
      c21 = madd(c21, x, b1);
      x = i32x4.shuffle(v, v, 3, 3, 3, 3);
      c30 = madd(c30, x, b0);
      c31 = madd(c31, x, b1);
      c40 = madd(c40, x4, b0);
      c41 = madd(c41, x4, b1);
      b += PANEL << 2;
    }
    a += aRowStep;
  }
  v128.store(acc, c00); v128.store(acc, c01, 16);
  v128.store(acc, c10, 32); v128.store(acc, c11, 48);
  v128.store(acc, c20, 64); v128.store(acc, c21, 80);
  v128.store(acc, c30, 96); v128.store(acc, c31, 112);
  v128.store(acc, c40, 128); v128.store(acc, c41, 144);
}

/**
 * dyᵀ panels from `rows` rows of dy_n (at dyn, plane floats each): panel q's row p (8 floats at
 * dst + 32·(q·plane + p)) = dy_n[8q .. 8q + 7, p], 0 for filters past `rows`. Four filters at a time,
 * four p at a time through a 4×4 transpose; a group's missing rows repeat its row 0 (finite numbers in
 * lanes whose accumulators are never stored: no mask needed), a group with no rows is zeros. The plane's
 * last p mod 4 by element. With `lanes` ≠ 0 the bias lanes of the rows (conv-weight-gradient.ts's
 * layout: 4 floats per filter, then one tail float per filter) grow on the way, in the order of its
 * addBiasLanes: the same bits.
 */
function transposeDy(dyn: usize, plane: i32, rows: i32, panels: i32, dst: usize, lanes: usize): void {
  const rowBytes = <usize>plane << 2, p4 = plane & ~3;
  for (let g = 0; g < panels * PANEL; g += 4) {
    const d = dst + <usize>(g >> 3) * <usize>plane * (PANEL << 2) + (<usize>(g & 4) << 2);
    const live = min(4, rows - g);
    if (live <= 0) {
      for (let p = 0; p < plane; p++) v128.store(d + (<usize>p << 5), f32x4.splat(0));
      continue;
    }
    const s0 = dyn + <usize>g * rowBytes;
    const s1 = live > 1 ? s0 + rowBytes : s0, s2 = live > 2 ? s0 + 2 * rowBytes : s0, s3 = live > 3 ? s0 + 3 * rowBytes : s0;
    const lp = lanes + (<usize>g << 4);
    let l0 = f32x4.splat(0), l1 = l0, l2 = l0, l3 = l0;
    if (lanes != 0) { l0 = v128.load(lp); l1 = v128.load(lp, 16); l2 = v128.load(lp, 32); l3 = v128.load(lp, 48); }
    for (let p = 0; p < p4; p += 4) {
      const o = <usize>p << 2, e = d + (<usize>p << 5);
      const r0 = v128.load(s0 + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
      l0 = f32x4.add(l0, r0); l1 = f32x4.add(l1, r1); l2 = f32x4.add(l2, r2); l3 = f32x4.add(l3, r3);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const u0 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), u1 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      v128.store(e, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
      v128.store(e, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 32);
      v128.store(e, i32x4.shuffle(u0, u1, 0, 1, 4, 5), 64);
      v128.store(e, i32x4.shuffle(u0, u1, 2, 3, 6, 7), 96);
    }
    for (let p = p4; p < plane; p++) {
      const o = <usize>p << 2, e = d + (<usize>p << 5);
      for (let l = 0; l < 4; l++) store<f32>(e + (<usize>l << 2), load<f32>(s0 + <usize>min(l, live - 1) * rowBytes + o));
    }
    if (lanes == 0) continue;
    // Only the group's live rows have lanes (the tails follow the last row's).
    v128.store(lp, l0);
    if (live > 1) v128.store(lp, l1, 16);
    if (live > 2) v128.store(lp, l2, 32);
    if (live > 3) v128.store(lp, l3, 48);
    const tails = lanes + (<usize>rows << 4);
    for (let l = 0; l < live; l++) addTail(s0 + <usize>l * rowBytes, p4, plane, tails + (<usize>(g + l) << 2));
  }
}

/** The bias tail at tp += row[p] for p in [p4, plane), in order. */
// @ts-ignore: decorator
@inline function addTail(row: usize, p4: i32, plane: i32, tp: usize): void {
  let t = load<f32>(tp);
  for (let p = p4; p < plane; p++) t += load<f32>(row + (<usize>p << 2));
  store<f32>(tp, t);
}

/**
 * Between dW's block [i0, i1) × [j0, j1) and the accumulators (panel q, run r: 5 rows kx × 8 filters at
 * acc + 4·40·(q·runs + r)): `fromDw` fills them (0 outside the block), else the block is stored back.
 */
function moveAccumulators(
  dw: usize, k: i32, i0: i32, i1: i32, j0: i32, j1: i32, r0: i32, runs: i32, panels: i32, acc: usize, fromDw: bool,
): void {
  for (let q = 0; q < panels; q++) {
    for (let r = 0; r < runs; r++) {
      const tile = acc + (<usize>(q * runs + r) * TILE_FLOATS << 2);
      for (let kx = 0; kx < RUN_WIDTH; kx++) {
        const j = (r0 + r) * RUN_WIDTH + kx;
        for (let l = 0; l < PANEL; l++) {
          const f = i0 + q * PANEL + l;
          const t = tile + (<usize>(kx * PANEL + l) << 2);
          const inside = f < i1 && j >= j0 && j < j1;
          const w = dw + ((<usize>f * <usize>k + <usize>j) << 2);
          if (fromDw) store<f32>(t, inside ? load<f32>(w) : 0);
          else if (inside) store<f32>(w, load<f32>(t));
        }
      }
    }
  }
}

// madd is also gemm.ts's, kept in each GEMM file on purpose: @inline makes it the same instruction either
// way, and each file's rounding contract (its header) is stated next to the madd it relies on.
/**
 * acc + a·b. In the plain build an f32 multiply then an f32 add; in the relaxed-SIMD build a fused
 * multiply-add where the CPU has one. Either way one instruction sequence per element.
 */
// @ts-ignore: decorator
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}
