/**
 * Sigmoid: y = 1 / (1 + e^(−x)), elementwise on any shape; dx = dy · y · (1 − y).
 * For x < 0 it is computed as eˣ / (1 + eˣ) so that e^(−x) never overflows.
 */
import { MemoryOwner } from '../memory';
import { checkOptionNames } from '../options';
import type { Rng } from '../random';
import { checkDataLength, checkUpstreamGradient, assertValidShape, reuse, type Shape, type Tensor } from '../tensor';
import type { Layer, Param } from './layer';

export class Sigmoid implements Layer {
  readonly kind = 'Sigmoid';
  /** Owns this layer's blocks of the kernels' memory (docs/memory.md). */
  private readonly memory = new MemoryOwner('Sigmoid');
  private y: Tensor | undefined;
  private dx: Tensor | undefined;

  constructor(options: Record<string, never> = {}) {
    checkOptionNames('Sigmoid', options, []);
  }

  build(inputShape: Shape, _rng?: Rng): Shape {
    assertValidShape(inputShape, 'Sigmoid input shape');
    return [...inputShape];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.memory.assertLive();
    checkDataLength('Sigmoid input', x);
    const y = (this.y = reuse(this.y, x.shape, this.memory));
    const xs = x.data, ys = y.data;
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i];
      if (v >= 0) {
        ys[i] = 1 / (1 + Math.exp(-v));
      } else {
        const e = Math.exp(v);
        ys[i] = e / (1 + e);
      }
    }
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    const y = this.y;
    if (y === undefined) throw new Error('Sigmoid.backward called before forward');
    checkUpstreamGradient('Sigmoid', dy, y.shape);
    const dx = (this.dx = reuse(this.dx, y.shape, this.memory));
    const ys = y.data, g = dy.data, d = dx.data;
    for (let i = 0; i < ys.length; i++) d[i] = g[i] * ys[i] * (1 - ys[i]);
    return dx;
  }

  params(): Param[] {
    return [];
  }

  /** Gives back the layer's blocks of the kernels' memory (idempotent); using it afterwards throws DisposedError. */
  dispose(): void {
    this.memory.dispose();
  }

  config(): object {
    return {};
  }
}
