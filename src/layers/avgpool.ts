/**
 * AvgPool: the mean of each size[0]×size[1] window of every channel, NCHW; the gradient spreads
 * dy/divisor evenly over the window. Output size ⌊(n + 2p − f)/s⌋ + 1, padding < the window.
 *
 * Padding and the average: by default padding does NOT count (`countIncludePad: false`, the
 * Keras/TensorFlow behaviour): a border window averages only its real cells, so a constant image
 * pools to the same constant everywhere and borders are not darkened by zeros that are not data.
 * `countIncludePad: true` divides every window by kh·kw, padding counted as zeros (PyTorch's
 * default). Without padding the two agree.
 */
import type { PaddingOption, PairOption, WindowGeometry } from '../kernels/conv-geometry';
import type { PoolWindowConfig } from './window-options';
import { booleanOption } from '../options';
import { avgPoolBackward, avgPoolForward } from '../kernels/pooling';
import { PoolingLayer } from './pooling-layer';

export interface AvgPoolOptions {
  /** Window height = width, or [h, w]. */
  size: PairOption;
  /** Default: the window size (non-overlapping windows). */
  stride?: PairOption;
  /** Padding cells per side (number or [ph, pw], each < the window), or 'same' / 'valid'. Default 0. */
  padding?: PaddingOption;
  /** Whether padding cells count (as zeros) in the average. Default false: see the file comment. */
  countIncludePad?: boolean;
}

export interface AvgPoolConfig extends PoolWindowConfig {
  countIncludePad: boolean;
}

export class AvgPool extends PoolingLayer {
  readonly kind = 'AvgPool';
  private readonly countIncludePad: boolean;

  constructor(options: AvgPoolOptions) {
    super('AvgPool', options, ['size', 'stride', 'padding', 'countIncludePad']);
    this.countIncludePad = booleanOption('AvgPool', 'countIncludePad', options.countIncludePad, false);
  }

  protected pool(x: Float32Array, y: Float32Array, g: WindowGeometry): void {
    avgPoolForward(x, y, g, this.countIncludePad);
  }

  protected unpool(dy: Float32Array, dx: Float32Array, g: WindowGeometry): void {
    avgPoolBackward(dy, dx, g, this.countIncludePad);
  }

  override config(): AvgPoolConfig {
    return { ...super.config(), countIncludePad: this.countIncludePad };
  }
}
