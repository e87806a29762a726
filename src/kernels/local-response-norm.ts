/**
 * Local response normalisation across channels (the LocalResponseNorm layer's loops), NCHW data with
 * `spatial` = H·W values per (sample, channel). With n = size:
 *
 *   D[c] = k + α/n · Σ_{c' ∈ W(c)} x[c']²,      y[c] = x[c] · D[c]^(−β)
 *   W(c) = [c − ⌊n/2⌋, c + ⌊(n−1)/2⌋] ∩ [0, C)          (PyTorch's window: zero-padded channels)
 *
 *   dx[j] = dy[j]·D[j]^(−β) − (2αβ/n) · x[j] · Σ_{c : j ∈ W(c)} dy[c]·y[c]/D[c]
 *   where j ∈ W(c) ⇔ c ∈ [j − ⌊(n−1)/2⌋, j + ⌊n/2⌋].
 *
 * The fast loops slide a running sum over the channel planes (two updates per channel, whatever n)
 * and keep it in float64; the reference loops below add every window up afresh, in float64, straight
 * from the formula — the test oracle.
 */

export interface LrnConstants {
  size: number;
  alpha: number;
  beta: number;
  k: number;
}

/** Channels before and after c in its window: W(c) = [c − before, c + after]. */
export function lrnWindow(size: number): { before: number; after: number } {
  return { before: Math.floor(size / 2), after: Math.floor((size - 1) / 2) };
}

/** D^(−β), with the common β = 0.75 (AlexNet, Caffe, PyTorch examples) as two square roots: 5× cheaper than pow. */
function negativePower(d: number, beta: number): number {
  if (beta === 0.75) {
    const r = Math.sqrt(d);
    return 1 / (r * Math.sqrt(r));
  }
  if (beta === 0.5) return 1 / Math.sqrt(d);
  if (beta === 1) return 1 / d;
  return Math.pow(d, -beta);
}

/**
 * y ← x·D^(−β); `denominator` ← D and `scale` ← D^(−β) (both kept for backward). `sum` is float64
 * scratch of `spatial` values.
 */
export function lrnForward(
  x: Float32Array, y: Float32Array, denominator: Float32Array, scale: Float32Array, sum: Float64Array,
  batch: number, channels: number, spatial: number, p: LrnConstants,
): void {
  const { before, after } = lrnWindow(p.size);
  const C = channels, S = spatial, coef = p.alpha / p.size, k = p.k, beta = p.beta;
  for (let n = 0; n < batch; n++) {
    const sample = n * C * S;
    sum.fill(0, 0, S);
    for (let c = 0; c <= after && c < C; c++) addSquares(x, sample + c * S, sum, S, 1);
    for (let c = 0; c < C; c++) {
      const base = sample + c * S;
      for (let s = 0; s < S; s++) {
        const d = k + coef * sum[s];
        const f = negativePower(d, beta);
        denominator[base + s] = d;
        scale[base + s] = f;
        y[base + s] = x[base + s] * f;
      }
      // Slide the window from W(c) to W(c + 1): channel c + 1 + after enters, c − before leaves.
      if (c + 1 + after < C) addSquares(x, sample + (c + 1 + after) * S, sum, S, 1);
      if (c - before >= 0) addSquares(x, sample + (c - before) * S, sum, S, -1);
    }
  }
}

function addSquares(x: Float32Array, base: number, sum: Float64Array, S: number, sign: number): void {
  for (let s = 0; s < S; s++) {
    const v = x[base + s];
    sum[s] += sign * v * v;
  }
}

/**
 * dx (overwritten) from dy and the forward's x, y, D and D^(−β). `t` is float64 scratch of C·S values
 * (dy·y/D of one sample), `sum` of S values.
 */
export function lrnBackward(
  x: Float32Array, y: Float32Array, denominator: Float32Array, scale: Float32Array, dy: Float32Array, dx: Float32Array,
  t: Float64Array, sum: Float64Array, batch: number, channels: number, spatial: number, p: LrnConstants,
): void {
  const { before, after } = lrnWindow(p.size);
  const C = channels, S = spatial, coef = (2 * p.alpha * p.beta) / p.size;
  for (let n = 0; n < batch; n++) {
    const sample = n * C * S;
    for (let i = 0; i < C * S; i++) t[i] = (dy[sample + i] * y[sample + i]) / denominator[sample + i];
    // Σ over c ∈ [j − after, j + before]: the window mirrored.
    sum.fill(0, 0, S);
    for (let c = 0; c <= before && c < C; c++) addPlane(t, c * S, sum, S, 1);
    for (let j = 0; j < C; j++) {
      const base = sample + j * S;
      for (let s = 0; s < S; s++) dx[base + s] = dy[base + s] * scale[base + s] - coef * x[base + s] * sum[s];
      if (j + 1 + before < C) addPlane(t, (j + 1 + before) * S, sum, S, 1);
      if (j - after >= 0) addPlane(t, (j - after) * S, sum, S, -1);
    }
  }
}

function addPlane(t: Float64Array, base: number, sum: Float64Array, S: number, sign: number): void {
  for (let s = 0; s < S; s++) sum[s] += sign * t[base + s];
}

/** The formula, one output at a time in float64: y of x (the oracle of lrnForward). */
export function lrnForwardReference(
  x: ArrayLike<number>, batch: number, channels: number, spatial: number, p: LrnConstants,
): Float64Array {
  const y = new Float64Array(batch * channels * spatial);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      for (let s = 0; s < spatial; s++) {
        const at = (n * channels + c) * spatial + s;
        y[at] = x[at] * Math.pow(referenceDenominator(x, n, c, s, channels, spatial, p), -p.beta);
      }
    }
  }
  return y;
}

/** The gradient formula, one input at a time in float64 (the oracle of lrnBackward). */
export function lrnBackwardReference(
  x: ArrayLike<number>, dy: ArrayLike<number>, batch: number, channels: number, spatial: number, p: LrnConstants,
): Float64Array {
  const dx = new Float64Array(batch * channels * spatial);
  const { before, after } = lrnWindow(p.size);
  for (let n = 0; n < batch; n++) {
    for (let j = 0; j < channels; j++) {
      for (let s = 0; s < spatial; s++) {
        const at = (n * channels + j) * spatial + s;
        let cross = 0;
        for (let c = Math.max(0, j - after); c <= Math.min(channels - 1, j + before); c++) {
          const other = (n * channels + c) * spatial + s;
          cross += dy[other] * x[other] * Math.pow(referenceDenominator(x, n, c, s, channels, spatial, p), -p.beta - 1);
        }
        const d = referenceDenominator(x, n, j, s, channels, spatial, p);
        dx[at] = dy[at] * Math.pow(d, -p.beta) - ((2 * p.alpha * p.beta) / p.size) * x[at] * cross;
      }
    }
  }
  return dx;
}

function referenceDenominator(
  x: ArrayLike<number>, n: number, c: number, s: number, channels: number, spatial: number, p: LrnConstants,
): number {
  const { before, after } = lrnWindow(p.size);
  let squares = 0;
  for (let other = c - before; other <= c + after; other++) {
    if (other < 0 || other >= channels) continue; // zero padding
    const v = x[(n * channels + other) * spatial + s];
    squares += v * v;
  }
  return p.k + (p.alpha / p.size) * squares;
}
