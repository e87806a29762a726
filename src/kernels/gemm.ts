/**
 * Matrix multiply in the three forms forward and backward need, row-major, Float32Array in and out.
 * Layers call these and nothing lower: the implementation behind them (plain TypeScript today,
 * WebAssembly SIMD when it is available) can change without touching a layer.
 *
 *   matmul        C[m×n] (+)= A[m×k] · B[k×n]          forward:   y = x · W
 *   matmulTransA  C[m×n] (+)= Aᵀ · B, A stored [k×m]   backward:  dW += xᵀ · dy
 *   matmulTransB  C[m×n] (+)= A · Bᵀ, B stored [n×k]   backward:  dx = dy · Wᵀ
 *
 * `accumulate` adds into C instead of overwriting it (param gradients accumulate).
 */

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

export let matmul: MatmulKernel = matmulTS;
export let matmulTransA: MatmulKernel = matmulTransATS;
export let matmulTransB: MatmulKernel = matmulTransBTS;
