/**
 * LocalResponseNorm (Krizhevsky, Sutskever & Hinton 2012): each activation divided by the energy of
 * the same pixel in the neighbouring channels, NCHW, in PyTorch's convention (torch.nn.LocalResponseNorm):
 *
 *   y[c] = x[c] / (k + α/n · Σ_{c' = c − ⌊n/2⌋}^{c + ⌊(n−1)/2⌋} x[c']²)^β        n = size
 *
 * Channels beyond the ends count as zeros, and α is divided by n whatever the border (so the
 * window's mean square, with the zeros included). Caffe's ACROSS_CHANNELS LRN is the same formula for
 * odd n; TensorFlow's tf.nn.local_response_normalization(depth_radius r, bias, alpha, beta) does NOT
 * divide α by the window: TensorFlow's alpha = our α / (2r + 1) for size = 2r + 1 (docs/local-normalisation.md).
 * Defaults as PyTorch's: α = 1e-4, β = 0.75, k = 1; k must be > 0 so the denominator never vanishes.
 *
 * No params. The loops (running window sums, the float64 reference) are in kernels/local-response-norm.ts.
 */
import { notBuiltError } from '../errors';
import { lrnBackward, lrnForward, type LrnConstants } from '../kernels/local-response-norm';
import { imageShape } from './window-options';
import { nonNegativeOption, optionsObject, positiveIntegerOption, positiveOption, requiredOption } from '../options';
import type { Rng } from '../random';
import { checkBatch, checkUpstreamGradient, reuse, type Shape, type Tensor } from '../tensor';
import { ParameterFreeLayer } from './parameter-free-layer';

export interface LocalResponseNormOptions {
  /** Channels in the window n (≥ 1; odd or even — an even window reaches one channel further back). */
  size: number;
  /** Scale of the mean square, ≥ 0. Default 1e-4. */
  alpha?: number;
  /** Exponent, ≥ 0. Default 0.75. */
  beta?: number;
  /** Additive constant, > 0. Default 1. */
  k?: number;
}

export type LocalResponseNormConfig = Required<LocalResponseNormOptions>;

export class LocalResponseNorm extends ParameterFreeLayer {
  readonly kind = 'LocalResponseNorm';
  private readonly options: LocalResponseNormConfig;
  private inputShape: Shape = [];
  private channels = 0;
  private spatial = 0;
  private built = false;

  private x: Tensor | undefined;
  private output: Tensor | undefined;
  private denominator: Tensor | undefined;
  private scale: Tensor | undefined;
  private dInput: Tensor | undefined;
  private sum = new Float64Array(0);
  private t = new Float64Array(0);
  private batch = -1;

  constructor(options: LocalResponseNormOptions) {
    super('LocalResponseNorm');
    optionsObject('LocalResponseNorm', options, ['size', 'alpha', 'beta', 'k'], '{ size: 5 }');
    const size = requiredOption('LocalResponseNorm', 'size', options.size, 'the number of channels in the window, e.g. 5');
    this.options = {
      size: positiveIntegerOption('LocalResponseNorm', 'size', size),
      alpha: nonNegativeOption('LocalResponseNorm', 'alpha', options.alpha, 1e-4),
      beta: nonNegativeOption('LocalResponseNorm', 'beta', options.beta, 0.75),
      k: positiveOption('LocalResponseNorm', 'k', options.k, 1),
    };
  }

  build(inputShape: Shape, _rng: Rng): Shape {
    const [c, h, w] = imageShape('LocalResponseNorm', inputShape);
    this.inputShape = [c, h, w];
    this.channels = c;
    this.spatial = h * w;
    this.sum = new Float64Array(this.spatial);
    this.t = new Float64Array(c * this.spatial);
    this.batch = -1;
    this.built = true;
    return [c, h, w];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.memory.assertLive();
    if (!this.built) throw notBuiltError('LocalResponseNorm');
    const batch = checkBatch('LocalResponseNorm', x, this.inputShape);
    if (batch !== this.batch) {
      const shape = [batch, ...this.inputShape];
      this.output = reuse(this.output, shape, this.memory);
      this.denominator = reuse(this.denominator, shape, this.memory);
      this.scale = reuse(this.scale, shape, this.memory);
      this.dInput = reuse(this.dInput, shape, this.memory);
      this.batch = batch;
    }
    this.x = x;
    lrnForward(x.data, this.output!.data, this.denominator!.data, this.scale!.data, this.sum, batch, this.channels, this.spatial, this.constants());
    return this.output!;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    if (this.x === undefined) throw new Error('LocalResponseNorm.backward called before forward');
    checkUpstreamGradient('LocalResponseNorm', dy, this.output!.shape);
    lrnBackward(this.x.data, this.output!.data, this.denominator!.data, this.scale!.data, dy.data, this.dInput!.data,
      this.t, this.sum, this.batch, this.channels, this.spatial, this.constants());
    return this.dInput!;
  }

  config(): LocalResponseNormConfig {
    return { ...this.options };
  }

  private constants(): LrnConstants {
    return this.options;
  }
}
