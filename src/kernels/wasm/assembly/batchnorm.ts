// BatchNorm's per-channel loops, f32x4 with a scalar tail, for channels [c0, c1) of NCHW (or [N, D],
// S = 1) data: a channel's statistics are reduced by one thread, so any channel split gives the
// same bits. x̂ = (x − mean)·invStd is never stored: the forward was bound by its stores (writing x̂
// next to y cost half its time), so the backward recomputes x̂ from x with the same two float32
// operations (the same bits the forward used for y). Each (sample, channel) row of S contiguous
// floats is summed in f32x4 lanes, and the row sums are added in f64, rows in sample order: the same
// accuracy as a plain f64 loop for rows of a few hundred values.
//
// Every pass walks the data in memory order (sample by sample, the thread's channels within each),
// keeping one f64 accumulator per channel in `acc` (16 bytes per channel, the caller's scratch).
// Walking channel by channel instead — 100 rows of 3 KB, 50 KB apart, at the default model's first
// BatchNorm — ran at half the speed of the same passes over contiguous data: each short row starts
// the hardware prefetcher over. A channel's rows are still added in sample order: the same bits.
// [N, D] data (spatial = 1) goes to the loops across features of batchnorm-features.ts.

import { featureGradientSums, featureInputGradient, featureNormalise, featureSums } from './batchnorm-features';

/** The four lanes of an f32x4 summed as f64, pairwise (lanes 0+1 and 2+3 in f32 first). */
// @ts-ignore: decorator
@inline function laneSum(v: v128): f64 {
  return <f64>(f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
    <f64>(f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// Why four accumulators: one f32x4 chain adds 4 floats per add latency (3–4 cycles), so a single-chain
// row sum ran at a third of the speed the loads allow (the forward's two statistics passes were most of
// its time). Four chains over 16 floats per turn are load-bound. Element i of the row goes to chain
// (i / 4) % 4 while 16 remain, the rest to chain 0; the chains are added (0+1)+(2+3): one fixed order
// for a row whatever the thread split.

/** Σ row[0..n) in four f32x4 chains + scalar tail, as f64. */
// @ts-ignore: decorator
@inline function rowSum(p: usize, n: i32): f64 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const q = p + (<usize>i << 2);
    a0 = f32x4.add(a0, v128.load(q));
    a1 = f32x4.add(a1, v128.load(q, 16));
    a2 = f32x4.add(a2, v128.load(q, 32));
    a3 = f32x4.add(a3, v128.load(q, 48));
  }
  for (; i + 4 <= n; i += 4) a0 = f32x4.add(a0, v128.load(p + (<usize>i << 2)));
  let s = laneSum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; i < n; i++) s += <f64>load<f32>(p + (<usize>i << 2));
  return s;
}

/** Σ (row − mean)² in four f32x4 chains + scalar tail, as f64 (the order of rowSum). */
// @ts-ignore: decorator
@inline function rowSquares(p: usize, n: i32, mean: f32): f64 {
  const vm = f32x4.splat(mean);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const q = p + (<usize>i << 2);
    const d0 = f32x4.sub(v128.load(q), vm), d1 = f32x4.sub(v128.load(q, 16), vm);
    const d2 = f32x4.sub(v128.load(q, 32), vm), d3 = f32x4.sub(v128.load(q, 48), vm);
    a0 = f32x4.add(a0, f32x4.mul(d0, d0));
    a1 = f32x4.add(a1, f32x4.mul(d1, d1));
    a2 = f32x4.add(a2, f32x4.mul(d2, d2));
    a3 = f32x4.add(a3, f32x4.mul(d3, d3));
  }
  for (; i + 4 <= n; i += 4) {
    const d = f32x4.sub(v128.load(p + (<usize>i << 2)), vm);
    a0 = f32x4.add(a0, f32x4.mul(d, d));
  }
  let s = laneSum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; i < n; i++) {
    const d = load<f32>(p + (<usize>i << 2)) - mean;
    s += <f64>(d * d);
  }
  return s;
}

/** acc[c] = 0 (f64) for c in [c0, c1). */
// @ts-ignore: decorator
@inline function zeroAcc(acc: usize, c0: i32, c1: i32, width: i32): void {
  for (let c = c0; c < c1; c++) for (let j = 0; j < width; j++) store<f64>(acc + ((<usize>(c * width + j)) << 3), 0);
}

/** acc[c] += Σ row(n, c) over the samples in order, for c in [c0, c1); or Σ (row − mean[c])² when squares. */
function channelSums(x: usize, acc: usize, mean: usize, batch: i32, channels: i32, spatial: i32, c0: i32, c1: i32, squares: bool): void {
  const rowBytes = <usize>spatial << 2;
  for (let n = 0; n < batch; n++) {
    let p = x + ((<usize>n * <usize>channels + <usize>c0) * rowBytes);
    for (let c = c0; c < c1; c++) {
      const a = acc + (<usize>c << 3);
      const s = squares ? rowSquares(p, spatial, load<f32>(mean + (<usize>c << 2))) : rowSum(p, spatial);
      store<f64>(a, load<f64>(a) + s);
      p += rowBytes;
    }
  }
}

/** y = gamma·((x − mean)·invStd) + beta over channels [c0, c1) of every sample. */
function normalise(x: usize, y: usize, gamma: usize, beta: usize, mean: usize, invStd: usize,
  batch: i32, channels: i32, spatial: i32, c0: i32, c1: i32): void {
  const rowBytes = <usize>spatial << 2;
  for (let n = 0; n < batch; n++) {
    let row = (<usize>n * <usize>channels + <usize>c0) * rowBytes;
    for (let c = c0; c < c1; c++) {
      const cOff = <usize>c << 2;
      const mu = load<f32>(mean + cOff), inv = load<f32>(invStd + cOff);
      const g = load<f32>(gamma + cOff), b = load<f32>(beta + cOff);
      const vm = f32x4.splat(mu), vi = f32x4.splat(inv), vg = f32x4.splat(g), vb = f32x4.splat(b);
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
      row += rowBytes;
    }
  }
}

/**
 * Training (training ≠ 0): mean[c], variance[c] ← the batch mean and biased variance (two passes);
 * inference: mean/variance are read (the running statistics). Then invStd[c] = 1/√(variance + eps),
 * y = gamma·x̂ + beta with x̂ = (x − mean)·invStd. acc: 16 bytes of scratch per channel.
 */
export function batchNormForward(
  x: usize, y: usize, gamma: usize, beta: usize, mean: usize, variance: usize, invStd: usize, acc: usize,
  batch: i32, channels: i32, spatial: i32, eps: f64, training: i32, c0: i32, c1: i32,
): void {
  const m = <f64>batch * <f64>spatial;
  if (training != 0) {
    zeroAcc(acc, c0, c1, 1);
    if (spatial == 1) featureSums(x, acc, 0, batch, channels, c0, c1, false);
    else channelSums(x, acc, 0, batch, channels, spatial, c0, c1, false);
    for (let c = c0; c < c1; c++) store<f32>(mean + (<usize>c << 2), <f32>(load<f64>(acc + (<usize>c << 3)) / m));
    zeroAcc(acc, c0, c1, 1);
    if (spatial == 1) featureSums(x, acc, mean, batch, channels, c0, c1, true);
    else channelSums(x, acc, mean, batch, channels, spatial, c0, c1, true);
  }
  for (let c = c0; c < c1; c++) {
    const cOff = <usize>c << 2;
    // Training: the f64 variance (its float32 rounding is stored); inference: the stored one.
    let v: f64;
    if (training != 0) {
      v = load<f64>(acc + (<usize>c << 3)) / m;
      store<f32>(variance + cOff, <f32>v);
    } else {
      v = <f64>load<f32>(variance + cOff);
    }
    store<f32>(invStd + cOff, <f32>(1 / Math.sqrt(v + eps)));
  }
  if (spatial == 1) featureNormalise(x, y, gamma, beta, mean, invStd, batch, channels, c0, c1);
  else normalise(x, y, gamma, beta, mean, invStd, batch, channels, spatial, c0, c1);
}

/** acc[2c] += Σ dy, acc[2c + 1] += Σ dy·(x − mean[c]) over channels [c0, c1) of every sample. */
function gradientSums(dy: usize, x: usize, mean: usize, acc: usize, batch: i32, channels: i32, spatial: i32, c0: i32, c1: i32): void {
  const rowBytes = <usize>spatial << 2;
  for (let n = 0; n < batch; n++) {
    let row = (<usize>n * <usize>channels + <usize>c0) * rowBytes;
    for (let c = c0; c < c1; c++) {
      const mu = load<f32>(mean + (<usize>c << 2));
      const vm = f32x4.splat(mu);
      const pd = dy + row, px = x + row;
      // Two chains per sum (as rowSum's four: a single chain is bound by the add's latency).
      let va0 = f32x4.splat(0), vb0 = f32x4.splat(0), va1 = f32x4.splat(0), vb1 = f32x4.splat(0);
      let i = 0;
      for (; i + 8 <= spatial; i += 8) {
        const off = <usize>i << 2;
        const d0 = v128.load(pd + off), d1 = v128.load(pd + off, 16);
        va0 = f32x4.add(va0, d0);
        va1 = f32x4.add(va1, d1);
        vb0 = f32x4.add(vb0, f32x4.mul(d0, f32x4.sub(v128.load(px + off), vm)));
        vb1 = f32x4.add(vb1, f32x4.mul(d1, f32x4.sub(v128.load(px + off, 16), vm)));
      }
      for (; i + 4 <= spatial; i += 4) {
        const off = <usize>i << 2;
        const d = v128.load(pd + off);
        va0 = f32x4.add(va0, d);
        vb0 = f32x4.add(vb0, f32x4.mul(d, f32x4.sub(v128.load(px + off), vm)));
      }
      let a = laneSum(f32x4.add(va0, va1)), b = laneSum(f32x4.add(vb0, vb1));
      for (; i < spatial; i++) {
        const off = <usize>i << 2;
        const d = load<f32>(pd + off);
        a += <f64>d;
        b += <f64>(d * (load<f32>(px + off) - mu));
      }
      const pa = acc + (<usize>c << 4);
      store<f64>(pa, load<f64>(pa) + a);
      store<f64>(pa, load<f64>(pa, 8) + b, 8);
      row += rowBytes;
    }
  }
}

/** dx = scale·dy − offset − (x − mean)·k, with (scale, offset, k) as float32 at acc + 16c. */
function inputGradient(dy: usize, x: usize, mean: usize, dx: usize, acc: usize,
  batch: i32, channels: i32, spatial: i32, c0: i32, c1: i32): void {
  const rowBytes = <usize>spatial << 2;
  for (let n = 0; n < batch; n++) {
    let row = (<usize>n * <usize>channels + <usize>c0) * rowBytes;
    for (let c = c0; c < c1; c++) {
      const pc = acc + (<usize>c << 4);
      const mu = load<f32>(mean + (<usize>c << 2));
      const scale = load<f32>(pc), offset = load<f32>(pc, 4), k = load<f32>(pc, 8);
      const vm = f32x4.splat(mu), vs = f32x4.splat(scale), vo = f32x4.splat(offset), vk = f32x4.splat(k);
      const pd = dy + row, px = x + row, po = dx + row;
      let i = 0;
      for (; i + 4 <= spatial; i += 4) {
        const off = <usize>i << 2;
        const t = f32x4.sub(f32x4.mul(vs, v128.load(pd + off)), vo);
        v128.store(po + off, f32x4.sub(t, f32x4.mul(f32x4.sub(v128.load(px + off), vm), vk)));
      }
      for (; i < spatial; i++) {
        const off = <usize>i << 2;
        store<f32>(po + off, (scale * load<f32>(pd + off) - offset) - (load<f32>(px + off) - mu) * k);
      }
      row += rowBytes;
    }
  }
}

/**
 * sumDy[c] ← Σ dy, sumDyXhat[c] ← Σ dy·x̂ over the channel, x̂ = (x − mean)·invStd; then
 * dx = gamma·invStd·(dy − sumDy/m − x̂·sumDyXhat/m) after a training forward, else gamma·invStd·dy.
 * invStd is factored out of both passes (Σ dy·(x − mean) is summed, and x̂·sumDyXhat/m·scale is
 * (x − mean)·k with k formed once per channel), so recomputing x̂ costs one subtraction per value.
 * acc: 16 bytes of scratch per channel.
 */
export function batchNormBackward(
  dy: usize, x: usize, mean: usize, dx: usize, gamma: usize, invStd: usize, sumDy: usize, sumDyXhat: usize, acc: usize,
  batch: i32, channels: i32, spatial: i32, training: i32, c0: i32, c1: i32,
): void {
  const m = <f64>batch * <f64>spatial;
  zeroAcc(acc, c0, c1, 2);
  if (spatial == 1) featureGradientSums(dy, x, mean, acc, batch, channels, c0, c1);
  else gradientSums(dy, x, mean, acc, batch, channels, spatial, c0, c1);
  for (let c = c0; c < c1; c++) {
    const cOff = <usize>c << 2, pa = acc + (<usize>c << 4);
    const a = load<f64>(pa), inv = load<f32>(invStd + cOff);
    const sumXhat = load<f64>(pa, 8) * <f64>inv;
    store<f32>(sumDy + cOff, <f32>a);
    store<f32>(sumDyXhat + cOff, <f32>sumXhat);
    const scale = <f64>load<f32>(gamma + cOff) * <f64>inv;
    // dx = scale·dy − scale·Σdy/m − (x − mean)·(scale·invStd·Σdy·x̂/m); the f64 sums are read, then
    // the same 16 bytes hold the three float32 factors.
    store<f32>(pa, <f32>scale);
    store<f32>(pa, training != 0 ? <f32>(scale * a / m) : 0, 4);
    store<f32>(pa, training != 0 ? <f32>(scale * <f64>inv * sumXhat / m) : 0, 8);
  }
  if (spatial == 1) featureInputGradient(dy, x, mean, dx, acc, batch, channels, c0, c1);
  else inputGradient(dy, x, mean, dx, acc, batch, channels, spatial, c0, c1);
}
