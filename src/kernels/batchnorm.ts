/**
 * BatchNorm's per-channel loops (the layer's hot path; formulas in src/layers/batchnorm.ts), behind
 * the backend switch: wasm SIMD split over the threads by channels when loaded, else the plain
 * TypeScript loops below (the test oracle). Data is NCHW with `spatial` = H·W values per
 * (sample, channel), or [N, D] with spatial = 1. Statistics are float32 arrays of `channels` values.
 */
import { kernelState } from './backend';
import { batchNormBackwardWasm, batchNormForwardWasm } from './wasm/memory-bound';

/**
 * training: mean, variance ← the batch mean and BIASED variance of each channel (m = batch·spatial);
 * else mean/variance are inputs (the running statistics). Always: invStd = 1/√(variance + eps),
 * xhat = (x − mean)·invStd, y = gamma·xhat + beta.
 */
export function batchNormForward(
  x: Float32Array, xhat: Float32Array, y: Float32Array, gamma: Float32Array, beta: Float32Array,
  mean: Float32Array, variance: Float32Array, invStd: Float32Array,
  batch: number, channels: number, spatial: number, eps: number, training: boolean,
): void {
  if (kernelState.backend === 'wasm' &&
    batchNormForwardWasm(x, xhat, y, gamma, beta, mean, variance, invStd, batch, channels, spatial, eps, training)) return;
  batchNormForwardPlain(x, xhat, y, gamma, beta, mean, variance, invStd, batch, channels, spatial, eps, training);
}

/**
 * sumDy ← Σ dy and sumDyXhat ← Σ dy·xhat per channel (overwritten); then
 * dx = gamma·invStd·(dy − sumDy/m − xhat·sumDyXhat/m) after a training forward, else gamma·invStd·dy.
 */
export function batchNormBackward(
  dy: Float32Array, xhat: Float32Array, dx: Float32Array, gamma: Float32Array, invStd: Float32Array,
  sumDy: Float32Array, sumDyXhat: Float32Array, batch: number, channels: number, spatial: number, training: boolean,
): void {
  if (kernelState.backend === 'wasm' &&
    batchNormBackwardWasm(dy, xhat, dx, gamma, invStd, sumDy, sumDyXhat, batch, channels, spatial, training)) return;
  batchNormBackwardPlain(dy, xhat, dx, gamma, invStd, sumDy, sumDyXhat, batch, channels, spatial, training);
}

/** The plain float64-accumulating loops of batchNormForward. */
export function batchNormForwardPlain(
  x: Float32Array, xhat: Float32Array, y: Float32Array, gamma: Float32Array, beta: Float32Array,
  mean: Float32Array, variance: Float32Array, invStd: Float32Array,
  batch: number, channels: number, spatial: number, eps: number, training: boolean,
): void {
  const C = channels, S = spatial, m = batch * S;
  for (let c = 0; c < C; c++) {
    let mu: number, v: number;
    if (training) {
      let sum = 0;
      for (let n = 0; n < batch; n++) {
        const base = (n * C + c) * S;
        for (let s = 0; s < S; s++) sum += x[base + s];
      }
      mu = sum / m;
      // Two passes: the variance of the centred values does not cancel catastrophically.
      let squares = 0;
      for (let n = 0; n < batch; n++) {
        const base = (n * C + c) * S;
        for (let s = 0; s < S; s++) {
          const d = x[base + s] - mu;
          squares += d * d;
        }
      }
      v = squares / m;
      mean[c] = mu;
      variance[c] = v;
    } else {
      mu = mean[c];
      v = variance[c];
    }
    const inv = 1 / Math.sqrt(v + eps);
    invStd[c] = inv;
    const g = gamma[c], b = beta[c];
    for (let n = 0; n < batch; n++) {
      const base = (n * C + c) * S;
      for (let s = 0; s < S; s++) {
        const h = (x[base + s] - mu) * inv;
        xhat[base + s] = h;
        y[base + s] = g * h + b;
      }
    }
  }
}

/** The plain float64-accumulating loops of batchNormBackward. */
export function batchNormBackwardPlain(
  dy: Float32Array, xhat: Float32Array, dx: Float32Array, gamma: Float32Array, invStd: Float32Array,
  sumDy: Float32Array, sumDyXhat: Float32Array, batch: number, channels: number, spatial: number, training: boolean,
): void {
  const C = channels, S = spatial, m = batch * S;
  for (let c = 0; c < C; c++) {
    let a = 0, b = 0;
    for (let n = 0; n < batch; n++) {
      const base = (n * C + c) * S;
      for (let s = 0; s < S; s++) {
        a += dy[base + s];
        b += dy[base + s] * xhat[base + s];
      }
    }
    sumDy[c] = a;
    sumDyXhat[c] = b;
    const scale = gamma[c] * invStd[c];
    // After a training forward the batch statistics depend on every x of the channel: the two mean terms.
    const meanDy = training ? a / m : 0;
    const meanDyXhat = training ? b / m : 0;
    for (let n = 0; n < batch; n++) {
      const base = (n * C + c) * S;
      for (let s = 0; s < S; s++) dx[base + s] = scale * (dy[base + s] - meanDy - xhat[base + s] * meanDyXhat);
    }
  }
}
