/**
 * BatchNorm (Ioffe & Szegedy 2015): normalise each feature of [N, D] input, or each channel of
 * NCHW [N, C, H, W] input over its N·H·W values, then scale and shift:
 *
 *   x̂ = (x − μ) / √(σ² + ε),   y = γ·x̂ + β                       (γ init 1, β init 0, no weight decay)
 *
 * Training: μ, σ² are the batch mean and the BIASED batch variance (divide by m = N·H·W, as in the
 * paper and every framework's forward). Inference: the running statistics replace them.
 *
 * Running statistics (the conventions, stated once):
 *   runningMean ← momentum·runningMean + (1 − momentum)·μ
 *   runningVar  ← momentum·runningVar  + (1 − momentum)·σ²·m/(m − 1)
 * i.e. momentum is the weight of the OLD value (Keras/TensorFlow.js convention; PyTorch's momentum
 * is 1 − ours: PyTorch 0.1 ≙ momentum 0.9 here), and the running variance uses the UNBIASED
 * estimator m/(m−1)·σ² (as PyTorch does), which is why training needs m ≥ 2 values per channel.
 * Defaults: momentum 0.9, ε 1e-5; running mean starts at 0, running variance at 1.
 * `setFrozen(true)` keeps the batch-statistics forward but leaves the running statistics untouched.
 *
 * Backward (training mode), per channel with m values:
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ/(m·√(σ² + ε)) · (m·dy − Σ dy − x̂·Σ dy·x̂)
 * and after an inference-mode forward simply dx = γ·dy/√(runningVar + ε).
 * x̂ is not kept: the layer keeps a reference to its input (as Affine does) and the backward kernel
 * recomputes x̂ from it and the forward's float32 μ and 1/√(σ² + ε) (writing x̂ in the forward cost as
 * much as writing y; kernels/batchnorm.ts).
 */
import { MemoryOwner } from '../memory';
import { OptionError, formatValue, notBuiltError } from '../errors';
import { batchNormBackward, batchNormForward } from '../kernels/batchnorm';
import { optionsObject, positiveOption } from '../options';
import type { Rng } from '../random';
import { checkUpstreamGradient, ShapeError, checkBatch, formatShape, reuse, type Shape, type Tensor } from '../tensor';
import { makeParam, type Layer, type NamedArray, type Param } from './layer';
import { paramValues } from './param-budget';

export interface BatchNormOptions {
  /** Weight of the old running statistic in each update, in [0, 1]. Default 0.9. */
  momentum?: number;
  /** Added to the variance before the square root, > 0. Default 1e-5. */
  eps?: number;
}

export interface BatchNormConfig {
  momentum: number;
  eps: number;
}

export class BatchNorm implements Layer {
  readonly kind = 'BatchNorm';
  /** Owns this layer's blocks of the kernels' memory (docs/memory.md). */
  private readonly memory = new MemoryOwner('BatchNorm');
  private readonly options: BatchNormConfig;
  private frozen = false;

  private inputShape: Shape = [];
  private channels = 0;
  /** Values per channel per sample: H·W for images, 1 for [N, D]. */
  private spatial = 0;
  private gamma: Param | undefined;
  private beta: Param | undefined;
  private runningMean: NamedArray | undefined;
  private runningVar: NamedArray | undefined;

  // Per-channel statistics of the last forward, and reusable buffers.
  private mean = new Float32Array(0);
  private variance = new Float32Array(0);
  private invStd = new Float32Array(0);
  private sumDy = new Float32Array(0);
  private sumDyXhat = new Float32Array(0);
  /** The last forward's input: the backward recomputes x̂ from it (the kernels do not store x̂). */
  private x: Tensor | undefined;
  private output: Tensor | undefined;
  private dInput: Tensor | undefined;
  private batch = -1;
  private lastTraining = false;

  constructor(options: BatchNormOptions = {}) {
    const { momentum = 0.9 } = optionsObject('BatchNorm', options, ['momentum', 'eps'], '{ momentum: 0.9, eps: 1e-5 }');
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) {
      throw new OptionError(`BatchNorm: option "momentum" must be a number in [0, 1] (the weight of the old running value), got ${formatValue(momentum)}`);
    }
    this.options = { momentum, eps: positiveOption('BatchNorm', 'eps', options.eps, 1e-5) };
  }

  build(inputShape: Shape, _rng: Rng): Shape {
    if ((inputShape.length !== 1 && inputShape.length !== 3) || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ShapeError(
        `BatchNorm needs a per-sample input [features] or [channels, height, width] of positive integers, got ${formatShape(inputShape)}`,
      );
    }
    this.inputShape = [...inputShape];
    this.channels = inputShape[0];
    this.spatial = inputShape.length === 3 ? inputShape[1] * inputShape[2] : 1;
    const c = this.channels;
    this.gamma = makeParam('gamma', [c], paramValues(c).fill(1), false, this.memory);
    this.beta = makeParam('beta', [c], paramValues(c), false, this.memory);
    this.runningMean = { name: 'runningMean', shape: [c], value: paramValues(c) };
    this.runningVar = { name: 'runningVar', shape: [c], value: paramValues(c).fill(1) };
    this.mean = new Float32Array(c);
    this.variance = new Float32Array(c);
    this.invStd = new Float32Array(c);
    this.sumDy = new Float32Array(c);
    this.sumDyXhat = new Float32Array(c);
    this.batch = -1;
    return [...inputShape];
  }

  forward(x: Tensor, training: boolean): Tensor {
    this.memory.assertLive();
    if (!this.gamma) throw notBuiltError('BatchNorm');
    const batch = checkBatch('BatchNorm', x, this.inputShape);
    const { channels: C, spatial: S } = this;
    const m = batch * S;
    if (training && m < 2) {
      const image = this.inputShape.length === 3;
      throw new ShapeError(
        `BatchNorm: training needs at least 2 values per ${image ? 'channel' : 'feature'} to estimate a variance, ` +
          `got ${image ? `N·H·W = ${batch}·${S} = ${m}` : `a batch of N = ${batch}`} ` +
          '(train with a batch of 2 or more, or use inference mode)',
      );
    }
    if (batch !== this.batch) {
      this.output = reuse(this.output, x.shape, this.memory);
      this.dInput = reuse(this.dInput, x.shape, this.memory);
      this.batch = batch;
    }
    const runningMean = this.runningMean!.value;
    const runningVar = this.runningVar!.value;
    if (!training) {
      this.mean.set(runningMean);
      this.variance.set(runningVar);
    }
    this.x = x;
    batchNormForward(x.data, this.output!.data, this.gamma.value, this.beta!.value,
      this.mean, this.variance, this.invStd, batch, C, S, this.options.eps, training);
    if (training && !this.frozen) {
      const momentum = this.options.momentum;
      for (let c = 0; c < C; c++) {
        runningMean[c] = momentum * runningMean[c] + (1 - momentum) * this.mean[c];
        runningVar[c] = momentum * runningVar[c] + (1 - momentum) * this.variance[c] * (m / (m - 1));
      }
    }
    this.lastTraining = training;
    return this.output!;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    if (!this.gamma) throw notBuiltError('BatchNorm');
    if (this.batch < 0) throw new Error('BatchNorm.backward called before forward');
    checkUpstreamGradient('BatchNorm', dy, this.output!.shape);
    const { channels: C, spatial: S, batch } = this;
    batchNormBackward(dy.data, this.x!.data, this.mean, this.dInput!.data, this.gamma.value, this.invStd,
      this.sumDy, this.sumDyXhat, batch, C, S, this.lastTraining);
    for (let c = 0; c < C; c++) {
      this.beta!.grad[c] += this.sumDy[c];
      this.gamma.grad[c] += this.sumDyXhat[c];
    }
    return this.dInput!;
  }

  params(): Param[] {
    return this.gamma ? [this.gamma, this.beta!] : [];
  }

  /** The running statistics, saved with the model (their names are stable: runningMean, runningVar). */
  buffers(): NamedArray[] {
    return this.runningMean ? [this.runningMean, this.runningVar!] : [];
  }

  setFrozen(frozen: boolean): void {
    this.frozen = frozen;
  }

  /** Gives back the layer's blocks of the kernels' memory (idempotent); using it afterwards throws DisposedError. */
  dispose(): void {
    this.memory.dispose();
  }

  config(): BatchNormConfig {
    return { ...this.options };
  }

}
