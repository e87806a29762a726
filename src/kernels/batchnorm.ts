/**
 * BatchNorm's per-channel loops (the layer's hot path; formulas in src/layers/batchnorm.ts), behind
 * the backend switch: wasm SIMD split over the threads by channels when loaded, else the plain
 * TypeScript loops below (the test oracle). Data is NCHW with `spatial` = H·W values per
 * (sample, channel), or [N, D] with spatial = 1. Statistics are float32 arrays of `channels` values.
 */
import { kernelState } from './backend';
import { batchNormBackwardWasm, batchNormForwardWasm } from './wasm/memory-bound';

/**
 * training: mean, variance ← the batch mean (rounded to float32: the value the backward reads back)
 * and the BIASED variance of each channel (m = batch·spatial); else mean/variance are inputs (the
 * running statistics). Always: invStd = 1/√(variance + eps), y = gamma·x̂ + beta with
 * x̂ = (x − mean)·invStd. x̂ is not stored: writing it cost half the forward's time, and the backward
 * recomputes it from x, mean and invStd exactly as the forward computed it.
 */
export function batchNormForward(
  x: Float32Array, y: Float32Array, gamma: Float32Array, beta: Float32Array,
  mean: Float32Array, variance: Float32Array, invStd: Float32Array,
  batch: number, channels: number, spatial: number, eps: number, training: boolean,
): void {
  if (kernelState.backend === 'wasm' &&
    batchNormForwardWasm(x, y, gamma, beta, mean, variance, invStd, batch, channels, spatial, eps, training)) return;
  batchNormForwardPlain(x, y, gamma, beta, mean, variance, invStd, batch, channels, spatial, eps, training);
}

/**
 * x is the forward's input and mean/invStd its statistics (x̂ = (x − mean)·invStd as the forward used it).
 * sumDy ← Σ dy and sumDyXhat ← Σ dy·x̂ per channel (overwritten); then
 * dx = gamma·invStd·(dy − sumDy/m − x̂·sumDyXhat/m) after a training forward, else gamma·invStd·dy.
 */
export function batchNormBackward(
  dy: Float32Array, x: Float32Array, mean: Float32Array, dx: Float32Array, gamma: Float32Array, invStd: Float32Array,
  sumDy: Float32Array, sumDyXhat: Float32Array, batch: number, channels: number, spatial: number, training: boolean,
): void {
  if (kernelState.backend === 'wasm' &&
    batchNormBackwardWasm(dy, x, mean, dx, gamma, invStd, sumDy, sumDyXhat, batch, channels, spatial, training)) return;
  batchNormBackwardPlain(dy, x, mean, dx, gamma, invStd, sumDy, sumDyXhat, batch, channels, spatial, training);
}

/** The plain float64-accumulating loops of batchNormForward. */
export function batchNormForwardPlain(
  x: Float32Array, y: Float32Array, gamma: Float32Array, beta: Float32Array,
  mean: Float32Array, variance: Float32Array, invStd: Float32Array,
  batch: number, channels: number, spatial: number, eps: number, training: boolean,
): void {
  const C = channels, S = spatial, m = batch * S;
  for (let c = 0; c < C; c++) {
    if (training) {
      let sum = 0;
      for (let n = 0; n < batch; n++) {
        const base = (n * C + c) * S;
        for (let s = 0; s < S; s++) sum += x[base + s];
      }
      const exact = sum / m;
      // Two passes: the variance of the centred values does not cancel catastrophically.
      let squares = 0;
      for (let n = 0; n < batch; n++) {
        const base = (n * C + c) * S;
        for (let s = 0; s < S; s++) {
          const d = x[base + s] - exact;
          squares += d * d;
        }
      }
      mean[c] = exact;
      variance[c] = squares / m;
    }
    // The float32 statistics, as stored: the ones the backward's x̂ will be computed from.
    invStd[c] = 1 / Math.sqrt(variance[c] + eps);
    const mu = mean[c], inv = invStd[c];
    const g = gamma[c], b = beta[c];
    for (let n = 0; n < batch; n++) {
      const base = (n * C + c) * S;
      for (let s = 0; s < S; s++) y[base + s] = g * ((x[base + s] - mu) * inv) + b;
    }
  }
}

/** The plain float64-accumulating loops of batchNormBackward. */
export function batchNormBackwardPlain(
  dy: Float32Array, x: Float32Array, mean: Float32Array, dx: Float32Array, gamma: Float32Array, invStd: Float32Array,
  sumDy: Float32Array, sumDyXhat: Float32Array, batch: number, channels: number, spatial: number, training: boolean,
): void {
  const C = channels, S = spatial, m = batch * S;
  for (let c = 0; c < C; c++) {
    const mu = mean[c], inv = invStd[c];
    let a = 0, b = 0;
    for (let n = 0; n < batch; n++) {
      const base = (n * C + c) * S;
      for (let s = 0; s < S; s++) {
        a += dy[base + s];
        b += dy[base + s] * ((x[base + s] - mu) * inv);
      }
    }
    sumDy[c] = a;
    sumDyXhat[c] = b;
    const scale = gamma[c] * inv;
    // After a training forward the batch statistics depend on every x of the channel: the two mean terms.
    const meanDy = training ? a / m : 0;
    const meanDyXhat = training ? b / m : 0;
    for (let n = 0; n < batch; n++) {
      const base = (n * C + c) * S;
      for (let s = 0; s < S; s++) {
        dx[base + s] = scale * (dy[base + s] - meanDy - ((x[base + s] - mu) * inv) * meanDyXhat);
      }
    }
  }
}
