// Conv2D backward's input gradient, one sample at a time:
//
//   dcols_n[K × P] = Wᵀ[K × F] · dy_n[F × P]        dx[n] = col2im(dcols_n)        for n in [n0, n1)
//
// (K = C·kh·kw, P = outH·outW; dy_n is sample n's block of dy, already [F × P] row-major in NCHW.)
// Before (issue 13), the layer computed Wᵀ·dY for the whole batch into a [K × N·P] matrix and col2im read it
// back: for the default model's second Conv2D that matrix is 400 × 19,600 floats (31 MB at batch 100),
// written once and read once through memory. Here a sample's dcols (313 KB there) lives in the thread's
// workspace, in cache, and col2im consumes it right away; the batch-sized matrix is never made.
// Same bits as before: every dcols element is the GEMM's instruction sequence (acc = 0, then madd over
// f = 0..F−1 in order, one sum block: F ≤ the workspace's budget) and col2im adds rows in the same order.
// A sample's bits depend on nothing but its own operands, so any split of samples over threads agrees.
// Stride-1 windows go to conv-input-gradient-scatter.ts (col2im fused into the tile store, the same bits)
// where it fits and measured faster (scatterFits).
import { MR, NR, WORKSPACE_FLOATS, microTile, packRowsA } from './gemm';
import { col2im } from './conv';
import { convInputGradientScatter, scatterFits } from './conv-input-gradient-scatter';
import { convInputGradientScatter5, scatter5Fits } from './conv-input-gradient-scatter-5rows';

/**
 * Floats of workspace the kernel needs for these sizes (tile, packed Wᵀ, one sample's dy padded to whole
 * 8-column panels, one sample's dcols); past the workspace (and where the scatter kernel does not fit either,
 * convInputGradientTakes) the JS side runs its per-sample fallback.
 */
export function convInputGradientFloats(k: i32, filters: i32, plane: i32): i32 {
  const rowBlocks = (k + MR - 1) / MR;
  const ld = (plane + NR - 1) & ~(NR - 1);
  return MR * NR + rowBlocks * MR * filters + filters * ld + k * plane;
}

/** Whether convInputGradient takes these sizes: the scatter kernel's (stride 1) or this one's workspace fits. */
export function convInputGradientTakes(
  filters: i32, channels: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, outH: i32, outW: i32,
): bool {
  return scatterFits(filters, channels, kernelH, kernelW, strideH, strideW, outH, outW) ||
    convInputGradientFloats(channels * kernelH * kernelW, filters, outH * outW) <= WORKSPACE_FLOATS;
}

/** dx[n] for n in [n0, n1): stride 1 goes to the scatter kernel (conv-input-gradient-scatter.ts) when it fits. */
export function convInputGradient(
  w: usize, dy: usize, dx: usize, filters: i32,
  channels: i32, height: i32, width: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, n0: i32, n1: i32, ws: usize,
): void {
  if (n0 < n1 && outH > 0 && outW > 0 && scatterFits(filters, channels, kernelH, kernelW, strideH, strideW, outH, outW)) {
    // The FMA build's 5×8 tile where C ≥ 5 (10 chains: 0.85–0.97× the 4×8 kernel's time, the same bits), else the 4×8 one.
    if (scatter5Fits(filters, channels, kernelH, kernelW, outH, outW)) {
      convInputGradientScatter5(w, dy, dx, filters, channels, height, width, kernelH, kernelW, padTop, padLeft, outH, outW, n0, n1, ws);
    } else {
      convInputGradientScatter(w, dy, dx, filters, channels, height, width, kernelH, kernelW, padTop, padLeft, outH, outW, n0, n1, ws);
    }
    return;
  }
  const k = channels * kernelH * kernelW, plane = outH * outW;
  if (n0 >= n1 || k <= 0 || plane <= 0 || convInputGradientFloats(k, filters, plane) > WORKSPACE_FLOATS) return;
  const ld = (plane + NR - 1) & ~(NR - 1);
  const tile = ws;
  const packA = tile + (<usize>(MR * NR) << 2);
  const dyPad = packA + (<usize>(((k + MR - 1) / MR) * MR * filters) << 2);
  const dcols = dyPad + (<usize>(filters * ld) << 2);
  // Wᵀ's rows are W's columns: A(i, f) = w[f·K + i] (row stride 1, column stride K), packed once per call.
  for (let ic = 0; ic < k; ic += MR) packRowsA(w, 1, k, ic, min(MR, k - ic), 0, filters, packA + (<usize>(ic * filters) << 2));
  const sampleIn = <usize>(channels * height * width) << 2;
  for (let n = n0; n < n1; n++) {
    copyPadded(dy + ((<usize>n * <usize>filters * <usize>plane) << 2), filters, plane, ld, dyPad);
    sampleProduct(packA, dyPad, dcols, k, filters, plane, ld, tile);
    col2im(dcols, dx + <usize>n * sampleIn, 1, channels, height, width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW, 0, 1);
  }
}

/**
 * dcols[K × P] (row-major, `plane` floats a row: col2im's layout for one sample) = packed Wᵀ · dyPad. A 4-row
 * block of packed Wᵀ (4·F floats) meets every panel of the sample's dy (F·ld floats, in L1) in turn.
 */
function sampleProduct(packA: usize, dyPad: usize, dcols: usize, k: i32, filters: i32, plane: i32, ld: i32, tile: usize): void {
  const ldc = <usize>plane << 2;
  const pbStep = <usize>ld << 2;
  for (let ic = 0; ic < k; ic += MR) {
    const mr = min(MR, k - ic);
    const pa = packA + (<usize>(ic * filters) << 2);
    const cRow = dcols + <usize>ic * ldc;
    for (let jr = 0; jr < plane; jr += NR) {
      microTile(pa, dyPad + (<usize>jr << 2), pbStep, filters, cRow + (<usize>jr << 2), ldc, mr, min(NR, plane - jr), false, 0, tile);
    }
  }
}

/** dst[r·ld + j] = src[r·plane + j] for j < plane, 0 for plane ≤ j < ld: whole 8-column panels for the micro-kernels. */
function copyPadded(src: usize, rows: i32, plane: i32, ld: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>(r * plane) << 2), d = dst + (<usize>(r * ld) << 2);
    let j = 0;
    for (; j + 4 <= plane; j += 4) v128.store(d + (<usize>j << 2), v128.load(s + (<usize>j << 2)));
    for (; j < plane; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + (<usize>j << 2)));
    for (; j < ld; j++) store<f32>(d + (<usize>j << 2), 0);
  }
}
