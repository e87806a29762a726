/**
 * Tanh: y = tanh(x), elementwise on any shape; dx = dy · (1 − y²).
 */
import { ElementwiseActivation } from './elementwise-activation';

export class Tanh extends ElementwiseActivation {
  readonly kind = 'Tanh';

  constructor(options: Record<string, never> = {}) {
    super('Tanh', options);
  }

  protected forwardElements(xs: Float32Array, ys: Float32Array): void {
    for (let i = 0; i < xs.length; i++) ys[i] = Math.tanh(xs[i]);
  }

  protected backwardElements(_xs: Float32Array, ys: Float32Array, g: Float32Array, d: Float32Array): void {
    for (let i = 0; i < ys.length; i++) d[i] = g[i] * (1 - ys[i] * ys[i]);
  }
}
