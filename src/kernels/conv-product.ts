/**
 * Conv2D forward's product, written straight into the NCHW output with the bias:
 *
 *   y[n, f, j] = bias[f] + Σ_{p < K} W[f, p] · cols[p, n·P + j]        (cols = im2col(x) of the batch, [K × N·P])
 *
 * i.e. W·cols for the whole batch without the [F × N·P] product and the transpose pass that followed it.
 * wasm SIMD when loaded (assembly/conv-product.ts: an implicit GEMM that builds each sample's patches from
 * x in cache rather than reading cols back from memory; samples split over the threads), else a TypeScript
 * loop over cols. The wasm kernel's patches are copies of cols' values, so both paths compute the same sums.
 * `colsFilled`: whether the caller already filled cols = im2col(x, g) (Conv2D does in training: backward's dW
 * reads them); when not (inference), the wasm path never builds them and the TypeScript loop fills them first.
 * `cols` may be deferred (BufferOnDemand): only the TypeScript loop asks for it.
 * Summation order: the bias first, then p = 0..K−1 (float32 in wasm).
 */
import { kernelState } from './backend';
import { bufferNow, type BufferOnDemand } from './buffer-on-demand';
import type { WindowGeometry } from './conv-geometry';
import { im2col } from './im2col';
import { convForwardProductWasm } from './wasm/gemm-wasm';

export function convForwardProduct(
  w: Float32Array, x: Float32Array, colsOnDemand: BufferOnDemand, y: Float32Array, bias: Float32Array | undefined,
  filters: number, g: WindowGeometry, colsFilled = true,
): void {
  if (kernelState.backend === 'wasm' && convForwardProductWasm(w, x, y, bias, filters, g)) return;
  const cols = bufferNow(colsOnDemand);
  if (!colsFilled) im2col(x, cols, g);
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
