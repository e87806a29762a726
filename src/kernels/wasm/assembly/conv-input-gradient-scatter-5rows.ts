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
// Rows are Wᵀ's rows (c, t), taken per channel group (≥ 5 channels each, fillRowMap) in (t, c) order —
// tap-major, channel fastest — 5 at a time (a group's last tile padded with zero rows that add into a spare
// plane). A tile's 5 rows are then 5 different channels, so its epilogue is the 4×8 kernel's, row by row,
// each row into its own plane at its tap's offset, and a dx cell (plane c) still takes its taps in (ky, kx)
// order, one tile after another. The groups keep the planes in use few (as the 4×8 kernel's 4-channel
// blocks do): with all 16 at once, 28×28 planes ran 1.02× the 4×8 kernel, grouped 0.95×. No channel is
// padded (the 4×8 kernel computes C = 7 as 8).
// The loop runs at ~44 GFLOP/s here against the 4×8's ~42.5; the epilogue is not what is left (dropping it
// changed nothing): 10 FMAs, 4 loads, 4 shuffles and the loop's own 4 ops per step, which V8 does not unroll.
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

/**
 * Channel groups: ⌊C/8⌋ (at least 1) of near-equal sizes, each ≥ 5 channels. A group's rows are run tile after
 * tile before the next group's, so only its planes of dxPad (8 of the default conv 2's 16: 12 KB) and dy_n share L1.
 */
// @ts-ignore: decorator
@inline function groupCount(channels: i32): i32 {
  return max(1, channels / 8);
}

/** Group g's first channel (g = groups: C). */
// @ts-ignore: decorator
@inline function groupStart(channels: i32, groups: i32, g: i32): i32 {
  return g * channels / groups;
}

/** Tiles of 5 rows: each group's C_g·kh·kw rows, its last tile padded. */
function tileCount(channels: i32, taps: i32): i32 {
  const groups = groupCount(channels);
  let tiles = 0;
  for (let g = 0; g < groups; g++) {
    const size = groupStart(channels, groups, g + 1) - groupStart(channels, groups, g);
    tiles += (size * taps + ROWS - 1) / ROWS;
  }
  return tiles;
}

/** Workspace floats: scratch tile, packed Wᵀ, dxPad (C planes + a spare), the last panel, panel table, row map and offsets. */
export function scatter5Floats(filters: i32, channels: i32, kernelH: i32, kernelW: i32, outH: i32, outW: i32): i64 {
  const tiles = <i64>tileCount(channels, kernelH * kernelW);
  const wp = outW + gapFor(kernelW);
  const panels = <i64>((outH * outW + NR - 1) / NR);
  return <i64>(ROWS * NR) + tiles * <i64>(filters * STEP) + <i64>(channels + 1) * padPlaneFloats(kernelH, outH, wp) +
    <i64>(filters * NR) + 2 * panels + 2 * tiles * ROWS;
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
  const rowMap = table + (<usize>(2 * panels) << 2);
  const offsets = rowMap + (<usize>(tiles * ROWS) << 2);
  fillRowMap(channels, taps, rowMap);
  packTiles(w, filters, channels, taps, tiles, rowMap, packA);
  fillRowOffsets(channels, taps, tiles, kernelW, wp, planeFloats, rowMap, offsets);
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
 * rowMap[5i + r] = c·taps + t for tile i's row r: per channel group (groupCount), Wᵀ's rows (c, t) in (t, c)
 * order — tap-major, channel fastest — then −1 up to the group's last whole tile. A group has ≥ 5 channels,
 * so a tile's rows are distinct channels.
 */
function fillRowMap(channels: i32, taps: i32, rowMap: usize): void {
  const groups = groupCount(channels);
  let row = 0;
  for (let g = 0; g < groups; g++) {
    const c0 = groupStart(channels, groups, g), c1 = groupStart(channels, groups, g + 1);
    for (let t = 0; t < taps; t++) {
      for (let c = c0; c < c1; c++, row++) store<i32>(rowMap + (<usize>row << 2), c * taps + t);
    }
    for (; row % ROWS != 0; row++) store<i32>(rowMap + (<usize>row << 2), -1);
  }
}

/** packA[(i·F + f)·8 + r] = W[f, c, t] for tile i's row r = (c, t) (rowMap); 0 for padding rows and lanes 5..7. Once per call. */
function packTiles(w: usize, filters: i32, channels: i32, taps: i32, tiles: i32, rowMap: usize, dst: usize): void {
  const k = channels * taps;
  memory.fill(dst, 0, <usize>(tiles * filters * STEP) << 2);
  for (let row = 0; row < tiles * ROWS; row++) {
    const j = load<i32>(rowMap + (<usize>row << 2));
    if (j < 0) continue;
    const i = row / ROWS, r = row - i * ROWS;
    const d = dst + (<usize>(i * filters * STEP + r) << 2), s = w + (<usize>j << 2);
    for (let f = 0; f < filters; f++) store<f32>(d + (<usize>(f * STEP) << 2), load<f32>(s + (<usize>(f * k) << 2)));
  }
}

/** offsets[5i + r] = bytes from dxPad to row (c, t)'s first target: plane c at (ky, kx); padding rows the spare plane C. */
function fillRowOffsets(
  channels: i32, taps: i32, tiles: i32, kernelW: i32, wp: i32, planeFloats: i32, rowMap: usize, offsets: usize,
): void {
  for (let row = 0; row < tiles * ROWS; row++) {
    const j = load<i32>(rowMap + (<usize>row << 2));
    const c = j / taps, t = j - c * taps;
    const ky = t / kernelW, kx = t - ky * kernelW;
    const floats = j >= 0 ? c * planeFloats + ky * wp + kx : channels * planeFloats;
    store<i32>(offsets + (<usize>row << 2), floats << 2);
  }
}
