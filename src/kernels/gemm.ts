/**
 * Matrix multiply in the three forms forward and backward need, row-major, Float32Array in and out.
 * Layers call these and nothing lower: the implementation behind them (WebAssembly SIMD when it
 * loaded, else TypeScript loops; see backend.ts) changes without touching a layer.
 *
 *   matmul        C[m×n] (+)= A[m×k] · B[k×n]          forward:   y = x · W
 *   matmulTransA  C[m×n] (+)= Aᵀ · B, A stored [k×m]   backward:  dW += xᵀ · dy
 *   matmulTransB  C[m×n] (+)= A · Bᵀ, B stored [n×k]   backward:  dx = dy · Wᵀ
 *
 * `accumulate` adds into C instead of overwriting it (param gradients accumulate).
 * Only the first m·k, k·n, m·n elements of a, b, c are used (buffers may be longer).
 *
 * The wasm kernel accumulates each element in float32 in order p = 0..k−1 (starting from C when
 * accumulating), the same way on any number of threads; the reference sums in float64. They agree
 * within k·eps·Σ|a||b| (test/kernels/gemm.test.ts). If the wasm memory is ever exhausted, the call
 * throws a KernelMemoryError (kernels/wasm/arena.ts); it never switches to the TypeScript loop, which
 * rounds differently.
 */
import { kernelState } from './backend';
import { matmulReference, matmulTransAReference, matmulTransBReference } from './reference';
import { FORM_AB, FORM_ABT, FORM_ATB, gemmWasm, type GemmForm } from './wasm/gemm-wasm';

export type MatmulKernel = (
  a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean,
) => void;

/** C (+)= A·B: i-p-j loop order so the inner loop streams rows of B and C. */
export const matmulTS: MatmulKernel = (a, b, c, m, k, n, accumulate) => {
  if (!accumulate) c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const cRow = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      if (aip === 0) continue;
      const bRow = p * n;
      for (let j = 0; j < n; j++) c[cRow + j] += aip * b[bRow + j];
    }
  }
};

/** C (+)= Aᵀ·B, A stored [k×m]. */
export const matmulTransATS: MatmulKernel = (a, b, c, m, k, n, accumulate) => {
  if (!accumulate) c.fill(0, 0, m * n);
  for (let p = 0; p < k; p++) {
    const bRow = p * n;
    for (let i = 0; i < m; i++) {
      const api = a[p * m + i];
      if (api === 0) continue;
      const cRow = i * n;
      for (let j = 0; j < n; j++) c[cRow + j] += api * b[bRow + j];
    }
  }
};

/** C (+)= A·Bᵀ, B stored [n×k]: dot products of rows. */
export const matmulTransBTS: MatmulKernel = (a, b, c, m, k, n, accumulate) => {
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    for (let j = 0; j < n; j++) {
      const bRow = j * k;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[aRow + p] * b[bRow + p];
      c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
    }
  }
};

/**
 * One product's entry point: check the sizes, then run it on the chosen backend. On wasm a product the
 * wasm GEMM declines (gemmWasm returns false) runs the TypeScript loop.
 */
function dispatch(name: string, form: GemmForm, ts: MatmulKernel, reference: MatmulKernel): MatmulKernel {
  return (a, b, c, m, k, n, accumulate) => {
    checkSizes(name, a, b, c, m, k, n);
    switch (kernelState.backend) {
      case 'wasm': if (!gemmWasm(form, a, b, c, m, k, n, accumulate)) ts(a, b, c, m, k, n, accumulate); return;
      case 'ts': return ts(a, b, c, m, k, n, accumulate);
      default: return reference(a, b, c, m, k, n, accumulate);
    }
  };
}

/** C[m×n] (+)= A[m×k] · B[k×n]. */
export const matmul: MatmulKernel = dispatch('matmul', FORM_AB, matmulTS, matmulReference);

/** C[m×n] (+)= Aᵀ · B with A stored [k×m], B [k×n]. */
export const matmulTransA: MatmulKernel = dispatch('matmulTransA', FORM_ATB, matmulTransATS, matmulTransAReference);

/** C[m×n] (+)= A · Bᵀ with A [m×k], B stored [n×k]. */
export const matmulTransB: MatmulKernel = dispatch('matmulTransB', FORM_ABT, matmulTransBTS, matmulTransBReference);

/** A wrong size here is a caller's bug: say which product, which operand and the numbers. */
function checkSizes(
  name: string, a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number,
): void {
  if (!(Number.isInteger(m) && Number.isInteger(k) && Number.isInteger(n) && m >= 0 && k >= 0 && n >= 0)) {
    throw new RangeError(`${name}: m, k, n must be non-negative integers, got m=${m} k=${k} n=${n}`);
  }
  if (a.length < m * k) throw new RangeError(`${name}: A has ${a.length} elements, needs m·k = ${m}·${k} = ${m * k}`);
  if (b.length < k * n) throw new RangeError(`${name}: B has ${b.length} elements, needs k·n = ${k}·${n} = ${k * n}`);
  if (c.length < m * n) throw new RangeError(`${name}: C has ${c.length} elements, needs m·n = ${m}·${n} = ${m * n}`);
}
