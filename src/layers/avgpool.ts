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
import { MemoryOwner } from '../memory';
import { windowGeometry, type PaddingOption, type PairOption, type WindowGeometry } from '../kernels/conv-geometry';
import { copyWindowOption, imageShape, poolWindow, type PoolWindowConfig } from './window-options';
import { booleanOption, optionsObject } from '../options';
import { avgPoolBackward, avgPoolForward } from '../kernels/pooling';
import { notBuiltError } from '../errors';
import type { Rng } from '../random';
import { checkUpstreamGradient, checkBatch, reuse, type Shape, type Tensor } from '../tensor';
import type { Layer, Param } from './layer';

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

export class AvgPool implements Layer {
  readonly kind = 'AvgPool';
  /** Owns this layer's blocks of the kernels' memory (docs/memory.md). */
  private readonly memory = new MemoryOwner('AvgPool');
  private readonly options: AvgPoolConfig;
  private readonly size: [number, number];
  private readonly stride: [number, number];
  private inputShape: Shape = [];
  private channels = 0;
  private height = 0;
  private width = 0;
  private geometry: WindowGeometry | undefined;

  private output: Tensor | undefined;
  private dInput: Tensor | undefined;
  private batch = -1;

  constructor(options: AvgPoolOptions) {
    optionsObject('AvgPool', options, ['size', 'stride', 'padding', 'countIncludePad'], '{ size: 2 }');
    const window = poolWindow('AvgPool', options);
    this.size = window.size;
    this.stride = window.stride;
    this.options = { ...window.config, countIncludePad: booleanOption('AvgPool', 'countIncludePad', options.countIncludePad, false) };
  }

  build(inputShape: Shape, _rng: Rng): Shape {
    [this.channels, this.height, this.width] = imageShape('AvgPool', inputShape);
    this.inputShape = [this.channels, this.height, this.width];
    this.geometry = windowGeometry('AvgPool', this.height, this.width, this.size, this.stride, this.options.padding);
    this.batch = -1;
    return [this.channels, this.geometry.outH, this.geometry.outW];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.memory.assertLive();
    const g = this.requireBuilt();
    const batch = checkBatch('AvgPool', x, this.inputShape);
    if (batch !== this.batch) {
      this.output = reuse(this.output, [batch, this.channels, g.outH, g.outW], this.memory);
      this.dInput = reuse(this.dInput, [batch, this.channels, this.height, this.width], this.memory);
      this.batch = batch;
    }
    avgPoolForward(x.data, this.output!.data, batch * this.channels, this.height, this.width,
      g.kernelH, g.kernelW, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW, this.options.countIncludePad);
    return this.output!;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    const g = this.requireBuilt();
    if (this.batch < 0) throw new Error('AvgPool.backward called before forward');
    checkUpstreamGradient('AvgPool', dy, this.output!.shape);
    avgPoolBackward(dy.data, this.dInput!.data, this.batch * this.channels, this.height, this.width,
      g.kernelH, g.kernelW, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW, this.options.countIncludePad);
    return this.dInput!;
  }

  params(): Param[] {
    return [];
  }

  /** Gives back the layer's blocks of the kernels' memory (idempotent); using it afterwards throws DisposedError. */
  dispose(): void {
    this.memory.dispose();
  }

  config(): AvgPoolConfig {
    const { size, stride, padding, countIncludePad } = this.options;
    return { size: copyWindowOption(size), stride: copyWindowOption(stride), padding: copyWindowOption(padding), countIncludePad };
  }

  private requireBuilt(): WindowGeometry {
    if (!this.geometry) throw notBuiltError('AvgPool');
    return this.geometry;
  }
}
