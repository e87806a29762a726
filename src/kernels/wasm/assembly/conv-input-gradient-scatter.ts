// Conv2D backward's input gradient for stride 1, col2im fused into the product's tile store (issue 13):
//
//   dx[n, c, iy, ix] = Σ_(ky,kx) Σ_f W[f, c, ky, kx] · dy[n, f, iy + padTop − ky, ix + padLeft − kx]
//
// The per-sample kernel (conv-input-gradient.ts) stores dcols_n = Wᵀ·dy_n [C·kh·kw × P] in its workspace and
// col2im reads it back and adds each row into dx: that round trip was ~15 % of its time. Here each 4×8 tile
// of Wᵀ·dy_n is added into dx as it leaves the registers. A tile's rows are 4 channels at one tap (ky, kx),
// so they land in 4 different planes, and its 8 columns are outputs j = oy·outW + ox, which with stride 1
// feed the cells (oy + ky, ox + kx) of a padded copy of dx's planes (dxPad, wp floats a row: every tap's
// target is in range, the padding cells need no masks, and the interior is copied out to dx at the end).
// Lane l of a tile row lands at T + l up to the output row's end (lane b) and at T + gap + l after it
// (gap = wp − outW): a panel inside one output row is two f32x4 adds per tile row; one that crosses the end
// puts back its straddling half with selects (addRowSplit). dy_n is read in place as the tiles' B panels
// (its NCHW block is [F × P] row-major); only a last, partial panel is copied into a zero-padded F × 8 block.
// The flip, W[f, c, ky, kx] against dy at −ky, −kx, is only in where a tile is added: no W′ is made.
//
// Same bits as the dcols + col2im kernel: each tile element is the GEMM's sequence (acc = 0, madd over
// f = 0..F−1 in order), and each dx cell starts at 0 and takes the taps' values by one f32 add each, taps in
// (ky, kx) order, as col2im adds dcols' rows (c, ky, kx). One sequence per element whatever path its panel
// took; threads split whole samples.
import { MR, NR, WORKSPACE_FLOATS, madd, microTile } from './gemm';

/** wp − outW: at least kernelW − 1 (row ends' real cells never meet) and a multiple of 4, at least 4. */
// @ts-ignore: decorator
@inline export function gapFor(kernelW: i32): i32 {
  return max(4, (kernelW - 1 + 3) & ~3);
}

/**
 * Floats of one dxPad plane: hp = outH + kernelH − 1 rows of wp (the padded input: every cell a tap writes),
 * two slack rows for the selects' windows past the last row end, rounded up to 4.
 */
// @ts-ignore: decorator
@inline export function padPlaneFloats(kernelH: i32, outH: i32, wp: i32): i64 {
  return (<i64>(outH + kernelH + 1) * <i64>wp + 8 + 3) & ~3;
}

/** Workspace floats for these sizes (tile, packed Wᵀ, dxPad, the last panel of dy, the panel table); capped past the workspace. */
export function convInputGradientScatterFloats(filters: i32, channels: i32, kernelH: i32, kernelW: i32, outH: i32, outW: i32): i32 {
  const c4 = <i64>((channels + MR - 1) & ~(MR - 1));
  const wp = outW + gapFor(kernelW);
  const panels = (<i64>outH * <i64>outW + NR - 1) / NR;
  const floats = <i64>(MR * NR) + <i64>(kernelH * kernelW) * c4 * <i64>filters + c4 * padPlaneFloats(kernelH, outH, wp) +
    <i64>(filters * NR) + 2 * panels;
  return floats > <i64>WORKSPACE_FLOATS ? WORKSPACE_FLOATS + 1 : <i32>floats;
}

/**
 * Whether the scatter kernel takes this window and is the faster one (measured against the dcols + col2im
 * kernel, docs/speed.md): stride 1 both ways; output rows of 8 or more (narrower ones put every panel through
 * the lane-by-lane path: 1.8× slower at 7×7); channels in whole 4-row blocks, or at most 1/8 of the rows
 * padding (C = 1 ran 2.7×, C = 3 and 6 1.1× slower); its workspace within the GEMM's.
 */
export function scatterFits(filters: i32, channels: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, outH: i32, outW: i32): bool {
  const c4 = (channels + MR - 1) & ~(MR - 1);
  return strideH == 1 && strideW == 1 && outW >= NR && (c4 - channels) * 8 <= c4 &&
    convInputGradientScatterFloats(filters, channels, kernelH, kernelW, outH, outW) <= WORKSPACE_FLOATS;
}

/** dx[n] for n in [n0, n1), stride 1 (scatterFits): see the file's head. */
export function convInputGradientScatter(
  w: usize, dy: usize, dx: usize, filters: i32, channels: i32, height: i32, width: i32, kernelH: i32, kernelW: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, n0: i32, n1: i32, ws: usize,
): void {
  const taps = kernelH * kernelW, plane = outH * outW;
  const c4 = (channels + MR - 1) & ~(MR - 1);
  const wp = outW + gapFor(kernelW);
  const planeFloats = <i32>padPlaneFloats(kernelH, outH, wp);
  const panels = (plane + NR - 1) / NR;
  const tile = ws;
  const packA = tile + (<usize>(MR * NR) << 2);
  const dxPad = packA + (<usize>(taps * c4 * filters) << 2);
  const lastB = dxPad + (<usize>(c4 * planeFloats) << 2);
  const table = lastB + (<usize>(filters * NR) << 2);
  packByTap(w, filters, channels, taps, c4, packA);
  fillPanelTable(plane, outW, wp, table);
  const sampleIn = <usize>(channels * height * width) << 2;
  for (let n = n0; n < n1; n++) {
    const dyn = dy + ((<usize>n * <usize>filters * <usize>plane) << 2);
    memory.fill(dxPad, 0, <usize>(c4 * planeFloats) << 2);
    copyLastPanel(dyn, filters, plane, lastB);
    for (let c0 = 0; c0 < c4; c0 += MR) {
      const planes = dxPad + (<usize>(c0 * planeFloats) << 2);
      for (let t = 0; t < taps; t++) {
        const ky = t / kernelW, kx = t - ky * kernelW;
        const pa = packA + (<usize>((t * c4 + c0) * filters) << 2);
        scatterTap(pa, dyn, lastB, filters, plane, planes + (<usize>(ky * wp + kx) << 2), <usize>planeFloats << 2, wp - outW, panels, table, tile);
      }
    }
    copyInterior(dxPad, channels, height, width, padTop, padLeft, wp, planeFloats, dx + <usize>n * sampleIn);
  }
}

/**
 * One tap's 4 channels: for every 8-column panel of dy_n, the 4×8 tile of Wᵀ·dy_n added into the 4 planes
 * (`planes` = dxPad of the first at the tap's offset, `planeBytes` apart).
 */
function scatterTap(
  pa: usize, dyn: usize, lastB: usize, filters: i32, plane: i32, planes: usize, planeBytes: usize,
  gap: i32, panels: i32, table: usize, tile: usize,
): void {
  const full = plane / NR;
  for (let q = 0; q < full; q++) {
    const at = load<i32>(table + (<usize>q << 3));
    const b = load<i32>(table + (<usize>q << 3), 4);
    const pb = dyn + (<usize>(q * NR) << 2), dst = planes + (<usize>at << 2);
    if (b == NR) addTileWhole(pa, pb, <usize>plane << 2, filters, dst, planeBytes);
    else addTileSplit(pa, pb, <usize>plane << 2, filters, dst, planeBytes, b, <usize>gap << 2);
  }
  if (full < panels) {
    const at = load<i32>(table + (<usize>full << 3));
    const b = load<i32>(table + (<usize>full << 3), 4);
    partialTile(pa, lastB, filters, plane - full * NR, planes + (<usize>at << 2), planeBytes, b, gap, tile);
  }
}

/**
 * A full panel inside one output row: the 4×8 tile Σ_f Wᵀ[rows, f]·dy_n[f, panel] (kernel4x8's loop, gemm.ts,
 * from zero) added into the 4 planes at dst. addTileSplit repeats the loop on purpose: one function with both
 * endings ran ~5 % slower here (V8 compiled the loop less well beside the larger ending).
 */
function addTileWhole(pa: usize, pb: usize, pbStep: usize, kc: i32, dst: usize, planeBytes: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (const paEnd = pa + (<usize>kc << 4); pa < paEnd; ) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(c00, a, b0);
    c01 = madd(c01, a, b1);
    a = v128.load32_splat(pa, 4);
    c10 = madd(c10, a, b0);
    c11 = madd(c11, a, b1);
    a = v128.load32_splat(pa, 8);
    c20 = madd(c20, a, b0);
    c21 = madd(c21, a, b1);
    a = v128.load32_splat(pa, 12);
    c30 = madd(c30, a, b0);
    c31 = madd(c31, a, b1);
    pa += 16;
    pb += pbStep;
  }
  const d1 = dst + planeBytes, d2 = d1 + planeBytes, d3 = d2 + planeBytes;
  addRow(dst, c00, c01); addRow(d1, c10, c11); addRow(d2, c20, c21); addRow(d3, c30, c31);
}

/**
 * A full panel whose output row ends after lane b (0 < b < 8): as addTileWhole, but lanes [b, 8) are added at
 * dst + gap. Put back half by half: a half on one side of the row end is one add and store; the straddling
 * half is two selects of the sums and the bytes already there (nothing else writes them meanwhile), in
 * windows gap ≥ 16 bytes apart, which never overlap.
 */
function addTileSplit(pa: usize, pb: usize, pbStep: usize, kc: i32, dst: usize, planeBytes: usize, b: i32, gap: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (const paEnd = pa + (<usize>kc << 4); pa < paEnd; ) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(c00, a, b0);
    c01 = madd(c01, a, b1);
    a = v128.load32_splat(pa, 4);
    c10 = madd(c10, a, b0);
    c11 = madd(c11, a, b1);
    a = v128.load32_splat(pa, 8);
    c20 = madd(c20, a, b0);
    c21 = madd(c21, a, b1);
    a = v128.load32_splat(pa, 12);
    c30 = madd(c30, a, b0);
    c31 = madd(c31, a, b1);
    pa += 16;
    pb += pbStep;
  }
  const d1 = dst + planeBytes, d2 = d1 + planeBytes, d3 = d2 + planeBytes;
  const split = i32x4.splat(b);
  const m0 = i32x4.lt_s(i32x4(0, 1, 2, 3), split), m1 = i32x4.lt_s(i32x4(4, 5, 6, 7), split);
  addRowSplit(dst, gap, b, m0, m1, c00, c01);
  addRowSplit(d1, gap, b, m0, m1, c10, c11);
  addRowSplit(d2, gap, b, m0, m1, c20, c21);
  addRowSplit(d3, gap, b, m0, m1, c30, c31);
}

/** dst[0..8) += (s0, s1). */
// @ts-ignore: decorator
@inline export function addRow(dst: usize, s0: v128, s1: v128): void {
  v128.store(dst, f32x4.add(v128.load(dst), s0));
  v128.store(dst, f32x4.add(v128.load(dst, 16), s1), 16);
}

/** Lanes [0, b) of (s0, s1) added at lo, lanes [b, 8) at lo + gap (addTileSplit). */
// @ts-ignore: decorator
@inline export function addRowSplit(lo: usize, gap: usize, b: i32, m0: v128, m1: v128, s0: v128, s1: v128): void {
  const hi = lo + gap;
  if (b >= 4) {
    v128.store(lo, f32x4.add(v128.load(lo), s0));
    if (b == 4) {
      v128.store(hi, f32x4.add(v128.load(hi, 16), s1), 16);
    } else {
      const old = v128.load(lo, 16), oldHi = v128.load(hi, 16);
      v128.store(lo, v128.bitselect(f32x4.add(old, s1), old, m1), 16);
      v128.store(hi, v128.bitselect(oldHi, f32x4.add(oldHi, s1), m1), 16);
    }
  } else {
    const old = v128.load(lo), oldHi = v128.load(hi);
    v128.store(lo, v128.bitselect(f32x4.add(old, s0), old, m0));
    v128.store(hi, v128.bitselect(oldHi, f32x4.add(oldHi, s0), m0));
    v128.store(hi, f32x4.add(v128.load(hi, 16), s1), 16);
  }
}

/**
 * The last panel when P is not a multiple of 8 (B from its zero-padded copy): the tile from the GEMM's 4×8
 * kernel into the scratch tile, then its nr lanes added one by one at dst (lanes from b on at dst + gap).
 */
function partialTile(pa: usize, pb: usize, kc: i32, nr: i32, dst: usize, planeBytes: usize, b: i32, gap: i32, tile: usize): void {
  microTile(pa, pb, NR << 2, kc, tile, NR << 2, MR, NR, false, 0, tile);
  for (let r = 0; r < MR; r++) {
    const t = tile + (<usize>r << 5), row = dst + <usize>r * planeBytes;
    for (let l = 0; l < nr; l++) {
      const cell = row + (<usize>(l < b ? l : l + gap) << 2);
      store<f32>(cell, load<f32>(cell) + load<f32>(t + (<usize>l << 2)));
    }
  }
}

/** table[q] = (lane 0's cell, the lanes before its output row ends: up to 8; outW ≥ 8, so at most one end). */
export function fillPanelTable(plane: i32, outW: i32, wp: i32, table: usize): void {
  for (let q = 0, j = 0; j < plane; q++, j += NR) {
    const oy = j / outW, ox = j - oy * outW;
    store<i32>(table + (<usize>q << 3), oy * wp + ox);
    store<i32>(table + (<usize>q << 3), min(NR, outW - ox), 4);
  }
}

/**
 * packA[(t·c4 + c0)·F·4 + f·4 + r] = W[f, c0 + r, t] (0 for channels ≥ C): Wᵀ's rows (c, t) in 4-channel blocks
 * per tap, p-major as the 4×8 kernel reads them; once per call.
 */
function packByTap(w: usize, filters: i32, channels: i32, taps: i32, c4: i32, dst: usize): void {
  const k = channels * taps;
  for (let t = 0; t < taps; t++) {
    for (let c0 = 0; c0 < c4; c0 += MR) {
      const block = dst + (<usize>((t * c4 + c0) * filters) << 2);
      for (let f = 0; f < filters; f++) {
        for (let r = 0; r < MR; r++) {
          const c = c0 + r;
          const v: f32 = c < channels ? load<f32>(w + (<usize>(f * k + c * taps + t) << 2)) : 0;
          store<f32>(block + (<usize>(f * MR + r) << 2), v);
        }
      }
    }
  }
}

/** dst[f·8 + l] = dy_n[f, j0 + l] for the last panel's lanes (j0 = its first column), 0 past the plane. */
export function copyLastPanel(dyn: usize, filters: i32, plane: i32, dst: usize): void {
  const j0 = ((plane - 1) / NR) * NR, nr = plane - j0;
  for (let f = 0; f < filters; f++) {
    const s = dyn + (<usize>(f * plane + j0) << 2), d = dst + (<usize>(f * NR) << 2);
    for (let l = 0; l < NR; l++) store<f32>(d + (<usize>l << 2), l < nr ? load<f32>(s + (<usize>l << 2)) : 0);
  }
}

/** dx[c, iy, ix] = dxPad[c, iy + padTop, ix + padLeft]: each row one run of f32x4 moves. */
export function copyInterior(
  dxPad: usize, channels: i32, height: i32, width: i32, padTop: i32, padLeft: i32, wp: i32, planeFloats: i32, dxn: usize,
): void {
  for (let c = 0; c < channels; c++) {
    for (let iy = 0; iy < height; iy++) {
      const s = dxPad + (<usize>(c * planeFloats + (iy + padTop) * wp + padLeft) << 2);
      const d = dxn + (<usize>((c * height + iy) * width) << 2);
      let i = 0;
      for (; i + 4 <= width; i += 4) v128.store(d + (<usize>i << 2), v128.load(s + (<usize>i << 2)));
      for (; i < width; i++) store<f32>(d + (<usize>i << 2), load<f32>(s + (<usize>i << 2)));
    }
  }
}
