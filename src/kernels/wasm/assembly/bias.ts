// A dense layer's bias, forward and backward, over a row-major [rows × cols] batch. Byte pointers.

/** y[i, j] += b[j]: one float32 addition per element, as the TypeScript loop rounds it. */
export function addRowVector(y: usize, b: usize, rows: i32, cols: i32): void {
  for (let i = 0; i < rows; i++) {
    const row = y + ((<usize>i * <usize>cols) << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const off = <usize>j << 2;
      v128.store(row + off, f32x4.add(v128.load(row + off), v128.load(b + off)));
    }
    for (; j < cols; j++) {
      const off = <usize>j << 2;
      store<f32>(row + off, load<f32>(row + off) + load<f32>(b + off));
    }
  }
}

/**
 * s[j] += Σᵢ x[i, j], added row after row into s[j] in float32: the order and the roundings of the
 * TypeScript loop `s[j] += x[i, j]`, four columns to a lane, so the bits are the same.
 */
export function accumulateColumnSums(x: usize, s: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  let j = 0;
  for (; j + 8 <= cols; j += 8) {
    const off = <usize>j << 2;
    let a = v128.load(s + off), b = v128.load(s + off, 16);
    let p = x + off;
    for (let i = 0; i < rows; i++, p += stride) {
      a = f32x4.add(a, v128.load(p));
      b = f32x4.add(b, v128.load(p, 16));
    }
    v128.store(s + off, a);
    v128.store(s + off, b, 16);
  }
  for (; j + 4 <= cols; j += 4) {
    const off = <usize>j << 2;
    let a = v128.load(s + off);
    let p = x + off;
    for (let i = 0; i < rows; i++, p += stride) a = f32x4.add(a, v128.load(p));
    v128.store(s + off, a);
  }
  for (; j < cols; j++) {
    const off = <usize>j << 2;
    let a = load<f32>(s + off);
    let p = x + off;
    for (let i = 0; i < rows; i++, p += stride) a += load<f32>(p);
    store<f32>(s + off, a);
  }
}
