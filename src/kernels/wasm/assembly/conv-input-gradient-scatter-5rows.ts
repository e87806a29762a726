// Conv2D backward's input gradient for stride 1 with a 5×8 tile (FMA build, issue 13U): the scatter kernel
// (conv-input-gradient-scatter.ts) with 10 accumulator chains instead of 8.
//
// The 4×8 tile's 8 chains × FMA latency 4 / 2 pipes leave no slack (docs/speed.md, the micro-kernel's audit):
// it ran this product at ~42 GFLOP/s. Here a tile is 5 rows of Wᵀ by 8 outputs; at sum step f its five A
// values are packed as 8 floats (one aligned f32x4 broadcast lane by lane with i32x4.shuffle — vpshufd,
// which V8 places at the use — and one load-splat), so 10 accumulators + 2 B + the A vector, its
// broadcast and the splat = 15 xmm, no spill (conv-weight-gradient-runs.ts's tile). The plain build's
// multiply needs a 16th register: that build keeps the 4×8 tile.
//
// Rows are Wᵀ's rows (c, t) in (t, c) order — tap-major, channel fastest — cut into groups of 5 (the last
// padded with zero rows that add into a spare plane). With C ≥ 5 a tile's 5 rows are 5 different channels,
// so a tile's epilogue is the 4×8 kernel's, row by row, each row into its own plane at its tap's offset;
// and a dx cell (plane c) still takes its taps in (ky, kx) order, one tile after another.
// Same bits as the 4×8 scatter kernel (and the dcols + col2im kernel before it): each tile element is
// acc = 0, then madd over f = 0..F−1 in order; each dx cell starts at 0 and takes its taps' values by one
// f32 add each, taps in order. Threads split whole samples.
import { NR, WORKSPACE_FLOATS, madd } from './gemm';
import {
  addRow, addRowSplit, copyInterior, copyLastPanel, fillPanelTable, gapFor, padPlaneFloats,
} from './conv-input-gradient-scatter';

/** Rows of Wᵀ per tile. */
const ROWS: i32 = 5;
/** Floats per sum step of a packed tile: 5 values and 3 zeros (aligned f32x4 loads). */
const STEP: i32 = 8;

/** Tiles of 5 rows over Wᵀ's C·kh·kw rows. */
// @ts-ignore: decorator
@inline function tileCount(channels: i32, taps: i32): i32 {
  return (channels * taps + ROWS - 1) / ROWS;
}

/** Workspace floats: scratch tile, packed Wᵀ, dxPad (C planes + a spare), the last panel, panel table, row offsets. */
export function scatter5Floats(filters: i32, channels: i32, kernelH: i32, kernelW: i32, outH: i32, outW: i32): i64 {
  const tiles = <i64>tileCount(channels, kernelH * kernelW);
  const wp = outW + gapFor(kernelW);
  const panels = <i64>((outH * outW + NR - 1) / NR);
  return <i64>(ROWS * NR) + tiles * <i64>(filters * STEP) + <i64>(channels + 1) * padPlaneFloats(kernelH, outH, wp) +
    <i64>(filters * NR) + 2 * panels + tiles * ROWS;
}

/** Whether this kernel takes a window the 4×8 scatter kernel takes (scatterFits): FMA build, C ≥ 5, its workspace fits. */
export function scatter5Fits(filters: i32, channels: i32, kernelH: i32, kernelW: i32, outH: i32, outW: i32): bool {
  return ASC_FEATURE_RELAXED_SIMD && channels >= ROWS &&
    scatter5Floats(filters, channels, kernelH, kernelW, outH, outW) <= <i64>WORKSPACE_FLOATS;
}

/** dx[n] for n in [n0, n1), stride 1 (scatterFits and scatter5Fits): see the file's head. */
export function convInputGradientScatter5(
  w: usize, dy: usize, dx: usize, filters: i32, channels: i32, height: i32, width: i32, kernelH: i32, kernelW: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, n0: i32, n1: i32, ws: usize,
): void {
  const taps = kernelH * kernelW, plane = outH * outW, tiles = tileCount(channels, taps);
  const wp = outW + gapFor(kernelW);
  const planeFloats = <i32>padPlaneFloats(kernelH, outH, wp);
  const panels = (plane + NR - 1) / NR;
  const scratch = ws;
  const packA = scratch + (<usize>(ROWS * NR) << 2);
  const dxPad = packA + (<usize>(tiles * filters * STEP) << 2);
  const lastB = dxPad + (<usize>((channels + 1) * planeFloats) << 2);
  const table = lastB + (<usize>(filters * NR) << 2);
  const offsets = table + (<usize>(2 * panels) << 2);
  packTiles(w, filters, channels, taps, tiles, packA);
  fillRowOffsets(channels, taps, tiles, kernelW, wp, planeFloats, offsets);
  fillPanelTable(plane, outW, wp, table);
  const sampleIn = <usize>(channels * height * width) << 2;
  for (let n = n0; n < n1; n++) {
    const dyn = dy + ((<usize>n * <usize>filters * <usize>plane) << 2);
    memory.fill(dxPad, 0, <usize>((channels + 1) * planeFloats) << 2);
    copyLastPanel(dyn, filters, plane, lastB);
    for (let i = 0; i < tiles; i++) {
      const pa = packA + (<usize>(i * filters * STEP) << 2);
      scatterTile(pa, dyn, lastB, filters, plane, dxPad, offsets + (<usize>(i * ROWS) << 2), wp - outW, panels, table, scratch);
    }
    copyInterior(dxPad, channels, height, width, padTop, padLeft, wp, planeFloats, dx + <usize>n * sampleIn);
  }
}

/** One tile's 5 rows over every 8-column panel of dy_n, each row added into dxPad at its own offset (`rowOffsets`). */
function scatterTile(
  pa: usize, dyn: usize, lastB: usize, filters: i32, plane: i32, dxPad: usize, rowOffsets: usize,
  gap: i32, panels: i32, table: usize, scratch: usize,
): void {
  const o0 = dxPad + <usize>load<i32>(rowOffsets), o1 = dxPad + <usize>load<i32>(rowOffsets, 4);
  const o2 = dxPad + <usize>load<i32>(rowOffsets, 8), o3 = dxPad + <usize>load<i32>(rowOffsets, 12);
  const o4 = dxPad + <usize>load<i32>(rowOffsets, 16);
  const full = plane / NR, pbStep = <usize>plane << 2;
  for (let q = 0; q < full; q++) {
    const at = <usize>load<i32>(table + (<usize>q << 3)) << 2;
    const b = load<i32>(table + (<usize>q << 3), 4);
    const pb = dyn + (<usize>(q * NR) << 2);
    if (b == NR) addTileWhole(pa, pb, pbStep, filters, o0 + at, o1 + at, o2 + at, o3 + at, o4 + at);
    else addTileSplit(pa, pb, pbStep, filters, o0 + at, o1 + at, o2 + at, o3 + at, o4 + at, b, <usize>gap << 2);
  }
  if (full == panels) return;
  // The last, partial panel: the tile into the zeroed scratch (0 + s = s, the same bits), then lane by lane.
  const at = load<i32>(table + (<usize>full << 3)), b = load<i32>(table + (<usize>full << 3), 4);
  memory.fill(scratch, 0, <usize>(ROWS * NR) << 2);
  addTileWhole(pa, lastB, NR << 2, filters, scratch, scratch + 32, scratch + 64, scratch + 96, scratch + 128);
  const nr = plane - full * NR;
  for (let r = 0; r < ROWS; r++) {
    const t = scratch + (<usize>r << 5), row = dxPad + <usize>load<i32>(rowOffsets + (<usize>r << 2)) + (<usize>at << 2);
    for (let l = 0; l < nr; l++) {
      const cell = row + (<usize>(l < b ? l : l + gap) << 2);
      store<f32>(cell, load<f32>(cell) + load<f32>(t + (<usize>l << 2)));
    }
  }
}

/**
 * A full panel inside one output row: the 5×8 tile Σ_f Wᵀ[rows, f]·dy_n[f, panel] from zero, row r added at d_r.
 * addTileSplit repeats the loop on purpose, as the 4×8 kernel does (one function with both endings compiled worse).
 */
function addTileWhole(pa: usize, pb: usize, pbStep: usize, kc: i32, d0: usize, d1: usize, d2: usize, d3: usize, d4: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  for (const paEnd = pa + (<usize>kc << 5); pa < paEnd; ) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const v = v128.load(pa);
    const a4 = v128.load32_splat(pa, 16);
    let a = i32x4.shuffle(v, v, 0, 0, 0, 0);
    c00 = madd(c00, a, b0);
    c01 = madd(c01, a, b1);
    a = i32x4.shuffle(v, v, 1, 1, 1, 1);
    c10 = madd(c10, a, b0);
    c11 = madd(c11, a, b1);
    a = i32x4.shuffle(v, v, 2, 2, 2, 2);
    c20 = madd(c20, a, b0);
    c21 = madd(c21, a, b1);
    a = i32x4.shuffle(v, v, 3, 3, 3, 3);
    c30 = madd(c30, a, b0);
    c31 = madd(c31, a, b1);
    c40 = madd(c40, a4, b0);
    c41 = madd(c41, a4, b1);
    pa += STEP << 2;
    pb += pbStep;
  }
  addRow(d0, c00, c01); addRow(d1, c10, c11); addRow(d2, c20, c21); addRow(d3, c30, c31); addRow(d4, c40, c41);
}

/** A full panel whose output row ends after lane b (0 < b < 8): as addTileWhole, lanes [b, 8) at d_r + gap (addRowSplit). */
function addTileSplit(
  pa: usize, pb: usize, pbStep: usize, kc: i32, d0: usize, d1: usize, d2: usize, d3: usize, d4: usize, b: i32, gap: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  for (const paEnd = pa + (<usize>kc << 5); pa < paEnd; ) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const v = v128.load(pa);
    const a4 = v128.load32_splat(pa, 16);
    let a = i32x4.shuffle(v, v, 0, 0, 0, 0);
    c00 = madd(c00, a, b0);
    c01 = madd(c01, a, b1);
    a = i32x4.shuffle(v, v, 1, 1, 1, 1);
    c10 = madd(c10, a, b0);
    c11 = madd(c11, a, b1);
    a = i32x4.shuffle(v, v, 2, 2, 2, 2);
    c20 = madd(c20, a, b0);
    c21 = madd(c21, a, b1);
    a = i32x4.shuffle(v, v, 3, 3, 3, 3);
    c30 = madd(c30, a, b0);
    c31 = madd(c31, a, b1);
    c40 = madd(c40, a4, b0);
    c41 = madd(c41, a4, b1);
    pa += STEP << 2;
    pb += pbStep;
  }
  const split = i32x4.splat(b);
  const m0 = i32x4.lt_s(i32x4(0, 1, 2, 3), split), m1 = i32x4.lt_s(i32x4(4, 5, 6, 7), split);
  addRowSplit(d0, gap, b, m0, m1, c00, c01);
  addRowSplit(d1, gap, b, m0, m1, c10, c11);
  addRowSplit(d2, gap, b, m0, m1, c20, c21);
  addRowSplit(d3, gap, b, m0, m1, c30, c31);
  addRowSplit(d4, gap, b, m0, m1, c40, c41);
}

/**
 * packA[(i·F + f)·8 + r] = W[f, c, t] for tile i's row r = Wᵀ's row 5i + r in (t, c) order (c = row mod C,
 * t = row / C); 0 for rows past C·taps and in lanes 5..7. Once per call.
 */
function packTiles(w: usize, filters: i32, channels: i32, taps: i32, tiles: i32, dst: usize): void {
  const k = channels * taps, rows = channels * taps;
  for (let i = 0; i < tiles; i++) {
    for (let f = 0; f < filters; f++) {
      const d = dst + (<usize>((i * filters + f) * STEP) << 2);
      for (let r = 0; r < STEP; r++) {
        const row = i * ROWS + r;
        const t = row / channels, c = row - t * channels;
        const v: f32 = r < ROWS && row < rows ? load<f32>(w + (<usize>(f * k + c * taps + t) << 2)) : 0;
        store<f32>(d + (<usize>r << 2), v);
      }
    }
  }
}

/** offsets[5i + r] = bytes from dxPad to row (c, t)'s first target: plane c at (ky, kx); past C·taps the spare plane C. */
function fillRowOffsets(channels: i32, taps: i32, tiles: i32, kernelW: i32, wp: i32, planeFloats: i32, offsets: usize): void {
  for (let row = 0; row < tiles * ROWS; row++) {
    const t = row / channels, c = row - t * channels;
    const ky = t / kernelW, kx = t - ky * kernelW;
    const floats = t < taps ? c * planeFloats + ky * wp + kx : channels * planeFloats;
    store<i32>(offsets + (<usize>row << 2), floats << 2);
  }
}
