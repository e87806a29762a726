/**
 * Sigmoid: y = 1 / (1 + e^(−x)), elementwise on any shape; dx = dy · y · (1 − y).
 * For x < 0 it is computed as eˣ / (1 + eˣ) so that e^(−x) never overflows.
 */
import { ElementwiseActivation } from './elementwise-activation';

export class Sigmoid extends ElementwiseActivation {
  readonly kind = 'Sigmoid';

  constructor(options: Record<string, never> = {}) {
    super('Sigmoid', options);
  }

  protected forwardElements(xs: Float32Array, ys: Float32Array): void {
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i];
      if (v >= 0) {
        ys[i] = 1 / (1 + Math.exp(-v));
      } else {
        const e = Math.exp(v);
        ys[i] = e / (1 + e);
      }
    }
  }

  protected backwardElements(_xs: Float32Array, ys: Float32Array, g: Float32Array, d: Float32Array): void {
    for (let i = 0; i < ys.length; i++) d[i] = g[i] * ys[i] * (1 - ys[i]);
  }
}
