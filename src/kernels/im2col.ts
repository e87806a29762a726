/**
 * im2col / col2im: unroll the sliding windows of an NCHW batch into one matrix so that a whole
 * batch of convolutions becomes ONE matrix product (W[F × C·kh·kw] · cols → [F × N·outH·outW]).
 *
 * Column-matrix layout (row-major), for the whole batch at once:
 *   rows    r = (c·kh + ky)·kw + kx                 (C·kh·kw rows, the order of W's [F, C, kh, kw])
 *   columns q = (n·outH + oy)·outW + ox            (N·outH·outW columns)
 *   cols[r·(N·outH·outW) + q] = x[n, c, oy·sh − padTop + ky, ox·sw − padLeft + kx]   (0 outside)
 *
 * One big GEMM over the batch beats N small ones (the GEMM kernels amortise packing and loop
 * overhead over the long column dimension), and each row is written by contiguous runs along ox.
 * The bottom/right padding is implied by outH/outW, so asymmetric ('same') padding needs no extra
 * field. Plain TypeScript; the signature (Float32Arrays + a WindowGeometry) lets a WebAssembly SIMD
 * version replace it without touching Conv2D. `reference.ts` holds the obviously-correct loops.
 *
 * im2col and col2im are a deliberate adjoint pair: the same window walk, one copying out, one adding back.
 */
import { kernelState } from './backend';
import type { WindowGeometry } from './conv-geometry';
import { col2imWasm, im2colWasm } from './wasm/memory-bound';

/** Fills `cols` ([C·kh·kw × N·outH·outW]) from `x` ([N, C, H, W]). */
export function im2col(x: Float32Array, cols: Float32Array, g: WindowGeometry): void {
  // The wasm SIMD version when loaded (same layout, see src/kernels/wasm/assembly/conv.ts).
  if (kernelState.backend === 'wasm' && im2colWasm(x, cols, g)) return;
  const { batch, channels, inH: height, inW: width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW } = g;
  const planeOut = outH * outW;
  const rowLength = batch * planeOut;
  const planeIn = height * width;
  for (let c = 0; c < channels; c++) {
    for (let ky = 0; ky < kernelH; ky++) {
      for (let kx = 0; kx < kernelW; kx++) {
        const row = ((c * kernelH + ky) * kernelW + kx) * rowLength;
        // The ox range whose input column lies inside the image, so the inner loop has no branch.
        const oxLo = firstValid(kx - padLeft, strideW, outW);
        const oxHi = endValid(kx - padLeft, strideW, width, outW, oxLo);
        for (let n = 0; n < batch; n++) {
          const plane = (n * channels + c) * planeIn;
          let q = row + n * planeOut;
          for (let oy = 0; oy < outH; oy++, q += outW) {
            const iy = oy * strideH - padTop + ky;
            if (iy < 0 || iy >= height) {
              cols.fill(0, q, q + outW);
              continue;
            }
            const src = plane + iy * width + kx - padLeft;
            for (let ox = 0; ox < oxLo; ox++) cols[q + ox] = 0;
            for (let ox = oxLo; ox < oxHi; ox++) cols[q + ox] = x[src + ox * strideW];
            for (let ox = oxHi; ox < outW; ox++) cols[q + ox] = 0;
          }
        }
      }
    }
  }
}

/**
 * (Its window walk repeats im2col's on purpose: a deliberate adjoint pair, each one hot loop.)
 * The adjoint of im2col: OVERWRITES `x` ([N, C, H, W]) with the sum, over every window cell that
 * reads an input pixel, of the matching entry of `cols` (padding cells are dropped). This is the
 * gradient dx = col2im(dcols) of Conv2D's backward.
 */
export function col2im(cols: Float32Array, x: Float32Array, g: WindowGeometry): void {
  if (kernelState.backend === 'wasm' && col2imWasm(cols, x, g)) return;
  const { batch, channels, inH: height, inW: width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW } = g;
  const planeOut = outH * outW;
  const rowLength = batch * planeOut;
  const planeIn = height * width;
  x.fill(0, 0, batch * channels * planeIn);
  for (let c = 0; c < channels; c++) {
    for (let ky = 0; ky < kernelH; ky++) {
      for (let kx = 0; kx < kernelW; kx++) {
        const row = ((c * kernelH + ky) * kernelW + kx) * rowLength;
        const oxLo = firstValid(kx - padLeft, strideW, outW);
        const oxHi = endValid(kx - padLeft, strideW, width, outW, oxLo);
        for (let n = 0; n < batch; n++) {
          const plane = (n * channels + c) * planeIn;
          let q = row + n * planeOut;
          for (let oy = 0; oy < outH; oy++, q += outW) {
            const iy = oy * strideH - padTop + ky;
            if (iy < 0 || iy >= height) continue;
            const dst = plane + iy * width + kx - padLeft;
            for (let ox = oxLo; ox < oxHi; ox++) x[dst + ox * strideW] += cols[q + ox];
          }
        }
      }
    }
  }
}

/**
 * [firstValid, endValid): the outputs ox in [0, outW) with 0 ≤ offset + ox·stride < size, i.e. the
 * window positions whose cell at this kernel offset reads a real pixel rather than padding.
 */
function firstValid(offset: number, stride: number, outW: number): number {
  // offset + ox·stride ≥ 0  ⇔  ox ≥ ⌈−offset / stride⌉
  return Math.min(outW, Math.max(0, Math.ceil(-offset / stride)));
}

function endValid(offset: number, stride: number, size: number, outW: number, lo: number): number {
  // offset + ox·stride ≤ size − 1  ⇔  ox ≤ ⌊(size − 1 − offset) / stride⌋
  return Math.max(lo, Math.min(outW, Math.floor((size - 1 - offset) / stride) + 1));
}
