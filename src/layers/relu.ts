/**
 * ReLU: y = max(0, x), elementwise on any shape. The gradient passes where the input was positive
 * (at exactly 0 it is taken as 0, the usual subgradient).
 */
import { reluBackward, reluForward } from '../kernels/activation';
import { ElementwiseActivation } from './elementwise-activation';

export class ReLU extends ElementwiseActivation {
  readonly kind = 'ReLU';
  /** Exactly the positive part, on any shape (Layer.positivePart): Sequential may run it after a MaxPool. */
  readonly positivePart = true;

  constructor(options: Record<string, never> = {}) {
    super('ReLU', options);
  }

  protected forwardElements(xs: Float32Array, ys: Float32Array): void {
    reluForward(xs, ys, xs.length);
  }

  protected backwardElements(xs: Float32Array, _ys: Float32Array, g: Float32Array, d: Float32Array): void {
    reluBackward(xs, g, d, xs.length);
  }
}
