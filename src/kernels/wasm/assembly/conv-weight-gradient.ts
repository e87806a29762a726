// Conv2D backward's weight gradient, one sample at a time, from the input x itself:
//
//   dW[F × K] += Σ_{n = 0..N−1, in order} dy_n[F × P] · patches_nᵀ        (a block [i0, i1) × [j0, j1) of dW)
//
// (K = C·kh·kw, P = outH·outW; dy_n is sample n's block of dy, already [F × P] row-major in NCHW; patches_n
// is sample n's im2col [K × P].) Two paths, the caller's choice (gemm-wasm.ts):
//
// - The in-place GEMM (inPlaceProduct). No operand is packed: the 4×8 micro-kernel (kernel4x8Rows) reads
//   four rows of dy_n in place (one pointer per row: the four A values of a sum step are load-splats anyway)
//   and B from the sample's patchesᵀ [P × K], whose row p holds a panel's eight dW columns side by side.
//   That layout is what a window gives: row p is, for each (c, ky), the kw neighbouring pixels
//   x[c, oy·sh + ky − padTop, ox·sw + kx − padLeft], one run of the zero-padded sample whatever the
//   strides (buildPatchesT). (Issue 13N; 13G built the rows of patches_n and the GEMM driver then packed
//   them into B panels and dy_n into A blocks every sample.) Each element's sum is
//     acc = dW;  for n in order, for p = 0..P−1 in order: acc = madd(acc, dy[n, f, p], patch[n, j, p])
//   (stored to dW and reloaded between blocks of p, exact in f32): the sequence of the batch-wide A·Bᵀ
//   GEMM before issue 13G and of 13G's per-sample one, so the same bits as both.
// - The dot-product path for a small dW (dotProduct, gemm-abt.ts's tiles), lanes kept over the samples.
// - Windows 5 wide, FMA build: dWᵀ by kw-runs read in place from the padded sample against dy transposed
//   (runsProduct, conv-weight-gradient-runs.ts: no patch copied; the in-place GEMM's bits). Issue 13R.
//
// Either way a thread computes a block of dW for all samples in order, so the bits do not depend on the
// thread split, the block sizes, or whether a tile is an edge (edges run the same kernel on a copy).
//
// The bias gradient rides along (`biasGrad` ≠ 0; filters [i0, i1)): while sample n's dy is in cache, each
// filter's four f32 lanes (p ≡ l mod 4 of every sample, in order) and its P mod 4 tail grow in the
// workspace; at the end they fold ((l0 + l1) + (l2 + l3)) + t into biasGrad — the order of the separate
// pass over dy this replaces (one read of dy less: 2.5–6.9 MB at batch 100 on the MNIST models).
import { MR, NR, WORKSPACE_FLOATS } from './gemm';
import { abtLanes } from './gemm-abt';
import { padSample, patchRow, patchRowPadded } from './conv-patches';
import { RUN_WIDTH, runsBufferFloats, runsProduct } from './conv-weight-gradient-runs';

/** The window's geometry, handed down as one value; unmanaged, at the start of the thread's workspace. */
@unmanaged class Window {
  channels: i32; height: i32; width: i32; kernelH: i32; kernelW: i32;
  strideH: i32; strideW: i32; padTop: i32; padLeft: i32; outH: i32; outW: i32;
  /** The zero-padded sample's plane (padSample). */
  hp: i32; wp: i32;
}
/** Bytes reserved for the Window at the start of the workspace. */
const WINDOW_BYTES: i32 = 64;

/** Floats of one thread's patch buffer (512 KiB, allocated by the JS side, gemm-wasm.ts). */
const PATCH_FLOATS: i32 = 128 << 10;
/**
 * Most sum steps (rows of patchesᵀ) per block: one 8-column panel of a block (kc lines of 64 bytes) stays
 * in L1 while every row block of dy (F rows × kc floats) streams past it.
 */
const KC_ROWS: i32 = 256;
/** Floats of slack after the padded sample and the patch rows: f32x4 runs read and write up to 3 past their end. */
const SLACK: i32 = 4;

export function convWeightGradientPatchFloats(): i32 {
  return PATCH_FLOATS;
}

/** The paths: the in-place GEMM, the dot-product path for a small dW, the kw = 5 runs (conv-weight-gradient-runs.ts). */
const PATH_IN_PLACE: i32 = 0, PATH_DOT: i32 = 1, PATH_RUNS: i32 = 2;

/**
 * Whether one thread's buffers hold what `path` needs for this window with all of dW on one thread: in
 * the patch buffer, for the in-place GEMM the padded sample and one row of patchesᵀ, for the dot path the
 * sample's K patch rows, for the runs the padded sample, dyᵀ and dWᵀ (runsBufferFloats); in the GEMM
 * workspace the window, the bias lanes and the edge tile or the dot path's lanes (20 bytes per output).
 */
export function convWeightGradientFits(
  filters: i32, channels: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, outH: i32, outW: i32, path: i32,
): bool {
  const k = channels * kernelH * kernelW, dot = path == PATH_DOT;
  const scratch = <i64>WINDOW_BYTES + <i64>filters * 20 + (dot ? <i64>filters * <i64>k * 20 : <i64>(MR * NR * 4));
  if (scratch > <i64>WORKSPACE_FLOATS * 4) return false;
  if (dot) return <i64>k * <i64>(outH * outW) + 2 * SLACK <= PATCH_FLOATS;
  const hp = (outH - 1) * strideH + kernelH, wp = (outW - 1) * strideW + kernelW;
  if (path == PATH_RUNS) return ASC_FEATURE_RELAXED_SIMD && kernelW == RUN_WIDTH && runsBufferFloats(filters, channels * kernelH, channels, hp, wp, outH * outW) <= PATCH_FLOATS;
  return <i64>paddedFloats(channels, kernelH, kernelW, strideH, strideW, outH, outW) + rowPitch(k) <= PATCH_FLOATS;
}

/** The padded sample's floats (padSample), with SLACK. */
// @ts-ignore: decorator
@inline function paddedFloats(channels: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, outH: i32, outW: i32): i32 {
  return channels * ((outH - 1) * strideH + kernelH) * ((outW - 1) * strideW + kernelW) + SLACK;
}

/** Floats per row of patchesᵀ for `cols` columns: whole 8-column panels, with at least 3 floats of padding (buildPatchesT). */
// @ts-ignore: decorator
@inline function rowPitch(cols: i32): i32 {
  return (cols + 3 + NR - 1) & ~(NR - 1);
}

/**
 * dW[i0..i1) × [j0..j1) += the sum above and, when biasGrad ≠ 0, biasGrad += Σ_{n,p} dy[n, ·, p]. `path`
 * (the caller's choice): the in-place GEMM (0), dotProduct for a small dW (1), or runsProduct for kw = 5
 * (2). `ws` is the thread's GEMM workspace, `patches` its patch buffer (PATCH_FLOATS floats).
 */
export function convWeightGradient(
  dy: usize, x: usize, dw: usize, biasGrad: usize, filters: i32,
  channels: i32, height: i32, width: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, batch: i32, i0: i32, i1: i32, j0: i32, j1: i32, path: i32,
  ws: usize, patches: usize,
): void {
  const k = channels * kernelH * kernelW, plane = outH * outW;
  if (filters <= 0 || plane <= 0 || j1 > k || i1 > filters) return;
  if (!convWeightGradientFits(filters, channels, kernelH, kernelW, strideH, strideW, outH, outW, path)) return;
  const g = changetype<Window>(ws);
  g.channels = channels; g.height = height; g.width = width; g.kernelH = kernelH; g.kernelW = kernelW;
  g.strideH = strideH; g.strideW = strideW; g.padTop = padTop; g.padLeft = padLeft; g.outH = outH; g.outW = outW;
  g.hp = (outH - 1) * strideH + kernelH;
  g.wp = (outW - 1) * strideW + kernelW;
  const biasLanes = biasGrad == 0 ? <usize>0 : ws + <usize>WINDOW_BYTES;
  const scratch = ws + <usize>WINDOW_BYTES + <usize>filters * 20;
  if (biasLanes != 0) memory.fill(biasLanes, 0, <usize>filters * 20);
  const rows = max(0, i1 - i0);
  if (i0 >= i1 || j0 >= j1) {
    for (let n = 0; biasLanes != 0 && n < batch; n++) addBiasLanes(dy + ((<usize>n * <usize>filters * <usize>plane) << 2), i0, rows, plane, biasLanes);
  } else if (path == PATH_DOT) {
    dotProduct(g, dy, x, dw, filters, batch, i0, i1, j0, j1, biasLanes, scratch, patches);
  } else if (path == PATH_RUNS) {
    runsProduct(dy, x, dw, filters, batch, i0, i1, j0, j1, channels, height, width, kernelH, strideH, strideW, padTop, padLeft,
      outH, outW, g.hp, g.wp, biasLanes, patches);
  } else {
    inPlaceProduct(g, dy, x, dw, filters, batch, i0, i1, j0, j1, biasLanes, scratch, patches);
  }
  if (biasLanes != 0) foldBiasLanes(biasLanes, rows, biasGrad + (<usize>i0 << 2));
}

/**
 * The in-place GEMM: per sample, the padded sample, then block by block of kc sum steps, its patchesᵀ
 * rows for columns [j0, j1) and their product with dy's rows [i0, i1) into dW; then the bias lanes.
 */
function inPlaceProduct(
  g: Window, dy: usize, x: usize, dw: usize, filters: i32, batch: i32, i0: i32, i1: i32, j0: i32, j1: i32,
  biasLanes: usize, tile: usize, patches: usize,
): void {
  const k = g.channels * g.kernelH * g.kernelW, plane = g.outH * g.outW;
  const cols = j1 - j0, ld = rowPitch(cols);
  const padded = patches, paddedSize = paddedFloats(g.channels, g.kernelH, g.kernelW, g.strideH, g.strideW, g.outH, g.outW);
  const patchesT = padded + (<usize>paddedSize << 2);
  // Rows of patchesᵀ that fit after the padded sample (at least one: convWeightGradientFits).
  const kcStep = min(KC_ROWS, min(plane, (PATCH_FLOATS - paddedSize) / ld));
  const ldc = <usize>k << 2, rowBytes = <usize>plane << 2;
  const dwBlock = dw + <usize>i0 * ldc + (<usize>j0 << 2);
  // The rows' padding past the runs' overshoot: never written by buildPatchesT, so zeroed once here.
  for (let p = 0; p < kcStep; p++) memory.fill(patchesT + <usize>(p * ld + cols) * 4, 0, <usize>(ld - cols) << 2);
  for (let n = 0; n < batch; n++) {
    const dyn = dy + <usize>n * <usize>filters * rowBytes;
    const xn = x + ((<usize>n * <usize>(g.channels * g.height * g.width)) << 2);
    padSample(xn, g.channels, g.height, g.width, g.padTop, g.padLeft, g.hp, g.wp, padded);
    for (let pc = 0; pc < plane; pc += kcStep) {
      const kc = min(kcStep, plane - pc);
      buildPatchesT(padded, g.hp, g.wp, g.kernelH, g.kernelW, g.strideH, g.strideW, g.outW, pc, kc, j0, j1, ld, patchesT);
      blockProduct(dyn + <usize>i0 * rowBytes + (<usize>pc << 2), rowBytes, i1 - i0, patchesT, <usize>ld << 2, kc, cols, dwBlock, ldc, tile);
    }
    if (biasLanes != 0) addBiasLanes(dyn, i0, i1 - i0, plane, biasLanes);
  }
}

/**
 * dW's block at `c` (rows × width, rows ldc bytes apart) += A·B over kc sum steps: A's 4-row blocks read in
 * place from dy (rows `rowBytes` apart), B from patchesᵀ (rows `pbStep` bytes apart, panel q at column 8q).
 * Panel by panel, every row block against it. Edge tiles (rows mod 4, width mod 8) run the same kernel on a
 * copy in `tile`: the missing A rows repeat row 0, the missing B columns are patchesᵀ's padding; neither is stored.
 */
function blockProduct(
  a: usize, rowBytes: usize, rows: i32, pb: usize, pbStep: usize, kc: i32, width: i32, c: usize, ldc: usize, tile: usize,
): void {
  for (let jr = 0; jr < width; jr += NR) {
    const nr = min(NR, width - jr);
    const b = pb + (<usize>jr << 2);
    for (let i = 0; i < rows; i += MR) {
      const mr = min(MR, rows - i);
      const a0 = a + <usize>i * rowBytes;
      const a1 = mr > 1 ? a0 + rowBytes : a0, a2 = mr > 2 ? a1 + rowBytes : a0, a3 = mr > 3 ? a2 + rowBytes : a0;
      const cTile = c + <usize>i * ldc + (<usize>jr << 2);
      if (mr == MR && nr == NR) {
        kernel4x8Rows(a0, a1, a2, a3, b, pbStep, kc, cTile, ldc);
      } else {
        copyTile(cTile, ldc, tile, NR << 2, mr, nr);
        kernel4x8Rows(a0, a1, a2, a3, b, pbStep, kc, tile, NR << 2);
        copyTile(tile, NR << 2, cTile, ldc, mr, nr);
      }
    }
  }
}

/**
 * C[4×8] += Σ_p A[:, p]·B[p, :] with A's four rows read in place (a0..a3, 4 bytes per step) and B's row p
 * at b + p·pbStep. gemm.ts's kernel4x8 (same registers: 8 accumulators, 2 B vectors, 1 splat; same madd
 * per element) but for the A pointers: four integer adds per step instead of one, which on this x64 run
 * beside the vector arithmetic.
 */
// @ts-ignore: decorator
@inline function kernel4x8Rows(a0: usize, a1: usize, a2: usize, a3: usize, b: usize, pbStep: usize, kc: i32, c: usize, ldc: usize): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let c00 = v128.load(c), c01 = v128.load(c, 16);
  let c10 = v128.load(c1), c11 = v128.load(c1, 16);
  let c20 = v128.load(c2), c21 = v128.load(c2, 16);
  let c30 = v128.load(c3), c31 = v128.load(c3, 16);
  for (const end = a0 + (<usize>kc << 2); a0 < end; ) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let a = v128.load32_splat(a0);
    c00 = madd(c00, a, b0);
    c01 = madd(c01, a, b1);
    a = v128.load32_splat(a1);
    c10 = madd(c10, a, b0);
    c11 = madd(c11, a, b1);
    a = v128.load32_splat(a2);
    c20 = madd(c20, a, b0);
    c21 = madd(c21, a, b1);
    a = v128.load32_splat(a3);
    c30 = madd(c30, a, b0);
    c31 = madd(c31, a, b1);
    a0 += 4; a1 += 4; a2 += 4; a3 += 4;
    b += pbStep;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
}

/** Copies rows × cols floats (≤ 4 × 8): element moves, as memory.copy is a runtime call costing more than this. */
function copyTile(src: usize, srcStride: usize, dst: usize, dstStride: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * srcStride, d = dst + <usize>r * dstStride;
    for (let j = 0; j < cols; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + (<usize>j << 2)));
  }
}

/**
 * Rows [pc, pc + kc) of the sample's patchesᵀ, columns [j0, j1), from its padded copy (padSample):
 *   dst[(p − pc)·ld + j − j0] = padded[c, oy·strideH + ky, ox·strideW + kx],  j = (c·kh + ky)·kw + kx,  p = oy·outW + ox
 * Row p's columns are runs of kw pixels, one per (c, ky) (clipped at j0 and j1). Run by run, in increasing
 * j, every row of the block gets its copy (runColumn): each run's f32x4 moves overshoot by ≤ 3 floats into
 * the next run's place, written after it, or into the row's padding [j1 − j0, ld), which holds at least 3
 * floats (rowPitch; only edge tiles read it, into columns they do not store); reads past the padded
 * sample's end land in SLACK.
 */
export function buildPatchesT(
  padded: usize, hp: i32, wp: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, outW: i32,
  pc: i32, kc: i32, j0: i32, j1: i32, ld: i32, dst: usize,
): void {
  const khw = kernelH * kernelW;
  const ldBytes = <usize>ld << 2;
  for (let base = j0 - j0 % kernelW; base < j1; base += kernelW) {
    const run = base / kernelW, c = run / kernelH, ky = run - c * kernelH;
    const kxa = max(0, j0 - base), kxb = min(kernelW, j1 - base);
    const src = padded + (<usize>((c * hp + ky) * wp + kxa) << 2);
    runColumn(src, wp, strideH, strideW, outW, pc, kc, (kxb - kxa + 3) >> 2, dst + (<usize>(base + kxa - j0) << 2), ldBytes);
  }
}

/**
 * One run's `vectors` f32x4 moves into rows [pc, pc + kc) (dst, ldBytes apart): row p = oy·outW + ox reads
 * from src + (oy·strideH·wp + ox·strideW) floats. Output row by output row, the moves spelled out for the
 * usual 1 and 2 vectors (kw ≤ 8).
 */
function runColumn(src: usize, wp: i32, strideH: i32, strideW: i32, outW: i32, pc: i32, kc: i32, vectors: i32, dst: usize, ldBytes: usize): void {
  const step = <usize>strideW << 2, rowBytes = <usize>(strideH * wp) << 2;
  let oy = pc / outW, ox = pc - oy * outW, d = dst;
  for (let left = kc; left > 0; ) {
    const count = min(left, outW - ox);
    let s = src + <usize>oy * rowBytes + <usize>ox * step;
    const end = s + <usize>count * step;
    if (vectors == 1) {
      for (; s < end; s += step) { v128.store(d, v128.load(s)); d += ldBytes; }
    } else if (vectors == 2) {
      for (; s < end; s += step) { v128.store(d, v128.load(s)); v128.store(d, v128.load(s, 16), 16); d += ldBytes; }
    } else {
      const bytes = <usize>vectors << 4;
      for (; s < end; s += step) {
        for (let i: usize = 0; i < bytes; i += 16) v128.store(d + i, v128.load(s + i));
        d += ldBytes;
      }
    }
    left -= count;
    ox = 0;
    oy++;
  }
}

/**
 * The dot-product path for a small dW (gemm-abt.ts's tiles: no packing, which would cost as much as the
 * arithmetic when F·K is a few hundred outputs): per sample, the patch rows [j0, j1) ([cols × P], contiguous
 * along p like dy's rows), then abtLanes adds the sample's products over p < P − P mod 4 into each output's
 * four lanes and the last P mod 4 go, in order, into its tail; lanes and tails persist over the samples and
 * fold once at the end: dW += ((l0 + l1) + (l2 + l3)) + t. (With P mod 4 = 0 that is the order of the
 * batch-wide gemmAbt product before issue 13G over k = N·P; 13G folded every sample.)
 */
function dotProduct(
  g: Window, dy: usize, x: usize, dw: usize, filters: i32, batch: i32, i0: i32, i1: i32, j0: i32, j1: i32,
  biasLanes: usize, lanes: usize, patches: usize,
): void {
  const k = g.channels * g.kernelH * g.kernelW, plane = g.outH * g.outW, p4 = plane & ~3;
  const outputs = <usize>(i1 - i0) * <usize>(j1 - j0);
  const tails = lanes + (outputs << 4);
  memory.fill(lanes, 0, outputs * 20);
  const rowBytes = <usize>plane << 2;
  // Row j of the patches at b + j·rowBytes (wasm addresses wrap modulo 2³², so b + j·rowBytes lands in the buffer).
  const b = patches - <usize>j0 * rowBytes;
  const padded = patches + <usize>(j1 - j0) * rowBytes + (<usize>SLACK << 2);
  const fast = g.strideW == 1 && (j1 - j0) * plane + 2 * SLACK + g.channels * g.hp * g.wp <= PATCH_FLOATS;
  for (let n = 0; n < batch; n++) {
    const xn = x + ((<usize>n * <usize>(g.channels * g.height * g.width)) << 2);
    if (fast) {
      padSample(xn, g.channels, g.height, g.width, g.padTop, g.padLeft, g.hp, g.wp, padded);
      paddedPatches(g, padded, j0, j1, patches);
    } else {
      plainPatches(g, xn, j0, j1, patches);
    }
    const dyn = dy + <usize>n * <usize>filters * rowBytes;
    abtLanes(dyn, plane, b, plane, p4, i0, i1, j0, j1, lanes);
    if (p4 < plane) addTails(dyn, b, rowBytes, p4, plane, i0, i1, j0, j1, tails);
    if (biasLanes != 0) addBiasLanes(dyn, i0, i1 - i0, plane, biasLanes);
  }
  const ldc = <usize>k << 2;
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < j1; j++) {
      const o = <usize>(i - i0) * <usize>(j1 - j0) + <usize>(j - j0);
      const v = v128.load(lanes + (o << 4));
      const s = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3)) + load<f32>(tails + (o << 2));
      const cp = dw + <usize>i * ldc + (<usize>j << 2);
      store<f32>(cp, load<f32>(cp) + s);
    }
  }
}

/** Each output's tail += its products over p in [p4, plane), in order. */
function addTails(dyn: usize, b: usize, rowBytes: usize, p4: i32, plane: i32, i0: i32, i1: i32, j0: i32, j1: i32, tails: usize): void {
  for (let i = i0; i < i1; i++) {
    const ai = dyn + <usize>i * rowBytes;
    for (let j = j0; j < j1; j++) {
      const bj = b + <usize>j * rowBytes, tp = tails + ((<usize>(i - i0) * <usize>(j1 - j0) + <usize>(j - j0)) << 2);
      let t = load<f32>(tp);
      for (let p = p4; p < plane; p++) t += load<f32>(ai + (<usize>p << 2)) * load<f32>(bj + (<usize>p << 2));
      store<f32>(tp, t);
    }
  }
}

/** Patch rows [j0, j1) of one sample from its padded copy (patchRowPadded), in increasing j (see its overshoot). */
function paddedPatches(g: Window, padded: usize, j0: i32, j1: i32, dst: usize): void {
  const khw = g.kernelH * g.kernelW, rowBytes = <usize>(g.outH * g.outW) << 2;
  for (let j = j0; j < j1; j++) {
    const c = j / khw, r = j - c * khw, ky = r / g.kernelW, kx = r - ky * g.kernelW;
    patchRowPadded(padded + (<usize>(c * g.hp * g.wp) << 2), g.wp, ky, kx, g.strideH, g.outH, g.outW, dst + <usize>(j - j0) * rowBytes);
  }
}

/** Patch rows [j0, j1) of one sample straight from x (patchRow: any stride, no padded copy). */
function plainPatches(g: Window, xn: usize, j0: i32, j1: i32, dst: usize): void {
  const khw = g.kernelH * g.kernelW, planeIn = g.height * g.width, plane = g.outH * g.outW, rowBytes = <usize>plane << 2;
  for (let j = j0; j < j1; j++) {
    const c = j / khw, r = j - c * khw, ky = r / g.kernelW, kx = r - ky * g.kernelW;
    patchRow(xn + (<usize>(c * planeIn) << 2), g.height, g.width, ky, kx, g.strideH, g.strideW, g.padTop, g.padLeft, g.outW, 0, plane,
      dst + <usize>(j - j0) * rowBytes);
  }
}

/** The bias gradient's lanes (4 floats per filter, then one tail float per filter) of filters [f0, f0 + rows) += sample dy_n's sums. */
function addBiasLanes(dyn: usize, f0: i32, rows: i32, plane: i32, lanes: usize): void {
  const p4 = plane & ~3;
  const tails = lanes + (<usize>rows << 4);
  for (let f = 0; f < rows; f++) {
    const row = dyn + ((<usize>(f0 + f) * <usize>plane) << 2);
    const lp = lanes + (<usize>f << 4), tp = tails + (<usize>f << 2);
    let l = v128.load(lp);
    for (let p = 0; p < p4; p += 4) l = f32x4.add(l, v128.load(row + (<usize>p << 2)));
    v128.store(lp, l);
    let t = load<f32>(tp);
    for (let p = p4; p < plane; p++) t += load<f32>(row + (<usize>p << 2));
    store<f32>(tp, t);
  }
}

/** biasGrad[f] += ((l0 + l1) + (l2 + l3)) + t for each of `rows` filters' lanes. */
function foldBiasLanes(lanes: usize, rows: i32, biasGrad: usize): void {
  const tails = lanes + (<usize>rows << 4);
  for (let f = 0; f < rows; f++) {
    const l = v128.load(lanes + (<usize>f << 4));
    const s = (f32x4.extract_lane(l, 0) + f32x4.extract_lane(l, 1)) + (f32x4.extract_lane(l, 2) + f32x4.extract_lane(l, 3)) +
      load<f32>(tails + (<usize>f << 2));
    const bp = biasGrad + (<usize>f << 2);
    store<f32>(bp, load<f32>(bp) + s);
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
