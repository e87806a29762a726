import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer';
import { unitIntervalOption } from '../options';

export interface NesterovOptions extends OptimizerOptions {
  /** μ ∈ [0, 1); default 0.9. */
  momentum?: number;
}

/**
 * Nesterov accelerated gradient in the PyTorch form (`nesterov=True`): the step looks ahead along the
 * freshly updated velocity.
 *
 *     v ← μ·v + g
 *     w ← w − η·(g + μ·v)
 *
 * g is the gradient after clipping and coupled weight decay (see {@link Optimizer}); v starts at 0.
 * Defaults: η = 0.01, μ = 0.9, λ = 0.
 */
export class Nesterov extends Optimizer {
  readonly kind = 'Nesterov';
  readonly momentum: number;

  constructor(options: NesterovOptions = {}) {
    super('Nesterov', options, 0.01, ['momentum'], ['velocity']);
    this.momentum = unitIntervalOption('Nesterov', 'momentum', options.momentum, 0.9);
  }

  protected update(value: Float32Array, grad: Float32Array, slots: Float32Array[], lr: number, gradScale: number, decay: number): void {
    const velocity = slots[0];
    const mu = this.momentum;
    for (let i = 0; i < value.length; i++) {
      const g = gradScale * grad[i] + decay * value[i];
      const v = mu * velocity[i] + g;
      velocity[i] = v;
      value[i] -= lr * (g + mu * v);
    }
  }

  protected ruleConfig(): OptimizerConfig {
    return { momentum: this.momentum };
  }
}
