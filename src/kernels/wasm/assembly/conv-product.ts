// Conv2D forward's product written straight into the layer's NCHW output, bias included:
//
//   y[n, f, 0..P) = bias[f] + W[F × K] · patches_n[K × P]      for n in [n0, n1)
//
// where patches_n is sample n's im2col (row p = (c, ky, kx), column j = oy·outW + ox). An implicit GEMM
// (issue 13): this kernel builds each sample's patch rows from the input x itself (conv-patches.ts) into
// its workspace, where the GEMM's micro-kernels (gemm.ts) read them in place as their B panels. The layer
// still runs im2col for its backward (dW needs cols), but the forward no longer reads that [K × N·P]
// matrix back: for the default model's second Conv2D it is 31 MB at batch 100, read in runs of P floats
// N·P·4 bytes apart, which cost ~15 % of the product in cache misses, while a sample of x is 12.5 KB.
// Against the GEMM driver called per sample (what this replaced), also: W is packed once per call (per row
// chunk and sum block), not once per sample; the accumulators start from the bias in registers, not from
// a bias-filled y read back; the patch rows are written once, not copied again into packed panels (with
// K = 25 that copy cost as much as building them); two panels at a time meet every row block, so their
// patch rows stay in L1; F = 30's last two rows take a 2×16 kernel (a 2×8 one runs at half rate).
// Each sample's block of y is a row-major [F × P] matrix written in place: no [F × N·P] product and no
// transpose pass. Every element is bias (or 0), then madd over p = 0..K−1 in order, blocked along K
// through y exactly as the GEMM does — the same instruction sequence whichever thread runs the sample.
import { KC, MR, NR, NC_MAX, WORKSPACE_FLOATS, kernel2x16, microTile, packRowsA } from './gemm';
import { padSampleInterior, patchRow, patchRowPaddedUnrolled } from './conv-patches';

/**
 * The window's geometry, handed down as one value (x's planes are height × width, NCHW). Unmanaged and
 * placed in the thread's workspace: the kernels allocate nothing.
 */
@unmanaged class Window {
  channels: i32; height: i32; width: i32; kernelH: i32; kernelW: i32;
  strideH: i32; strideW: i32; padTop: i32; padLeft: i32; outH: i32; outW: i32;
  /** The padded sample's plane size (padSample), or hp = 0 when patch rows are built from x directly. */
  hp: i32; wp: i32;
  /** The padded sample (0 when hp = 0). */
  padded: usize;
}
/** Bytes reserved for the Window at the start of the workspace. */
const WINDOW_BYTES: i32 = 64;

/** The padded sample's budget in floats (128 KB): a larger sample builds its patch rows from x (patchRow). */
const PADDED_FLOATS: i32 = 32 << 10;

/** Packed W's budget in floats (256 KB, in L2 beside a sample's packed B): rows of W per chunk = this / kc. */
const PACK_A_FLOATS: i32 = 64 << 10;
/** Most rows of W in one chunk: bounds the padded bias copy. */
const MC_MAX: i32 = 256;
/** Two samples' last ≤ 4 columns side by side (kc rows of one 8-column panel), and their 4×8 tile of y. */
const TAILS_FLOATS: i32 = KC * NR + MR * NR;
/**
 * What is left of the GEMM workspace for one sample's patch rows (after the window, tile, bias, padded
 * sample, packed W and the paired tails), less a panel's width of slack for the last row's overshoot.
 */
const PATCH_FLOATS: i32 = WORKSPACE_FLOATS - WINDOW_BYTES / 4 - MR * NR - MC_MAX - PADDED_FLOATS - PACK_A_FLOATS - TAILS_FLOATS - NR;

export function convForwardProduct(
  w: usize, x: usize, y: usize, bias: usize, filters: i32,
  channels: i32, height: i32, width: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, n0: i32, n1: i32, ws: usize,
): void {
  const k = channels * kernelH * kernelW, plane = outH * outW;
  if (n0 >= n1 || filters <= 0 || plane <= 0) return;
  const window = changetype<Window>(ws);
  window.channels = channels; window.height = height; window.width = width;
  window.kernelH = kernelH; window.kernelW = kernelW; window.strideH = strideH; window.strideW = strideW;
  window.padTop = padTop; window.padLeft = padLeft; window.outH = outH; window.outW = outW;
  const tile = ws + <usize>WINDOW_BYTES;
  const biasPad = tile + (<usize>(MR * NR) << 2);
  const padded = biasPad + (<usize>MC_MAX << 2);
  const packA = padded + (<usize>PADDED_FLOATS << 2);
  const tails = packA + (<usize>PACK_A_FLOATS << 2);
  const patches = tails + (<usize>TAILS_FLOATS << 2);
  const kBlocks = max(1, (k + KC - 1) / KC);
  const kcStep = max(1, (k + kBlocks - 1) / kBlocks);
  const mcStep = min(MC_MAX, max(MR, (PACK_A_FLOATS / kcStep) & ~(MR - 1)));
  const ncStep = min(NC_MAX, max(NR, (PATCH_FLOATS / kcStep) & ~(NR - 1)));
  // The fast patch rows (one f32x4 run per window row, from a padded copy of the sample): stride 1 along W,
  // the whole plane in one column block, the padded sample (+ 4 floats of overshoot) within its budget.
  const hp = (outH - 1) * strideH + kernelH, wp = outW - 1 + kernelW;
  const fast = strideW == 1 && plane <= ncStep && channels * hp * wp + 4 <= PADDED_FLOATS;
  window.hp = fast ? hp : 0;
  window.wp = wp;
  window.padded = padded;
  // A plane ending on a panel of ≤ 4 columns (196 = 24·8 + 4: the default model's second Conv2D) leaves that
  // panel to the 4×4 kernel, which runs at half rate; instead two samples' tails make one 8-column panel for
  // the 4×8 kernel (pairedTails). Each element keeps its instruction sequence: the same bits.
  const tw = plane & (NR - 1), ld = (plane + NR - 1) & ~(NR - 1);
  const pairTails = fast && tw != 0 && tw <= NR / 2;
  // The padding is the same zeros for every sample: written once here, then each sample copies only x's rows.
  if (fast) zeroFloats(padded, channels * hp * wp + 4);
  for (let ic0 = 0; ic0 < filters; ic0 += mcStep) {
    const mc = min(mcStep, filters - ic0);
    if (bias != 0) copyBiasPadded(bias + (<usize>ic0 << 2), mc, biasPad);
    // (k = 0 still runs one empty sum block: y is then the bias, or zero.)
    for (let pc = 0; pc < max(k, 1); pc += kcStep) {
      const kc = min(kcStep, k - pc);
      for (let ic = 0; ic < mc; ic += MR) {
        packRowsA(w, k, 1, ic0 + ic, min(MR, mc - ic), pc, kc, packA + (<usize>(ic * kc) << 2));
      }
      const rowInit = pc == 0 && bias != 0 ? biasPad : <usize>0;
      let pending: usize = 0;
      for (let n = n0; n < n1; n++) {
        const yChunk = y + ((<usize>n * <usize>filters + <usize>ic0) * <usize>plane << 2);
        const xn = x + ((<usize>n * <usize>channels * <usize>(height * width)) << 2);
        if (fast) padSampleInterior(xn, channels, height, width, padTop, padLeft, hp, wp, padded);
        sampleBlock(window, xn, pc, packA, patches, yChunk, plane, mc, kc, ncStep, pc > 0, rowInit, tile, pairTails ? tw : 0);
        if (!pairTails) continue;
        // This sample's last tw columns join the pending one's in the tail panel; two make a full panel.
        copyTail(patches + (<usize>(plane - tw) << 2), <usize>ld << 2, kc, tails + (pending != 0 ? 16 : 0));
        if (pending == 0) { pending = yChunk; continue; }
        pairedTails(packA, tails, kc, mc, pending, yChunk, plane, tw, pc > 0, rowInit, tile);
        pending = 0;
      }
      if (pending != 0) lastTail(packA, tails, kc, mc, pending, plane, tw, pc > 0, rowInit, tile);
    }
  }
}


/**
 * One sample's rows [0, mc) of the chunk (y at `yChunk`, row-major with `plane` columns) from packed W
 * (4-row blocks of kc) and the sample's patch rows [pc, pc + kc), column block by column block.
 */
function sampleBlock(
  g: Window, xn: usize, pc: i32, packA: usize, patches: usize, yChunk: usize, plane: i32, mc: i32,
  kc: i32, ncStep: i32, load: bool, rowInit: usize, tile: usize, skip: i32,
): void {
  const ldy = <usize>plane << 2;
  for (let jc = 0; jc < plane; jc += ncStep) {
    const nb = min(ncStep, plane - jc);
    const ld = (nb + NR - 1) & ~(NR - 1);
    buildPatchRows(g, xn, pc, kc, jc, nb, ld, patches);
    const step = <usize>ld << 2;
    // (The plane's last `skip` columns are the caller's: pairedTails.)
    const nc = jc + nb == plane ? nb - skip : nb;
    // Two panels (16 columns) at a time against every row block: their patch rows (kc lines) stay in L1
    // while packed W streams from L2.
    for (let jr = 0; jr < nc; jr += 2 * NR) {
      const pb = patches + (<usize>jr << 2);
      const yCol = yChunk + (<usize>(jc + jr) << 2);
      for (let ic = 0; ic < mc; ic += MR) {
        const mr = min(MR, mc - ic);
        const pa = packA + (<usize>(ic * kc) << 2);
        const yTile = yCol + <usize>ic * ldy;
        const init = rowInit == 0 ? <usize>0 : rowInit + (<usize>ic << 2);
        if (mr == 2 && jr + 2 * NR <= nc) {
          // (Two rows: both panels at once, for enough accumulators; see kernel2x16.)
          kernel2x16(pa, pb, pb + (<usize>NR << 2), step, kc, yTile, ldy, load, init);
          continue;
        }
        microTile(pa, pb, step, kc, yTile, ldy, mr, min(NR, nc - jr), load, init, tile);
        if (jr + NR < nc) {
          microTile(pa, pb + (<usize>NR << 2), step, kc, yTile + (<usize>NR << 2), ldy, mr, min(NR, nc - jr - NR), load, init, tile);
        }
      }
    }
  }
}

/** The kc rows' 4 floats at src (row step `rowBytes`) into one half of the tail panel (rows of 8 floats). */
function copyTail(src: usize, rowBytes: usize, kc: i32, dst: usize): void {
  for (let p = 0; p < kc; p++) v128.store(dst + (<usize>p << 5), v128.load(src + <usize>p * rowBytes));
}

/**
 * The last tw ≤ 4 columns of two samples' rows [0, mc) (y chunks `yA`, `yB`) from the tail panel (A's in
 * columns 0..3, B's in 4..7): one 4×8 micro-kernel on a tile per row block, the tile's halves copied in
 * (when accumulating) and out. Per element the same instruction sequence as the 4×4 kernel on one sample.
 */
function pairedTails(
  packA: usize, tails: usize, kc: i32, mc: i32, yA: usize, yB: usize, plane: i32, tw: i32, load: bool,
  rowInit: usize, tile: usize,
): void {
  const ldy = <usize>plane << 2, col = <usize>(plane - tw) << 2;
  const ct = tails + (<usize>(KC * NR) << 2);
  for (let ic = 0; ic < mc; ic += MR) {
    const mr = min(MR, mc - ic);
    const a = yA + col + <usize>ic * ldy, b = yB + col + <usize>ic * ldy;
    const init = rowInit == 0 ? <usize>0 : rowInit + (<usize>ic << 2);
    if (load) {
      copyFloats(a, ldy, ct, NR << 2, mr, tw);
      copyFloats(b, ldy, ct + 16, NR << 2, mr, tw);
    }
    microTile(packA + (<usize>(ic * kc) << 2), tails, NR << 2, kc, ct, NR << 2, mr, NR, load, init, tile);
    copyFloats(ct, NR << 2, a, ldy, mr, tw);
    copyFloats(ct + 16, NR << 2, b, ldy, mr, tw);
  }
}

/** A range's unpaired last sample (y chunk `yA`): its tail from the panel's left half, as sampleBlock would. */
function lastTail(
  packA: usize, tails: usize, kc: i32, mc: i32, yA: usize, plane: i32, tw: i32, load: bool, rowInit: usize, tile: usize,
): void {
  const ldy = <usize>plane << 2, col = <usize>(plane - tw) << 2;
  for (let ic = 0; ic < mc; ic += MR) {
    const init = rowInit == 0 ? <usize>0 : rowInit + (<usize>ic << 2);
    microTile(packA + (<usize>(ic * kc) << 2), tails, NR << 2, kc, yA + col + <usize>ic * ldy, ldy, min(MR, mc - ic), tw, load, init, tile);
  }
}

/** rows × cols floats from src to dst (row steps in bytes). */
function copyFloats(src: usize, srcStride: usize, dst: usize, dstStride: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * srcStride, d = dst + <usize>r * dstStride;
    for (let j = 0; j < cols; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + (<usize>j << 2)));
  }
}

/**
 * The sample's patch rows [pc, pc + kc) × columns [jc, jc + nc), row p at dst + p·ld floats (ld = nc rounded
 * up to a whole 8-column panel, zero past nc): the micro-kernels read them in place as their B panels
 * (pbStep = ld·4), so each value is written once (with K = 25, dealing rows out to packed panels cost as
 * much again as building them).
 */
function buildPatchRows(g: Window, xn: usize, pc: i32, kc: i32, jc: i32, nc: i32, ld: i32, dst: usize): void {
  if (g.hp != 0) {
    buildPaddedPatchRows(g, pc, kc, nc, ld, dst);
    return;
  }
  const planeBytes = <usize>(g.height * g.width) << 2;
  const taps = g.kernelH * g.kernelW;
  for (let p = 0; p < kc; p++) {
    const q = pc + p;
    const c = q / taps, t = q - c * taps;
    const ky = t / g.kernelW, kx = t - ky * g.kernelW;
    const row = dst + (<usize>(p * ld) << 2);
    patchRow(xn + <usize>c * planeBytes, g.height, g.width, ky, kx, g.strideH, g.strideW, g.padTop, g.padLeft, g.outW, jc, jc + nc, row);
    for (let j = nc; j < ld; j++) store<f32>(row + (<usize>j << 2), 0);
  }
}

/**
 * buildPatchRows from the padded sample (the whole plane in one column block, jc = 0): each row one
 * patchRowPaddedUnrolled, (c, ky, kx) stepped rather than divided out per row, the panel's tail [nc, ld)
 * zeroed with f32x4 stores after the row (≤ 7 floats; what spills past ld, like the row's own overshoot of
 * ≤ 3 floats, is overwritten by the next row, the last row's lands in the workspace's slack).
 */
function buildPaddedPatchRows(g: Window, pc: i32, kc: i32, nc: i32, ld: i32, dst: usize): void {
  const taps = g.kernelH * g.kernelW, kw = g.kernelW, kh = g.kernelH;
  const planeBytes = <usize>(g.hp * g.wp) << 2;
  let c = pc / taps;
  const t = pc - c * taps;
  let ky = t / kw, kx = t - ky * kw;
  let plane = g.padded + <usize>c * planeBytes;
  let row = dst;
  const rowBytes = <usize>ld << 2, tail = <usize>nc << 2;
  const zero = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    patchRowPaddedUnrolled(plane, g.wp, ky, kx, g.strideH, g.outH, g.outW, row);
    for (let j = tail; j < rowBytes; j += 16) v128.store(row + j, zero);
    if (++kx == kw) {
      kx = 0;
      if (++ky == kh) { ky = 0; plane += planeBytes; }
    }
    row += rowBytes;
  }
}

/** dst[0..n) = 0. */
function zeroFloats(dst: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), zero);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/** dst[0..mc) = bias[0..mc), then zeros up to the next multiple of 4: each row block reads 4 values. */
function copyBiasPadded(bias: usize, mc: i32, dst: usize): void {
  for (let i = 0; i < mc; i++) store<f32>(dst + (<usize>i << 2), load<f32>(bias + (<usize>i << 2)));
  for (let i = mc; i < ((mc + MR - 1) & ~(MR - 1)); i++) store<f32>(dst + (<usize>i << 2), 0);
}
