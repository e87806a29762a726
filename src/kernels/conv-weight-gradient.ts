/**
 * Conv2D backward's weight and bias gradients:
 *
 *   dW += Σ_n dy_n · cols_nᵀ        [F × C·kh·kw]      (dy_n: sample n's [F × P] block of dy, NCHW)
 *   db += Σ_{n, p} dy[n, ·, p]
 *
 * wasm SIMD when loaded and one sample's patches fit a thread's buffer (wasm/gemm-wasm.ts
 * convWeightGradientWasm): per sample, patches built from x, so the layer's forward need not write the
 * batch's column matrix at all (weightGradientReadsInput); a mostly-zero dy (Conv2D → ReLU → MaxPool) takes the
 * zero-skipping kernel there (wasm/conv-weight-gradient-sparse.ts). Otherwise the batch-wide path: cols = im2col(x)
 * unless the caller already filled it, dy rearranged to [F × N·P] (db on the way), one A·Bᵀ product.
 */
import { kernelState } from './backend';
import { bufferNow, type BufferOnDemand } from './buffer-on-demand';
import type { WindowGeometry } from './conv-geometry';
import { matmulTransB } from './gemm';
import { im2col } from './im2col';
import { batchToFilterRows } from './layout';
import { convWeightGradientFits, convWeightGradientWasm } from './wasm/gemm-wasm';

/** Whether convWeightGradient reads x (not cols) for this window: then the forward may skip im2col. */
export function weightGradientReadsInput(g: WindowGeometry): boolean {
  return kernelState.backend === 'wasm' && convWeightGradientFits(g);
}

/**
 * dW (and db when `biasGrad` is given) += the gradients above. `cols` ([C·kh·kw × N·P]) and `dyRows`
 * ([F × N·P]) are the batch-wide path's buffers (asked for only when that path runs: BufferOnDemand),
 * `colsFilled` whether cols already holds im2col(x).
 */
export function convWeightGradient(
  dy: Float32Array, x: Float32Array, dw: Float32Array, biasGrad: Float32Array | undefined, filters: number,
  g: WindowGeometry, colsOnDemand: BufferOnDemand, colsFilled: boolean, dyRowsOnDemand: BufferOnDemand,
): void {
  if (weightGradientReadsInput(g) && convWeightGradientWasm(dy, x, dw, biasGrad, filters, g)) return;
  const cols = bufferNow(colsOnDemand), dyRows = bufferNow(dyRowsOnDemand);
  const plane = g.outH * g.outW, columns = g.batch * plane;
  batchToFilterRows(dy, dyRows, filters, g.batch, plane, biasGrad);
  if (!colsFilled) im2col(x, cols, g);
  matmulTransB(dyRows, cols, dw, filters, columns, g.channels * g.kernelH * g.kernelW, true);
}
