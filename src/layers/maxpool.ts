/**
 * MaxPool: the maximum of each size[0]×size[1] window of every channel, NCHW.
 *
 * The gradient goes to the window's argmax only. Deterministic on ties: the FIRST cell of the
 * window in row-major order wins. Padding cells count as −∞, so they never win; padding must be
 * smaller than the window (so every window holds a real cell). Output size ⌊(n + 2p − f)/s⌋ + 1.
 */
import type { PaddingOption, PairOption, WindowGeometry } from '../kernels/conv-geometry';
import type { PoolWindowConfig } from './window-options';
import { maxPoolBackward, maxPoolForward } from '../kernels/pooling';
import { PoolingLayer } from './pooling-layer';

export interface MaxPoolOptions {
  /** Window height = width, or [h, w]. */
  size: PairOption;
  /** Default: the window size (non-overlapping windows). */
  stride?: PairOption;
  /** −∞ cells per side (number or [ph, pw], each < the window), or 'same' / 'valid'. Default 0. */
  padding?: PaddingOption;
}

export type MaxPoolConfig = PoolWindowConfig;

export class MaxPool extends PoolingLayer {
  readonly kind = 'MaxPool';
  /** A max with a first-wins argmax commutes with a ReLU before it (Layer.commutesWithPositivePart). */
  readonly commutesWithPositivePart = true;
  /** The index of each output's winning input cell, for backward. */
  private argmax = new Int32Array(0);

  constructor(options: MaxPoolOptions) {
    super('MaxPool', options, ['size', 'stride', 'padding']);
  }

  protected override batchChanged(g: WindowGeometry): void {
    // Give the old winners' block back: the batch size changes every epoch (last partial batch, evaluation).
    this.memory.release(this.argmax);
    this.argmax = this.memory.int32(g.batch * g.channels * g.outH * g.outW);
  }

  protected pool(x: Float32Array, y: Float32Array, g: WindowGeometry): void {
    maxPoolForward(x, y, this.argmax, g);
  }

  protected unpool(dy: Float32Array, dx: Float32Array, g: WindowGeometry): void {
    maxPoolBackward(dy, this.argmax, dx, dx.length, dy.length, g.batch * g.channels);
  }
}
