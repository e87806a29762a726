// BatchNorm's per-channel loops, f32x4 with a scalar tail, for channels [c0, c1) of NCHW (or [N, D],
// S = 1) data: a channel's statistics are reduced by one thread, so any channel split gives the
// same bits. x̂ = (x − mean)·invStd is never stored: the forward was bound by its stores (writing x̂
// next to y cost half its time), so the backward recomputes x̂ from x with the same two float32
// operations (the same bits the forward used for y). Each (sample, channel) row of S contiguous floats is summed in f32x4 lanes, and the
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
 * y = gamma·x̂ + beta with x̂ = (x − mean)·invStd.
 */
export function batchNormForward(
  x: usize, y: usize, gamma: usize, beta: usize, mean: usize, variance: usize, invStd: usize,
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
      const px = x + row, py = y + row;
      let i = 0;
      for (; i + 4 <= spatial; i += 4) {
        const off = <usize>i << 2;
        const h = f32x4.mul(f32x4.sub(v128.load(px + off), vm), vi);
        v128.store(py + off, f32x4.add(f32x4.mul(vg, h), vb));
      }
      for (; i < spatial; i++) {
        const off = <usize>i << 2;
        const h = (load<f32>(px + off) - mu) * inv;
        store<f32>(py + off, g * h + b);
      }
    }
  }
}

/**
 * sumDy[c] ← Σ dy, sumDyXhat[c] ← Σ dy·x̂ over the channel, x̂ = (x − mean)·invStd; then
 * dx = gamma·invStd·(dy − sumDy/m − x̂·sumDyXhat/m) after a training forward, else gamma·invStd·dy.
 * invStd is factored out of both passes (Σ dy·(x − mean) is summed, and x̂·sumDyXhat/m·scale is
 * (x − mean)·k with k formed once per channel), so recomputing x̂ costs one subtraction per value.
 */
export function batchNormBackward(
  dy: usize, x: usize, mean: usize, dx: usize, gamma: usize, invStd: usize, sumDy: usize, sumDyXhat: usize,
  batch: i32, channels: i32, spatial: i32, training: i32, c0: i32, c1: i32,
): void {
  const m = <f64>batch * <f64>spatial;
  const rowStride = (<usize>channels * <usize>spatial) << 2;
  for (let c = c0; c < c1; c++) {
    const cOff = <usize>c << 2;
    const delta = ((<usize>c * <usize>spatial) << 2);
    const mu = load<f32>(mean + cOff), inv = load<f32>(invStd + cOff);
    const vm = f32x4.splat(mu);
    let a: f64 = 0, b: f64 = 0; // Σ dy, Σ dy·(x − mean)
    for (let n = 0; n < batch; n++) {
      const row = <usize>n * rowStride + delta;
      const pd = dy + row, px = x + row;
      let va = f32x4.splat(0), vb = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= spatial; i += 4) {
        const off = <usize>i << 2;
        const d = v128.load(pd + off);
        va = f32x4.add(va, d);
        vb = f32x4.add(vb, f32x4.mul(d, f32x4.sub(v128.load(px + off), vm)));
      }
      a += <f64>(f32x4.extract_lane(va, 0) + f32x4.extract_lane(va, 1)) + <f64>(f32x4.extract_lane(va, 2) + f32x4.extract_lane(va, 3));
      b += <f64>(f32x4.extract_lane(vb, 0) + f32x4.extract_lane(vb, 1)) + <f64>(f32x4.extract_lane(vb, 2) + f32x4.extract_lane(vb, 3));
      for (; i < spatial; i++) {
        const off = <usize>i << 2;
        const d = load<f32>(pd + off);
        a += <f64>d;
        b += <f64>(d * (load<f32>(px + off) - mu));
      }
    }
    const sumXhat = b * <f64>inv;
    store<f32>(sumDy + cOff, <f32>a);
    store<f32>(sumDyXhat + cOff, <f32>sumXhat);
    const scale = <f64>load<f32>(gamma + cOff) * <f64>inv;
    // dx = scale·dy − scale·Σdy/m − (x − mean)·(scale·invStd·Σdy·x̂/m)
    const offset: f32 = training != 0 ? <f32>(scale * a / m) : 0;
    const k: f32 = training != 0 ? <f32>(scale * <f64>inv * sumXhat / m) : 0;
    const vs = f32x4.splat(<f32>scale), vo = f32x4.splat(offset), vk = f32x4.splat(k);
    for (let n = 0; n < batch; n++) {
      const row = <usize>n * rowStride + delta;
      const pd = dy + row, px = x + row, po = dx + row;
      let i = 0;
      for (; i + 4 <= spatial; i += 4) {
        const off = <usize>i << 2;
        const t = f32x4.sub(f32x4.mul(vs, v128.load(pd + off)), vo);
        v128.store(po + off, f32x4.sub(t, f32x4.mul(f32x4.sub(v128.load(px + off), vm), vk)));
      }
      for (; i < spatial; i++) {
        const off = <usize>i << 2;
        store<f32>(po + off, (<f32>scale * load<f32>(pd + off) - offset) - (load<f32>(px + off) - mu) * k);
      }
    }
  }
}
