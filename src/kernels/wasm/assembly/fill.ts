// Zeroing a float array in the kernels' memory.

/**
 * p[0 … n) = 0 by memory.fill (a memset). TypedArray.prototype.fill on a SharedArrayBuffer, which the
 * kernels' memory is, stores element by element: measured ~10× slower on 80,000 floats (33 µs vs 3).
 */
export function fillZero(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}
