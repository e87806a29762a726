/**
 * Elementwise activation kernels (the ReLU layer's hot loops), behind the same backend switch as
 * the GEMM: wasm SIMD when loaded, else TypeScript. On the SimpleConvNet's 100×30×24×24 activations
 * the TypeScript select costs ~5 ns per element (an unpredictable branch); pmax / a compare-and-mask
 * in wasm cost a fraction of that.
 */
import { kernelState } from './backend';
import { reluBackwardWasm, reluForwardWasm } from './wasm/memory-bound';

/** y[i] = x[i] > 0 ? x[i] : 0 for i < n (NaN → 0). */
export function reluForward(x: Float32Array, y: Float32Array, n: number): void {
  if (kernelState.backend === 'wasm' && reluForwardWasm(x, y, n)) return;
  for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

/** dx[i] = x[i] > 0 ? dy[i] : 0 for i < n. */
export function reluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number): void {
  if (kernelState.backend === 'wasm' && reluBackwardWasm(x, dy, dx, n)) return;
  for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}
