/**
 * Conv2D backward's input gradient, one sample at a time:
 *
 *   dx[n] = col2im(Wᵀ · dy_n)        dy_n = sample n's [F × P] block of dy (NCHW), W [F × C·kh·kw]
 *
 * The sample's column gradient [C·kh·kw × P] is consumed by col2im while it is still in cache, so no
 * batch-sized [C·kh·kw × N·P] matrix is written and read back (31 MB at batch 100 for the default model's
 * second Conv2D). wasm SIMD when loaded (assembly/conv-input-gradient.ts: the sample's dcols in the thread's
 * workspace, samples split whole over the threads; for stride 1 conv-input-gradient-scatter.ts adds each tile
 * of Wᵀ·dy_n into dx as it is computed, no dcols, same bits); else, or when one sample does not fit that workspace,
 * matmulTransA + col2im per sample through `sampleCols` ([C·kh·kw × P] floats, the caller's, asked for only then).
 * Each dcols element sums f = 0..F−1 in order; col2im adds the rows (c, ky, kx) in order.
 */
import { kernelState } from './backend';
import { bufferNow, type BufferOnDemand } from './buffer-on-demand';
import { withBatch, type WindowGeometry } from './conv-geometry';
import { matmulTransA } from './gemm';
import { col2im } from './im2col';
import { convInputGradientWasm } from './wasm/gemm-wasm';

export function convInputGradient(
  w: Float32Array, dy: Float32Array, dx: Float32Array, filters: number, g: WindowGeometry, sampleColsOnDemand: BufferOnDemand,
): void {
  if (kernelState.backend === 'wasm' && convInputGradientWasm(w, dy, dx, filters, g)) return;
  const sampleCols = bufferNow(sampleColsOnDemand);
  const k = g.channels * g.kernelH * g.kernelW, plane = g.outH * g.outW;
  const sampleOut = filters * plane, sampleIn = g.channels * g.inH * g.inW;
  const one = withBatch(g, 1);
  for (let n = 0; n < g.batch; n++) {
    matmulTransA(w, dy.subarray(n * sampleOut, (n + 1) * sampleOut), sampleCols, k, filters, plane, false);
    col2im(sampleCols, dx.subarray(n * sampleIn, (n + 1) * sampleIn), one);
  }
}
