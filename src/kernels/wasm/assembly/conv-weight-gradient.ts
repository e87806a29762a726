// Conv2D backward's weight gradient, one sample at a time, from the input x itself:
//
//   dW[F × K] += Σ_{n = 0..N−1, in order} dy_n[F × P] · patches_nᵀ        (columns [j0, j1) of dW)
//
// (K = C·kh·kw, P = outH·outW; dy_n is sample n's block of dy, already [F × P] row-major in NCHW; patches_n
// is sample n's im2col [K × P], built from x by conv-patches.ts.) Before (issue 13) the layer wrote im2col
// of the whole batch in the forward (31 MB at batch 100 for the default model's second Conv2D), rearranged
// dy into [F × N·P] (batchToFilterRows) and ran one A·Bᵀ product over k = N·P. Here a thread builds only
// its own rows [j0, j1) of a sample's patches (313 KB there, in L2) and adds that sample's product into
// its columns of dW right away: no batch-sized matrix, no rearranged dy.
//
// Determinism: threads split dW by columns, never by samples; each column's sum walks the samples in
// order. With the packed GEMM (gemm.ts: acc = C, then madd over p in order) every element's chain is
// exactly the old one over q = n·P + p, so the bits equal the batch-wide product's. With the dot kernel
// (gemm-abt.ts, `dot`) each sample's dot is folded and added to dW: a different (fixed) order.
import { gemm } from './gemm';
import { gemmAbt } from './gemm-abt';
import { padSample, patchRow, patchRowPadded } from './conv-patches';

export function convWeightGradient(
  dy: usize, x: usize, dw: usize, filters: i32,
  channels: i32, height: i32, width: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32,
  padTop: i32, padLeft: i32, outH: i32, outW: i32, batch: i32, j0: i32, j1: i32, dot: bool, ws: usize,
  patches: usize, patchFloats: i32,
): void {
  const k = channels * kernelH * kernelW, plane = outH * outW;
  if (j0 >= j1 || filters <= 0 || plane <= 0 || j1 > k) return;
  const rowBytes = <usize>plane << 2;
  // Row j of the patches at patches + (j − j0)·rowBytes: B's rows as the kernels address them from `b`
  // (wasm addresses wrap modulo 2³², so b + j·rowBytes lands back in the buffer).
  const b = patches - <usize>j0 * rowBytes;
  // The fast patch rows (conv-patches.ts: one f32x4 run per window row from a zero-padded copy of the
  // sample, 4 floats of overshoot after the last row) when stride 1 along W and the copy fits after them.
  const hp = (outH - 1) * strideH + kernelH, wp = outW - 1 + kernelW;
  const padded = patches + <usize>(j1 - j0) * rowBytes + 16;
  const fast = strideW == 1 && (j1 - j0) * plane + 8 + channels * hp * wp <= patchFloats;
  for (let n = 0; n < batch; n++) {
    const xn = x + ((<usize>n * <usize>(channels * height * width)) << 2);
    if (fast) {
      padSample(xn, channels, height, width, padTop, padLeft, hp, wp, padded);
      paddedPatches(padded, hp, wp, kernelH, kernelW, strideH, outH, outW, j0, j1, patches);
    } else {
      plainPatches(xn, height, width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outW, plane, j0, j1, patches);
    }
    const dyn = dy + ((<usize>n * <usize>filters * <usize>plane) << 2);
    if (dot) gemmAbt(dyn, plane, b, plane, dw, k, plane, 0, filters, j0, j1, true, ws);
    else gemm(dyn, plane, 1, b, 1, plane, dw, k, plane, 0, filters, j0, j1, true, ws);
  }
}

/** Patch rows [j0, j1) of one sample from its padded copy (patchRowPadded), in increasing j (see its overshoot). */
function paddedPatches(
  padded: usize, hp: i32, wp: i32, kernelH: i32, kernelW: i32, strideH: i32, outH: i32, outW: i32, j0: i32, j1: i32, dst: usize,
): void {
  const khw = kernelH * kernelW, rowBytes = <usize>(outH * outW) << 2;
  for (let j = j0; j < j1; j++) {
    const c = j / khw, r = j - c * khw, ky = r / kernelW, kx = r - ky * kernelW;
    patchRowPadded(padded + (<usize>(c * hp * wp) << 2), wp, ky, kx, strideH, outH, outW, dst + <usize>(j - j0) * rowBytes);
  }
}

/** Patch rows [j0, j1) of one sample straight from x (patchRow: any stride, no padded copy). */
function plainPatches(
  xn: usize, height: i32, width: i32, kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
  outW: i32, plane: i32, j0: i32, j1: i32, dst: usize,
): void {
  const khw = kernelH * kernelW, planeIn = height * width, rowBytes = <usize>plane << 2;
  for (let j = j0; j < j1; j++) {
    const c = j / khw, r = j - c * khw, ky = r / kernelW, kx = r - ky * kernelW;
    patchRow(xn + (<usize>(c * planeIn) << 2), height, width, ky, kx, strideH, strideW, padTop, padLeft, outW, 0, plane,
      dst + <usize>(j - j0) * rowBytes);
  }
}

/**
 * biasGrad[f] += Σ_n Σ_p dy[n, f, p]: four f32 lanes (p ≡ l mod 4 of every sample, in sample order), the
 * P mod 4 tail in order, folded ((l0 + l1) + (l2 + l3)) + t. Run by one thread.
 */
export function convBiasGradient(dy: usize, biasGrad: usize, filters: i32, plane: i32, batch: i32): void {
  const p4 = plane & ~3;
  for (let f = 0; f < filters; f++) {
    let lanes = f32x4.splat(0);
    let t: f32 = 0;
    for (let n = 0; n < batch; n++) {
      const row = dy + ((<usize>(n * filters + f) * <usize>plane) << 2);
      for (let p = 0; p < p4; p += 4) lanes = f32x4.add(lanes, v128.load(row + (<usize>p << 2)));
      for (let p = p4; p < plane; p++) t += load<f32>(row + (<usize>p << 2));
    }
    const s = (f32x4.extract_lane(lanes, 0) + f32x4.extract_lane(lanes, 1)) + (f32x4.extract_lane(lanes, 2) + f32x4.extract_lane(lanes, 3)) + t;
    const bp = biasGrad + (<usize>f << 2);
    store<f32>(bp, load<f32>(bp) + s);
  }
}
