/**
 * Data-layout kernels of the batch-wide convolution (Conv2D computes W · im2col(x) for the whole
 * batch at once, so its GEMM output has one row per filter, while the layer's tensors are NCHW):
 *
 *   filterRowsToBatch  [F, N·P] → [N, F, P], adding bias[f]            (forward)
 *   batchToFilterRows  [N, F, P] → [F, N·P], biasGrad[f] += Σ row f     (backward)
 *
 * wasm SIMD when loaded, else TypeScript. The bias-gradient sum is float32 lanes in wasm, float64 in
 * TypeScript: equal within float32 rounding.
 */
import { kernelState } from './backend';
import { batchToFilterRowsWasm, filterRowsToBatchWasm } from './wasm/memory-bound';

export function filterRowsToBatch(
  src: Float32Array, dst: Float32Array, filters: number, batch: number, plane: number, bias?: Float32Array,
): void {
  if (kernelState.backend === 'wasm' && filterRowsToBatchWasm(src, dst, filters, batch, plane, bias)) return;
  const columns = batch * plane;
  for (let f = 0; f < filters; f++) {
    const b = bias ? bias[f] : 0;
    for (let n = 0; n < batch; n++) {
      const s = f * columns + n * plane;
      const d = (n * filters + f) * plane;
      for (let p = 0; p < plane; p++) dst[d + p] = src[s + p] + b;
    }
  }
}

export function batchToFilterRows(
  src: Float32Array, dst: Float32Array, filters: number, batch: number, plane: number, biasGrad?: Float32Array,
): void {
  if (kernelState.backend === 'wasm' && batchToFilterRowsWasm(src, dst, filters, batch, plane, biasGrad)) return;
  const columns = batch * plane;
  for (let f = 0; f < filters; f++) {
    let sum = 0;
    for (let n = 0; n < batch; n++) {
      const s = (n * filters + f) * plane;
      const d = f * columns + n * plane;
      for (let p = 0; p < plane; p++) {
        const v = src[s + p];
        dst[d + p] = v;
        sum += v;
      }
    }
    if (biasGrad) biasGrad[f] += sum;
  }
}
