// Elementwise and data-layout kernels, f32x4 with a scalar tail. Byte pointers, lengths in floats.

/** y = x > 0 ? x : 0  (NaN → 0, −0 → 0): pmax(0, x) is exactly that select. */
export function reluForward(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, f32x4.pmax(zero, v128.load(x + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    const v = load<f32>(x + off);
    store<f32>(y + off, v > 0 ? v : 0);
  }
}

/** dx = x > 0 ? dy : 0. */
export function reluBackward(x: usize, dy: usize, dx: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(dx + off, v128.and(v128.load(dy + off), f32x4.gt(v128.load(x + off), zero)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(dx + off, load<f32>(x + off) > 0 ? load<f32>(dy + off) : 0);
  }
}

/** dst[0..n) = src[0..n) + b (the bias broadcast over one plane). */
// @ts-ignore: decorator
@inline function copyAddScalar(src: usize, dst: usize, n: i32, b: f32): void {
  const vb = f32x4.splat(b);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(dst + off, f32x4.add(v128.load(src + off), vb));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(dst + off, load<f32>(src + off) + b);
  }
}

/**
 * [F, N·P] → [N, F, P], adding bias[f] (bias = 0: none), for filters [f0, f1). Conv2D's forward:
 * the batch-wide GEMM produces one row per filter; the layer's output is NCHW.
 */
export function filterRowsToBatch(src: usize, dst: usize, filters: i32, batch: i32, plane: i32, bias: usize, f0: i32, f1: i32): void {
  const columns = <usize>batch * <usize>plane;
  for (let f = f0; f < f1; f++) {
    const b: f32 = bias != 0 ? load<f32>(bias + (<usize>f << 2)) : 0;
    for (let n = 0; n < batch; n++) {
      const s = src + ((<usize>f * columns + <usize>n * <usize>plane) << 2);
      const d = dst + (((<usize>n * <usize>filters + <usize>f) * <usize>plane) << 2);
      copyAddScalar(s, d, plane, b);
    }
  }
}

/**
 * [N, F, P] → [F, N·P], and biasGrad[f] += Σ of row f (biasGrad = 0: none), summed in f32 lanes
 * in a fixed order, for filters [f0, f1). Conv2D's backward.
 */
export function batchToFilterRows(src: usize, dst: usize, filters: i32, batch: i32, plane: i32, biasGrad: usize, f0: i32, f1: i32): void {
  const columns = <usize>batch * <usize>plane;
  for (let f = f0; f < f1; f++) {
    let acc = f32x4.splat(0);
    let tail: f32 = 0;
    for (let n = 0; n < batch; n++) {
      const s = src + (((<usize>n * <usize>filters + <usize>f) * <usize>plane) << 2);
      const d = dst + ((<usize>f * columns + <usize>n * <usize>plane) << 2);
      let i = 0;
      for (; i + 4 <= plane; i += 4) {
        const off = <usize>i << 2;
        const v = v128.load(s + off);
        v128.store(d + off, v);
        acc = f32x4.add(acc, v);
      }
      for (; i < plane; i++) {
        const off = <usize>i << 2;
        const v = load<f32>(s + off);
        store<f32>(d + off, v);
        tail += v;
      }
    }
    if (biasGrad != 0) {
      const sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3) + tail;
      const p = biasGrad + (<usize>f << 2);
      store<f32>(p, load<f32>(p) + sum);
    }
  }
}
