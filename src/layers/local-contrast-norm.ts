/**
 * LocalContrastNorm (Jarrett, Kavukcuoglu, Ranzato & LeCun 2009; Pinto, Cox & DiCarlo 2008): per image,
 * a subtractive then a divisive normalisation over a Gaussian window that spans every channel. Exactly:
 *
 *   w(P, Q) = g(Q_row − P_row)·g(Q_col − P_col) / (C·Z[P]),   g(t) = exp(−t²/2σ²),
 *             t ∈ [−⌊size/2⌋, ⌊(size−1)/2⌋],   Z[P] = Σ g·g over the window's cells INSIDE the image
 *   v[i,P] = x[i,P] − Σ_{i',Q} w(P,Q)·x[i',Q]                       (subtractive)
 *   s[P]   = √(ε² + Σ_{i',Q} w(P,Q)·v[i',Q]²)                        (local standard deviation)
 *   c      = mean over the image's pixels of s[P]
 *   y[i,P] = v[i,P] / smoothMax(c, s[P]),   smoothMax(a, b) = (a + b + √((a − b)² + τ²a²)) / 2, τ = 0.1
 *
 * Border: the window is truncated at the image's edge and renormalised (÷ Z[P]) to weigh 1 over the
 * cells that exist, so a constant image gives 0 everywhere and borders are not pulled towards zero.
 * A window larger than the image simply covers all of it. Even sizes reach one pixel further up/left.
 * Jarrett et al. use max(c, σ), which has a kink wherever σ = c; the smooth max is within τ·c/2 of it
 * and differentiable everywhere, and ε (> 0) keeps s away from √'s infinite slope at 0 (and y finite
 * on a constant image). With these, the layer is smooth in x everywhere.
 *
 * Options: size (default 9, the 9×9 window of Jarrett et al.), sigma (default size/4 pixels), eps
 * (default 1e-4). No params. The loops (separable blur, float64 reference) are in
 * kernels/local-contrast-norm.ts.
 */
import { notBuiltError } from '../errors';
import { imageShape } from './window-options';
import { LcnWorkspace, lcnBackward, lcnForward } from '../kernels/local-contrast-norm';
import { optionsObject, positiveIntegerOption, positiveOption } from '../options';
import type { Rng } from '../random';
import { checkBatch, checkUpstreamGradient, reuse, type Shape, type Tensor } from '../tensor';
import { ParameterFreeLayer } from './parameter-free-layer';

export interface LocalContrastNormOptions {
  /** Window height = width in pixels (≥ 1). Default 9. */
  size?: number;
  /** The Gaussian's standard deviation in pixels (> 0). Default size / 4. */
  sigma?: number;
  /** Floor inside the standard deviation's square root (> 0). Default 1e-4. */
  eps?: number;
}

export type LocalContrastNormConfig = Required<LocalContrastNormOptions>;

export class LocalContrastNorm extends ParameterFreeLayer {
  readonly kind = 'LocalContrastNorm';
  private readonly options: LocalContrastNormConfig;
  private inputShape: Shape = [];
  private workspace: LcnWorkspace | undefined;

  private output: Tensor | undefined;
  private centred: Tensor | undefined;
  private dInput: Tensor | undefined;
  /** Per pixel of each image: s and d = smoothMax(c, s); per image: c. */
  private deviation = new Float64Array(0);
  private divisor = new Float64Array(0);
  private imageMean = new Float64Array(0);
  private scratch1 = new Float64Array(0);
  private scratch2 = new Float64Array(0);
  private batch = -1;

  constructor(options: LocalContrastNormOptions = {}) {
    super('LocalContrastNorm');
    optionsObject('LocalContrastNorm', options, ['size', 'sigma', 'eps'], '{ size: 9 }');
    const size = options.size === undefined ? 9 : positiveIntegerOption('LocalContrastNorm', 'size', options.size);
    this.options = {
      size,
      sigma: positiveOption('LocalContrastNorm', 'sigma', options.sigma, size / 4),
      eps: positiveOption('LocalContrastNorm', 'eps', options.eps, 1e-4),
    };
  }

  build(inputShape: Shape, _rng: Rng): Shape {
    const [c, h, w] = imageShape('LocalContrastNorm', inputShape);
    this.inputShape = [c, h, w];
    this.workspace = new LcnWorkspace(c, h, w, this.options.size, this.options.sigma, this.options.eps);
    this.scratch1 = new Float64Array(h * w);
    this.scratch2 = new Float64Array(h * w);
    this.batch = -1;
    return [c, h, w];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.memory.assertLive();
    const ws = this.requireBuilt();
    const batch = checkBatch('LocalContrastNorm', x, this.inputShape);
    if (batch !== this.batch) {
      const shape = [batch, ...this.inputShape], pixels = batch * ws.height * ws.width;
      this.output = reuse(this.output, shape, this.memory);
      this.centred = reuse(this.centred, shape, this.memory);
      this.dInput = reuse(this.dInput, shape, this.memory);
      this.deviation = new Float64Array(pixels);
      this.divisor = new Float64Array(pixels);
      this.imageMean = new Float64Array(batch);
      this.batch = batch;
    }
    lcnForward(x.data, this.output!.data, this.centred!.data, this.deviation, this.divisor, this.imageMean, batch, ws, this.scratch1);
    return this.output!;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    const ws = this.requireBuilt();
    if (this.batch < 0) throw new Error('LocalContrastNorm.backward called before forward');
    checkUpstreamGradient('LocalContrastNorm', dy, this.output!.shape);
    lcnBackward(dy.data, this.dInput!.data, this.centred!.data, this.deviation, this.divisor, this.imageMean, this.batch, ws,
      this.scratch1, this.scratch2);
    return this.dInput!;
  }

  config(): LocalContrastNormConfig {
    return { ...this.options };
  }

  private requireBuilt(): LcnWorkspace {
    if (!this.workspace) throw notBuiltError('LocalContrastNorm');
    return this.workspace;
  }
}
