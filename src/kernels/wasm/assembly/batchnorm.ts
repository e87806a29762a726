// BatchNorm's per-channel loops, f32x4 with a scalar tail, for channels [c0, c1) of NCHW (or [N, D],
// S = 1) data: a channel's statistics are reduced by one thread, so any channel split gives the
// same bits. Each (sample, channel) row of S contiguous floats is summed in f32x4 lanes, and the
// row sums are added in f64: the same accuracy as a plain f64 loop for rows of a few hundred values.

/** Σ row[0..n) in f32x4 lanes + scalar tail, as f64. */
// @ts-ignore: decorator
@inline function rowSum(p: usize, n: i32): f64 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, v128.load(p + (<usize>i << 2)));
  let s: f64 = <f64>(f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) +
    <f64>(f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  for (; i < n; i++) s += <f64>load<f32>(p + (<usize>i << 2));
  return s;
}

/** Σ (row − mean)² in f32x4 lanes + scalar tail, as f64. */
// @ts-ignore: decorator
@inline function rowSquares(p: usize, n: i32, mean: f32): f64 {
  const vm = f32x4.splat(mean);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d = f32x4.sub(v128.load(p + (<usize>i << 2)), vm);
    acc = f32x4.add(acc, f32x4.mul(d, d));
  }
  let s: f64 = <f64>(f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) +
    <f64>(f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  for (; i < n; i++) {
    const d = load<f32>(p + (<usize>i << 2)) - mean;
    s += <f64>(d * d);
  }
  return s;
}

/**
 * Training (training ≠ 0): mean[c], variance[c] ← the batch mean and biased variance (two passes);
 * inference: mean/variance are read (the running statistics). Then invStd[c] = 1/√(variance + eps),
 * xhat = (x − mean)·invStd, y = gamma·xhat + beta.
 */
export function batchNormForward(
  x: usize, xhat: usize, y: usize, gamma: usize, beta: usize, mean: usize, variance: usize, invStd: usize,
  batch: i32, channels: i32, spatial: i32, eps: f64, training: i32, c0: i32, c1: i32,
): void {
  const m = <f64>batch * <f64>spatial;
  const rowStride = (<usize>channels * <usize>spatial) << 2;
  for (let c = c0; c < c1; c++) {
    const cOff = <usize>c << 2;
    const first = x + ((<usize>c * <usize>spatial) << 2);
    let mu: f32, v: f64;
    if (training != 0) {
      let sum: f64 = 0;
      for (let n = 0; n < batch; n++) sum += rowSum(first + <usize>n * rowStride, spatial);
      mu = <f32>(sum / m);
      let squares: f64 = 0;
      for (let n = 0; n < batch; n++) squares += rowSquares(first + <usize>n * rowStride, spatial, mu);
      v = squares / m;
      store<f32>(mean + cOff, mu);
      store<f32>(variance + cOff, <f32>v);
    } else {
      mu = load<f32>(mean + cOff);
      v = <f64>load<f32>(variance + cOff);
    }
    const inv = <f32>(1 / Math.sqrt(v + eps));
    store<f32>(invStd + cOff, inv);
    const g = load<f32>(gamma + cOff);
    const b = load<f32>(beta + cOff);
    const vm = f32x4.splat(mu), vi = f32x4.splat(inv), vg = f32x4.splat(g), vb = f32x4.splat(b);
    const delta = ((<usize>c * <usize>spatial) << 2);
    for (let n = 0; n < batch; n++) {
      const row = <usize>n * rowStride + delta;
      const px = x + row, ph = xhat + row, py = y + row;
      let i = 0;
      for (; i + 4 <= spatial; i += 4) {
        const off = <usize>i << 2;
        const h = f32x4.mul(f32x4.sub(v128.load(px + off), vm), vi);
        v128.store(ph + off, h);
        v128.store(py + off, f32x4.add(f32x4.mul(vg, h), vb));
      }
      for (; i < spatial; i++) {
        const off = <usize>i << 2;
        const h = (load<f32>(px + off) - mu) * inv;
        store<f32>(ph + off, h);
        store<f32>(py + off, g * h + b);
      }
    }
  }
}

/**
 * sumDy[c] ← Σ dy, sumDyXhat[c] ← Σ dy·xhat over the channel; then
 * dx = gamma·invStd·(dy − sumDy/m − xhat·sumDyXhat/m) after a training forward, else gamma·invStd·dy.
 */
export function batchNormBackward(
  dy: usize, xhat: usize, dx: usize, gamma: usize, invStd: usize, sumDy: usize, sumDyXhat: usize,
  batch: i32, channels: i32, spatial: i32, training: i32, c0: i32, c1: i32,
): void {
  const m = <f64>batch * <f64>spatial;
  const rowStride = (<usize>channels * <usize>spatial) << 2;
  for (let c = c0; c < c1; c++) {
    const cOff = <usize>c << 2;
    const delta = ((<usize>c * <usize>spatial) << 2);
    let a: f64 = 0, bsum: f64 = 0;
    for (let n = 0; n < batch; n++) {
      const row = <usize>n * rowStride + delta;
      const pd = dy + row, ph = xhat + row;
      let va = f32x4.splat(0), vb = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= spatial; i += 4) {
        const off = <usize>i << 2;
        const d = v128.load(pd + off);
        va = f32x4.add(va, d);
        vb = f32x4.add(vb, f32x4.mul(d, v128.load(ph + off)));
      }
      a += <f64>(f32x4.extract_lane(va, 0) + f32x4.extract_lane(va, 1)) + <f64>(f32x4.extract_lane(va, 2) + f32x4.extract_lane(va, 3));
      bsum += <f64>(f32x4.extract_lane(vb, 0) + f32x4.extract_lane(vb, 1)) + <f64>(f32x4.extract_lane(vb, 2) + f32x4.extract_lane(vb, 3));
      for (; i < spatial; i++) {
        const off = <usize>i << 2;
        const d = load<f32>(pd + off);
        a += <f64>d;
        bsum += <f64>(d * load<f32>(ph + off));
      }
    }
    store<f32>(sumDy + cOff, <f32>a);
    store<f32>(sumDyXhat + cOff, <f32>bsum);
    const scale = load<f32>(gamma + cOff) * load<f32>(invStd + cOff);
    const meanDy: f32 = training != 0 ? <f32>(a / m) : 0;
    const meanDyXhat: f32 = training != 0 ? <f32>(bsum / m) : 0;
    const vs = f32x4.splat(scale), vmd = f32x4.splat(meanDy), vmh = f32x4.splat(meanDyXhat);
    for (let n = 0; n < batch; n++) {
      const row = <usize>n * rowStride + delta;
      const pd = dy + row, ph = xhat + row, px = dx + row;
      let i = 0;
      for (; i + 4 <= spatial; i += 4) {
        const off = <usize>i << 2;
        const t = f32x4.sub(f32x4.sub(v128.load(pd + off), vmd), f32x4.mul(v128.load(ph + off), vmh));
        v128.store(px + off, f32x4.mul(vs, t));
      }
      for (; i < spatial; i++) {
        const off = <usize>i << 2;
        store<f32>(px + off, scale * (load<f32>(pd + off) - meanDy - load<f32>(ph + off) * meanDyXhat));
      }
    }
  }
}
