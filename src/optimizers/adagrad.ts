import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer';
import { positiveOption } from '../options';

export interface AdaGradOptions extends OptimizerOptions {
  /** ε > 0 added to √s (outside the root); default 1e-8. */
  eps?: number;
}

/**
 * AdaGrad (Duchi et al. 2011): a per-coordinate rate shrinking with the sum of squared gradients.
 *
 *     s ← s + g²
 *     w ← w − η·g / (√s + ε)
 *
 * g is the gradient after clipping and coupled weight decay (see {@link Optimizer}); s starts at 0.
 * Defaults: η = 0.01, ε = 1e-8, λ = 0.
 */
export class AdaGrad extends Optimizer {
  readonly kind = 'AdaGrad';
  readonly eps: number;

  constructor(options: AdaGradOptions = {}) {
    super('AdaGrad', options, 0.01, ['eps'], ['sumSquares']);
    this.eps = positiveOption('AdaGrad', 'eps', options.eps, 1e-8);
  }

  protected update(value: Float32Array, grad: Float32Array, slots: Float32Array[], lr: number, gradScale: number, decay: number): void {
    const sumSquares = slots[0];
    const eps = this.eps;
    for (let i = 0; i < value.length; i++) {
      const g = gradScale * grad[i] + decay * value[i];
      const s = sumSquares[i] + g * g;
      sumSquares[i] = s;
      value[i] -= (lr * g) / (Math.sqrt(s) + eps);
    }
  }

  protected ruleConfig(): OptimizerConfig {
    return { eps: this.eps };
  }
}
