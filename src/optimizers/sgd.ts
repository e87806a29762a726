import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer';

export type SGDOptions = OptimizerOptions;

/**
 * Plain stochastic gradient descent.
 *
 *     w ← w − η·g
 *
 * g is the gradient after global-norm clipping and coupled L2 weight decay (g ← g + λ·w, `decay: true`
 * params only), see {@link Optimizer}. Defaults: η = 0.01, λ = 0, no clipping. No state.
 */
export class SGD extends Optimizer {
  readonly kind = 'SGD';

  constructor(options: SGDOptions = {}) {
    super('SGD', options, 0.01, [], []);
  }

  protected update(value: Float32Array, grad: Float32Array, _slots: Float32Array[], lr: number, gradScale: number, decay: number): void {
    for (let i = 0; i < value.length; i++) {
      const g = gradScale * grad[i] + decay * value[i];
      value[i] -= lr * g;
    }
  }

  protected ruleConfig(): OptimizerConfig {
    return {};
  }
}
