import { VelocityOptimizer, type MomentumOptions } from './momentum';

export type NesterovOptions = MomentumOptions;

/**
 * Nesterov accelerated gradient in the PyTorch form (`nesterov=True`): v ← μ·v + g, w ← w − η·(g + μ·v), the
 * step looking ahead along the freshly updated velocity. The same rule as {@link Momentum} but for that step
 * (see {@link VelocityOptimizer}). Defaults: η = 0.01, μ = 0.9, λ = 0.
 */
export class Nesterov extends VelocityOptimizer {
  readonly kind = 'Nesterov';

  constructor(options: NesterovOptions = {}) {
    super('Nesterov', options, true);
  }
}
