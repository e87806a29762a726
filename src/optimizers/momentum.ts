import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer';
import { unitIntervalOption } from '../options';

export interface MomentumOptions extends OptimizerOptions {
  /** μ ∈ [0, 1); default 0.9. */
  momentum?: number;
}

/**
 * SGD with (heavy-ball) momentum, in the PyTorch/tfjs form where the velocity accumulates raw gradients
 * and the learning rate multiplies it at use (so a schedule's change of η acts at once):
 *
 *     v ← μ·v + g
 *     w ← w − η·v
 *
 * g is the gradient after clipping and coupled weight decay (see {@link Optimizer}); v starts at 0.
 * Defaults: η = 0.01, μ = 0.9, λ = 0. With μ = 0 it is exactly {@link SGD}.
 */
export class Momentum extends Optimizer {
  readonly kind = 'Momentum';
  readonly momentum: number;

  constructor(options: MomentumOptions = {}) {
    super('Momentum', options, 0.01, ['momentum'], ['velocity']);
    this.momentum = unitIntervalOption('Momentum', 'momentum', options.momentum, 0.9);
  }

  protected update(value: Float32Array, grad: Float32Array, slots: Float32Array[], lr: number, gradScale: number, decay: number): void {
    const velocity = slots[0];
    const mu = this.momentum;
    for (let i = 0; i < value.length; i++) {
      const g = gradScale * grad[i] + decay * value[i];
      const v = mu * velocity[i] + g;
      velocity[i] = v;
      value[i] -= lr * v;
    }
  }

  protected ruleConfig(): OptimizerConfig {
    return { momentum: this.momentum };
  }
}
