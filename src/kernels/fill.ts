/**
 * Zeroing a float array (gradients before backward, a skipped dx). An array in the kernels' memory is
 * zeroed by the wasm module's memset: TypedArray.prototype.fill on that memory's SharedArrayBuffer
 * stores element by element, ~10× slower (src/kernels/wasm/assembly/fill.ts). Any other array by fill.
 */
import { kernelState } from './backend';
import { fillZeroWasm } from './wasm/memory-bound';

/** a[0 … n) = 0. */
export function fillZero(a: Float32Array, n: number = a.length): void {
  if (kernelState.backend === 'wasm' && fillZeroWasm(a, n)) return;
  a.fill(0, 0, n);
}
