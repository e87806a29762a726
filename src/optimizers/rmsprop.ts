import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer';
import { positiveOption, unitIntervalOption } from '../options';

export interface RMSpropOptions extends OptimizerOptions {
  /** Decay rate ρ ∈ [0, 1) of the mean square; default 0.9. */
  rho?: number;
  /** ε > 0 added to √s (outside the root); default 1e-8. */
  eps?: number;
}

/**
 * RMSprop (Hinton's lecture 6e), ε outside the square root as in PyTorch:
 *
 *     s ← ρ·s + (1−ρ)·g²
 *     w ← w − η·g / (√s + ε)
 *
 * g is the gradient after clipping and coupled weight decay (see {@link Optimizer}); s starts at 0.
 * Defaults: η = 0.001, ρ = 0.9, ε = 1e-8, λ = 0.
 */
export class RMSprop extends Optimizer {
  readonly kind = 'RMSprop';
  readonly rho: number;
  readonly eps: number;

  constructor(options: RMSpropOptions = {}) {
    super('RMSprop', options, 0.001, ['rho', 'eps'], ['meanSquare']);
    this.rho = unitIntervalOption('RMSprop', 'rho', options.rho, 0.9);
    this.eps = positiveOption('RMSprop', 'eps', options.eps, 1e-8);
  }

  protected update(value: Float32Array, grad: Float32Array, slots: Float32Array[], lr: number, gradScale: number, decay: number): void {
    const meanSquare = slots[0];
    const rho = this.rho;
    const eps = this.eps;
    for (let i = 0; i < value.length; i++) {
      const g = gradScale * grad[i] + decay * value[i];
      const s = rho * meanSquare[i] + (1 - rho) * g * g;
      meanSquare[i] = s;
      value[i] -= (lr * g) / (Math.sqrt(s) + eps);
    }
  }

  protected ruleConfig(): OptimizerConfig {
    return { rho: this.rho, eps: this.eps };
  }
}
