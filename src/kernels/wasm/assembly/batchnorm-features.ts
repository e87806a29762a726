// BatchNorm's loops for [N, D] data (spatial = 1: one value per sample and feature), across features:
// the per-channel loops of batchnorm.ts would handle rows of ONE float, all loop overhead (the default
// model's BatchNorm after its 128-unit Affine took 0.1 ms a pass for 12,800 values). Four features per
// f32x4; each feature's sums are still f64 additions in sample order, and every lane does what the
// scalar tail does for a feature, so any feature split over the threads gives the same bits.

/** acc[c] += f64(v lane c − c0) for the four features at acc (f64 each). */
// @ts-ignore: decorator
@inline function addPromoted(acc: usize, v: v128): void {
  v128.store(acc, f64x2.add(v128.load(acc), f64x2.promote_low_f32x4(v)));
  v128.store(acc, f64x2.add(v128.load(acc, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
}

/** acc[c] (f64) += x[n, c] for every sample n in order, or (x[n, c] − mean[c])² when squares; c in [c0, c1). */
export function featureSums(x: usize, acc: usize, mean: usize, batch: i32, channels: i32, c0: i32, c1: i32, squares: bool): void {
  for (let n = 0; n < batch; n++) {
    const row = x + ((<usize>n * <usize>channels) << 2);
    let c = c0;
    for (; c + 4 <= c1; c += 4) {
      let v = v128.load(row + (<usize>c << 2));
      if (squares) {
        const d = f32x4.sub(v, v128.load(mean + (<usize>c << 2)));
        v = f32x4.mul(d, d);
      }
      addPromoted(acc + (<usize>c << 3), v);
    }
    for (; c < c1; c++) {
      let v = load<f32>(row + (<usize>c << 2));
      if (squares) {
        const d = v - load<f32>(mean + (<usize>c << 2));
        v = d * d;
      }
      const a = acc + (<usize>c << 3);
      store<f64>(a, load<f64>(a) + <f64>v);
    }
  }
}

/** y = gamma·((x − mean)·invStd) + beta, four features at a time. */
export function featureNormalise(x: usize, y: usize, gamma: usize, beta: usize, mean: usize, invStd: usize,
  batch: i32, channels: i32, c0: i32, c1: i32): void {
  for (let n = 0; n < batch; n++) {
    const rowOff = (<usize>n * <usize>channels) << 2;
    let c = c0;
    for (; c + 4 <= c1; c += 4) {
      const cOff = <usize>c << 2;
      const h = f32x4.mul(f32x4.sub(v128.load(x + rowOff + cOff), v128.load(mean + cOff)), v128.load(invStd + cOff));
      v128.store(y + rowOff + cOff, f32x4.add(f32x4.mul(v128.load(gamma + cOff), h), v128.load(beta + cOff)));
    }
    for (; c < c1; c++) {
      const cOff = <usize>c << 2;
      const h = (load<f32>(x + rowOff + cOff) - load<f32>(mean + cOff)) * load<f32>(invStd + cOff);
      store<f32>(y + rowOff + cOff, load<f32>(gamma + cOff) * h + load<f32>(beta + cOff));
    }
  }
}

/** acc[2c] += Σ dy, acc[2c + 1] += Σ dy·(x − mean[c]) (f64 pairs), four features at a time. */
export function featureGradientSums(dy: usize, x: usize, mean: usize, acc: usize, batch: i32, channels: i32, c0: i32, c1: i32): void {
  for (let n = 0; n < batch; n++) {
    const rowOff = (<usize>n * <usize>channels) << 2;
    let c = c0;
    for (; c + 4 <= c1; c += 4) {
      const cOff = <usize>c << 2;
      const d = v128.load(dy + rowOff + cOff);
      const p = f32x4.mul(d, f32x4.sub(v128.load(x + rowOff + cOff), v128.load(mean + cOff)));
      // (dy, dy·(x − mean)) per feature, promoted to the feature's f64 pair.
      const lo = i32x4.shuffle(d, p, 0, 4, 1, 5), hi = i32x4.shuffle(d, p, 2, 6, 3, 7);
      const a = acc + (<usize>c << 4);
      v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(lo)));
      v128.store(a, f64x2.add(v128.load(a, 16), f64x2.promote_low_f32x4(i32x4.shuffle(lo, lo, 2, 3, 0, 1))), 16);
      v128.store(a, f64x2.add(v128.load(a, 32), f64x2.promote_low_f32x4(hi)), 32);
      v128.store(a, f64x2.add(v128.load(a, 48), f64x2.promote_low_f32x4(i32x4.shuffle(hi, hi, 2, 3, 0, 1))), 48);
    }
    for (; c < c1; c++) {
      const cOff = <usize>c << 2;
      const d = load<f32>(dy + rowOff + cOff);
      const a = acc + (<usize>c << 4);
      store<f64>(a, load<f64>(a) + <f64>d);
      store<f64>(a, load<f64>(a, 8) + <f64>(d * (load<f32>(x + rowOff + cOff) - load<f32>(mean + cOff))), 8);
    }
  }
}

/**
 * dx = scale·dy − offset − (x − mean)·k, with (scale, offset, k) the float32 triple at acc + 16c. Each
 * whole group of four features from c0 has its four triples transposed in place first (the group's own
 * 64 bytes: then scale, offset and k of the four are one f32x4 each); the last c1 − c0 mod 4 stay as they are.
 */
export function featureInputGradient(dy: usize, x: usize, mean: usize, dx: usize, acc: usize,
  batch: i32, channels: i32, c0: i32, c1: i32): void {
  const whole = c0 + ((c1 - c0) & ~3);
  for (let c = c0; c < whole; c += 4) {
    const a = acc + (<usize>c << 4);
    const r0 = v128.load(a), r1 = v128.load(a, 16), r2 = v128.load(a, 32), r3 = v128.load(a, 48);
    const t01 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t23 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
    const u01 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), u23 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    v128.store(a, i32x4.shuffle(t01, t23, 0, 1, 4, 5));
    v128.store(a, i32x4.shuffle(t01, t23, 2, 3, 6, 7), 16);
    v128.store(a, i32x4.shuffle(u01, u23, 0, 1, 4, 5), 32);
  }
  for (let n = 0; n < batch; n++) {
    const rowOff = (<usize>n * <usize>channels) << 2;
    let c = c0;
    for (; c < whole; c += 4) {
      const cOff = <usize>c << 2, a = acc + (<usize>c << 4);
      const t = f32x4.sub(f32x4.mul(v128.load(a), v128.load(dy + rowOff + cOff)), v128.load(a, 16));
      const xm = f32x4.sub(v128.load(x + rowOff + cOff), v128.load(mean + cOff));
      v128.store(dx + rowOff + cOff, f32x4.sub(t, f32x4.mul(xm, v128.load(a, 32))));
    }
    for (; c < c1; c++) {
      const cOff = <usize>c << 2, a = acc + (<usize>c << 4);
      const scale = load<f32>(a), offset = load<f32>(a, 4), k = load<f32>(a, 8);
      store<f32>(dx + rowOff + cOff, (scale * load<f32>(dy + rowOff + cOff) - offset) - (load<f32>(x + rowOff + cOff) - load<f32>(mean + cOff)) * k);
    }
  }
}
