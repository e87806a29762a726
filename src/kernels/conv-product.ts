/**
 * Conv2D forward's product, written straight into the NCHW output with the bias:
 *
 *   y[n, f, j] = bias[f] + Σ_{p < K} W[f, p] · cols[p, n·P + j]        (cols = im2col(x) of the batch, [K × N·P])
 *
 * i.e. W·cols for the whole batch without the [F × N·P] product and the transpose pass that followed it.
 * wasm SIMD when loaded (assembly/conv-product.ts: an implicit GEMM that builds each sample's patches from
 * x in cache rather than reading cols back from memory; samples split over the threads), else a TypeScript
 * loop over cols. The caller fills cols = im2col(x, g) either way (Conv2D's backward needs it); the wasm
 * kernel's patches are copies of the same values, so both paths compute the same sums.
 * Summation order: the bias first, then p = 0..K−1 (float32 in wasm).
 */
import { kernelState } from './backend';
import type { WindowGeometry } from './conv-geometry';
import { convForwardProductWasm } from './wasm/gemm-wasm';

export function convForwardProduct(
  w: Float32Array, x: Float32Array, cols: Float32Array, y: Float32Array, bias: Float32Array | undefined,
  filters: number, g: WindowGeometry,
): void {
  if (kernelState.backend === 'wasm' && convForwardProductWasm(w, x, y, bias, filters, g)) return;
  const k = g.channels * g.kernelH * g.kernelW, plane = g.outH * g.outW, batch = g.batch;
  const columns = batch * plane;
  for (let n = 0; n < batch; n++) {
    for (let f = 0; f < filters; f++) {
      const row = (n * filters + f) * plane;
      y.fill(bias ? bias[f] : 0, row, row + plane);
      for (let p = 0; p < k; p++) {
        const wfp = w[f * k + p];
        const c = p * columns + n * plane;
        for (let j = 0; j < plane; j++) y[row + j] += wfp * cols[c + j];
      }
    }
  }
}
