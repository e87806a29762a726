/**
 * Dropout (inverted): in training each value is kept with probability 1 − rate and scaled by
 * 1/(1 − rate), so the expected output equals the input and inference is simply the identity
 * (no rescaling at test time, unlike the original paper's formulation).
 *
 * The mask comes from the Rng passed to build (the net's seeded generator), so a seeded net
 * drops the same units on every run. While frozen (`setFrozen(true)`, what gradCheck does) every
 * training forward reuses the last mask, so repeated forwards are one deterministic function;
 * a frozen layer without a mask for this input size draws one once and keeps it.
 */
import { MemoryOwner } from '../memory';
import { OptionError, formatValue, notBuiltError } from '../errors';
import { optionsObject } from '../options';
import type { Rng } from '../random';
import { checkUpstreamGradient, assertValidShape, checkBatch, reuse, type Shape, type Tensor } from '../tensor';
import type { Layer, Param } from './layer';

export interface DropoutOptions {
  /** Probability of dropping each value, in [0, 1). */
  rate: number;
}

export interface DropoutConfig {
  rate: number;
}

export class Dropout implements Layer {
  readonly kind = 'Dropout';
  /** Owns this layer's blocks of the kernels' memory (docs/memory.md). */
  private readonly memory = new MemoryOwner('Dropout');
  private readonly rate: number;
  private rng: Rng | undefined;
  private inputShape: Shape = [];
  private frozen = false;

  /** Per value: 0 (dropped) or 1/(1 − rate) (kept); valid for the last training forward. */
  private mask = new Float32Array(0);
  private hasMask = false;
  private output: Tensor | undefined;
  private dInput: Tensor | undefined;
  private lastTraining = false;
  private forwarded = false;

  constructor(options: DropoutOptions) {
    const { rate } = optionsObject('Dropout', options, ['rate'], '{ rate: 0.5 }');
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new OptionError(`Dropout: option "rate" must be a number in [0, 1) (the probability of dropping a value), got ${formatValue(rate)}`);
    }
    this.rate = rate;
  }

  build(inputShape: Shape, rng: Rng): Shape {
    assertValidShape(inputShape, 'Dropout input shape');
    if (!rng || typeof rng.next !== 'function') throw new Error('Dropout.build needs the net\'s Rng (it draws the masks)');
    this.inputShape = [...inputShape];
    this.rng = rng;
    this.hasMask = false;
    return [...inputShape];
  }

  forward(x: Tensor, training: boolean): Tensor {
    this.memory.assertLive();
    if (!this.rng) throw notBuiltError('Dropout');
    checkBatch('Dropout', x, this.inputShape);
    this.lastTraining = training;
    this.forwarded = true;
    if (!training) return x; // the identity: no copy (the caller's tensor passes through)
    const size = x.data.length;
    if (this.output === undefined || this.output.data.length !== size) {
      this.output = reuse(this.output, x.shape, this.memory);
      this.dInput = reuse(this.dInput, x.shape, this.memory);
      this.mask = new Float32Array(size);
      this.hasMask = false;
    }
    const mask = this.mask;
    if (!this.frozen || !this.hasMask) {
      this.rng.fillMask(mask, size, this.rate, 1 / (1 - this.rate));
      this.hasMask = true;
    }
    const xs = x.data;
    const y = this.output.data;
    for (let i = 0; i < size; i++) y[i] = xs[i] * mask[i];
    return this.output;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    if (!this.forwarded) throw new Error('Dropout.backward called before forward');
    if (!this.lastTraining) return dy; // the identity's gradient
    checkUpstreamGradient('Dropout', dy, this.output!.shape);
    const mask = this.mask;
    const dys = dy.data;
    const dx = this.dInput!.data;
    for (let i = 0; i < dx.length; i++) dx[i] = dys[i] * mask[i];
    return this.dInput!;
  }

  params(): Param[] {
    return [];
  }

  setFrozen(frozen: boolean): void {
    this.frozen = frozen;
  }

  /** Gives back the layer's blocks of the kernels' memory (idempotent); using it afterwards throws DisposedError. */
  dispose(): void {
    this.memory.dispose();
  }

  config(): DropoutConfig {
    return { rate: this.rate };
  }

}
