/**
 * Whether an array holds only finite numbers (no NaN, no ±Infinity): fit's divergence guard runs it over
 * every gradient before each update. Behind the same backend switch as the other kernels: wasm SIMD
 * for an array in the kernels' memory (an exponent-bits test, src/kernels/wasm/assembly/finite.ts), else
 * this loop. Both give the same answer: there is nothing to round.
 */
import { kernelState } from './backend';
import { allFiniteWasm } from './wasm/memory-bound';

/** True when a[0 … n) holds no NaN and no ±Infinity. */
export function allFinite(a: Float32Array, n: number = a.length): boolean {
  const fast = kernelState.backend === 'wasm' ? allFiniteWasm(a, n) : undefined;
  if (fast !== undefined) return fast;
  // x − x is 0 for a finite x and NaN for NaN or ±Infinity.
  for (let i = 0; i < n; i++) if (a[i] - a[i] !== 0) return false;
  return true;
}
