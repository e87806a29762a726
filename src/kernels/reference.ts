/**
 * Plain, obviously-correct loops: the oracle every fast kernel is tested against, and the
 * fallback when WebAssembly SIMD is not available. Row-major everywhere.
 */

/** C[m×n] (+)= A[m×k] · B[k×n]. */
export function matmulReference(
  a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
      c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
    }
  }
}

/** C[m×n] (+)= Aᵀ · B with A stored [k×m], B [k×n]. */
export function matmulTransAReference(
  a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[p * m + i] * b[p * n + j];
      c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
    }
  }
}

/** C[m×n] (+)= A · Bᵀ with A stored [m×k], B [n×k]. */
export function matmulTransBReference(
  a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p] * b[j * k + p];
      c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
    }
  }
}
