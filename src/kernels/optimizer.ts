/**
 * Optimizer update kernels: the per-element loops of the update rules, behind the same backend
 * switch as the GEMM (wasm SIMD when loaded, else TypeScript). The rules and their documentation
 * live in src/optimizers/; these are only the hot loops.
 */
import { kernelState } from './backend';
import { adamUpdateWasm } from './wasm/memory-bound';

/**
 * Adam for one param of n elements, t ≥ 1:
 *   g = gradScale·grad + decay·w;  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
 *   w ← w − lr·(m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).
 * The wasm kernel computes in float32 with the corrections folded into the step size and ε (one
 * division per element), the TypeScript loop in float64 as written (both store float32). To stay
 * clear of float32 subnormals (40× slower on x64) the wasm kernel counts |g| < 1e-15 as 0 and stores
 * m, v below 1e-30 as 0 — see src/kernels/wasm/assembly/optimizer.ts.
 */
export function adamUpdate(
  value: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, n: number,
  lr: number, beta1: number, beta2: number, eps: number, t: number, gradScale: number, decay: number,
): void {
  const correction1 = 1 - Math.pow(beta1, t);
  const correction2 = 1 - Math.pow(beta2, t);
  if (kernelState.backend === 'wasm') {
    // lr·(m/c₁)/(√(v/c₂) + ε) = (lr·√c₂/c₁)·m/(√v + ε·√c₂): the corrections go onto two scalars,
    // computed here in float64, so the kernel divides once per element (assembly/optimizer.ts).
    const rootCorrection2 = Math.sqrt(correction2);
    const stepSize = (lr * rootCorrection2) / correction1;
    if (adamUpdateWasm(value, grad, m, v, n, stepSize, beta1, beta2, eps * rootCorrection2, gradScale, decay)) return;
  }
  for (let i = 0; i < n; i++) {
    const g = gradScale * grad[i] + decay * value[i];
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    value[i] -= (lr * (mi / correction1)) / (Math.sqrt(vi / correction2) + eps);
  }
}
