import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer';
import { unitIntervalOption } from '../options';

export interface MomentumOptions extends OptimizerOptions {
  /** μ ∈ [0, 1); default 0.9. */
  momentum?: number;
}

/**
 * SGD with a velocity, in the PyTorch/tfjs form where the velocity accumulates raw gradients and the learning
 * rate multiplies it at use (so a schedule's change of η acts at once). {@link Momentum} and
 * {@link Nesterov} are this one rule; they differ only in the step taken along the velocity:
 *
 *     v ← μ·v + g
 *     w ← w − η·v              heavy-ball momentum
 *     w ← w − η·(g + μ·v)      Nesterov: a look-ahead along the freshly updated velocity
 *
 * g is the gradient after clipping and coupled weight decay (see {@link Optimizer}); v starts at 0.
 * Defaults: η = 0.01, μ = 0.9, λ = 0.
 */
export abstract class VelocityOptimizer extends Optimizer {
  readonly momentum: number;
  /** Nesterov's look-ahead step. */
  private readonly lookAhead: boolean;

  protected constructor(kind: 'Momentum' | 'Nesterov', options: MomentumOptions, lookAhead: boolean) {
    super(kind, options, 0.01, ['momentum'], ['velocity']);
    this.momentum = unitIntervalOption(kind, 'momentum', options.momentum, 0.9);
    this.lookAhead = lookAhead;
  }

  protected update(value: Float32Array, grad: Float32Array, slots: Float32Array[], lr: number, gradScale: number, decay: number): void {
    const velocity = slots[0];
    const mu = this.momentum;
    // Two loops rather than a branch per element: this is the inner loop of every update.
    if (this.lookAhead) {
      for (let i = 0; i < value.length; i++) {
        const g = gradScale * grad[i] + decay * value[i];
        const v = mu * velocity[i] + g;
        velocity[i] = v;
        value[i] -= lr * (g + mu * v);
      }
    } else {
      for (let i = 0; i < value.length; i++) {
        const g = gradScale * grad[i] + decay * value[i];
        const v = mu * velocity[i] + g;
        velocity[i] = v;
        value[i] -= lr * v;
      }
    }
  }

  protected ruleConfig(): OptimizerConfig {
    return { momentum: this.momentum };
  }
}

/**
 * SGD with (heavy-ball) momentum: v ← μ·v + g, w ← w − η·v (see {@link VelocityOptimizer}).
 * With μ = 0 it is exactly {@link SGD}.
 */
export class Momentum extends VelocityOptimizer {
  readonly kind = 'Momentum';

  constructor(options: MomentumOptions = {}) {
    super('Momentum', options, false);
  }
}
