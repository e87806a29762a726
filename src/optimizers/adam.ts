import { adamUpdate } from '../kernels/optimizer';
import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer';
import { positiveOption, unitIntervalOption } from '../options';

export interface AdamOptions extends OptimizerOptions {
  /** β₁ ∈ [0, 1), decay of the first moment; default 0.9. */
  beta1?: number;
  /** β₂ ∈ [0, 1), decay of the second moment; default 0.999. */
  beta2?: number;
  /** ε > 0 added to √v̂ (outside the root, after bias correction); default 1e-8. */
  eps?: number;
}

/**
 * Adam (Kingma & Ba 2015, Algorithm 1), with bias correction DIVIDING the moments:
 *
 *     m ← β₁·m + (1−β₁)·g
 *     v ← β₂·v + (1−β₂)·g²
 *     m̂ = m / (1−β₁ᵗ),   v̂ = v / (1−β₂ᵗ)
 *     w ← w − η·m̂ / (√v̂ + ε)
 *
 * t counts steps from 1 (one global counter for the optimizer). g is the gradient after clipping and
 * coupled L2 weight decay (this is Adam with L2, not AdamW). The first step moves each coordinate by
 * ≈ η·sign(g). Defaults: η = 0.001, β₁ = 0.9, β₂ = 0.999, ε = 1e-8, λ = 0.
 */
export class Adam extends Optimizer {
  readonly kind = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(options: AdamOptions = {}) {
    super('Adam', options, 0.001, ['beta1', 'beta2', 'eps'], ['m', 'v']);
    this.beta1 = unitIntervalOption('Adam', 'beta1', options.beta1, 0.9);
    this.beta2 = unitIntervalOption('Adam', 'beta2', options.beta2, 0.999);
    this.eps = positiveOption('Adam', 'eps', options.eps, 1e-8);
  }

  protected update(value: Float32Array, grad: Float32Array, slots: Float32Array[], lr: number, gradScale: number, decay: number, t: number): void {
    const m = slots[0];
    const v = slots[1];
    const beta1 = this.beta1;
    const beta2 = this.beta2;
    const eps = this.eps;
    // The loop of the rule above (kernels/optimizer.ts: wasm SIMD when loaded).
    adamUpdate(value, grad, m, v, value.length, lr, beta1, beta2, eps, t, gradScale, decay);
  }

  protected ruleConfig(): OptimizerConfig {
    return { beta1: this.beta1, beta2: this.beta2, eps: this.eps };
  }
}
