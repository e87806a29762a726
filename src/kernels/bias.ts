/**
 * A dense layer's bias over a row-major [rows × cols] batch (Affine's forward and backward): wasm SIMD
 * when loaded (src/kernels/wasm/assembly/bias.ts), else these loops. Both round each addition to
 * float32 in the same order, so they give the same bits.
 */
import { kernelState } from './backend';
import { accumulateColumnSumsWasm, addRowVectorWasm } from './wasm/memory-bound';

/** y[i, j] += b[j] for i < rows, j < cols. */
export function addRowVector(y: Float32Array, b: Float32Array, rows: number, cols: number): void {
  if (kernelState.backend === 'wasm' && addRowVectorWasm(y, b, rows, cols)) return;
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let j = 0; j < cols; j++) y[row + j] += b[j];
  }
}

/** s[j] += Σᵢ x[i, j], i = 0 … rows − 1 in order (a bias gradient: db += Σₙ dy). */
export function accumulateColumnSums(x: Float32Array, s: Float32Array, rows: number, cols: number): void {
  if (kernelState.backend === 'wasm' && accumulateColumnSumsWasm(x, s, rows, cols)) return;
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let j = 0; j < cols; j++) s[j] += x[row + j];
  }
}
