/**
 * MaxPool: the maximum of each size[0]×size[1] window of every channel, NCHW.
 *
 * The gradient goes to the window's argmax only. Deterministic on ties: the FIRST cell of the
 * window in row-major order wins. Padding cells count as −∞, so they never win; padding must be
 * smaller than the window (so every window holds a real cell). Output size ⌊(n + 2p − f)/s⌋ + 1.
 */
import { MemoryOwner } from '../memory';
import { windowGeometry, type PaddingOption, type PairOption, type WindowGeometry } from '../kernels/conv-geometry';
import { copyWindowOption, imageShape, poolWindow, type PoolWindowConfig } from './window-options';
import { optionsObject } from '../options';
import { maxPoolBackward, maxPoolForward } from '../kernels/pooling';
import { notBuiltError } from '../errors';
import type { Rng } from '../random';
import { checkUpstreamGradient, checkBatch, reuse, type Shape, type Tensor } from '../tensor';
import type { Layer, Param } from './layer';

export interface MaxPoolOptions {
  /** Window height = width, or [h, w]. */
  size: PairOption;
  /** Default: the window size (non-overlapping windows). */
  stride?: PairOption;
  /** −∞ cells per side (number or [ph, pw], each < the window), or 'same' / 'valid'. Default 0. */
  padding?: PaddingOption;
}

export type MaxPoolConfig = PoolWindowConfig;

export class MaxPool implements Layer {
  readonly kind = 'MaxPool';
  /** Owns this layer's blocks of the kernels' memory (docs/memory.md). */
  private readonly memory = new MemoryOwner('MaxPool');
  private readonly options: MaxPoolConfig;
  private readonly size: [number, number];
  private readonly stride: [number, number];
  private inputShape: Shape = [];
  private channels = 0;
  private height = 0;
  private width = 0;
  private geometry: WindowGeometry | undefined;

  private output: Tensor | undefined;
  private dInput: Tensor | undefined;
  private argmax = new Int32Array(0);
  private batch = -1;

  constructor(options: MaxPoolOptions) {
    optionsObject('MaxPool', options, ['size', 'stride', 'padding'], '{ size: 2 }');
    ({ config: this.options, size: this.size, stride: this.stride } = poolWindow('MaxPool', options));
  }

  build(inputShape: Shape, _rng: Rng): Shape {
    [this.channels, this.height, this.width] = imageShape('MaxPool', inputShape);
    this.inputShape = [this.channels, this.height, this.width];
    this.geometry = windowGeometry('MaxPool', this.height, this.width, this.size, this.stride, this.options.padding);
    this.batch = -1;
    return [this.channels, this.geometry.outH, this.geometry.outW];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.memory.assertLive();
    const g = this.requireBuilt();
    const batch = checkBatch('MaxPool', x, this.inputShape);
    if (batch !== this.batch) {
      this.output = reuse(this.output, [batch, this.channels, g.outH, g.outW], this.memory);
      this.dInput = reuse(this.dInput, [batch, this.channels, this.height, this.width], this.memory);
      // Give the old winners' block back: the batch size changes every epoch (last partial batch, evaluation).
      this.memory.release(this.argmax);
      this.argmax = this.memory.int32(this.output.data.length);
      this.batch = batch;
    }
    maxPoolForward(x.data, this.output!.data, this.argmax, batch * this.channels, this.height, this.width,
      g.kernelH, g.kernelW, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW);
    return this.output!;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    this.requireBuilt();
    if (this.batch < 0) throw new Error('MaxPool.backward called before forward');
    checkUpstreamGradient('MaxPool', dy, this.output!.shape);
    maxPoolBackward(dy.data, this.argmax, this.dInput!.data, this.dInput!.data.length, this.output!.data.length,
      this.batch * this.channels);
    return this.dInput!;
  }

  params(): Param[] {
    return [];
  }

  /** Gives back the layer's blocks of the kernels' memory (idempotent); using it afterwards throws DisposedError. */
  dispose(): void {
    this.memory.dispose();
  }

  config(): MaxPoolConfig {
    const { size, stride, padding } = this.options;
    return { size: copyWindowOption(size), stride: copyWindowOption(stride), padding: copyWindowOption(padding) };
  }

  private requireBuilt(): WindowGeometry {
    if (!this.geometry) throw notBuiltError('MaxPool');
    return this.geometry;
  }
}
