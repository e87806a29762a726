/**
 * Tanh: y = tanh(x), elementwise on any shape; dx = dy · (1 − y²).
 */
import { MemoryOwner } from '../memory';
import { checkOptionNames } from '../options';
import type { Rng } from '../random';
import { checkDataLength, checkUpstreamGradient, assertValidShape, reuse, type Shape, type Tensor } from '../tensor';
import type { Layer, Param } from './layer';

export class Tanh implements Layer {
  readonly kind = 'Tanh';
  /** Owns this layer's blocks of the kernels' memory (docs/memory.md). */
  private readonly memory = new MemoryOwner('Tanh');
  private y: Tensor | undefined;
  private dx: Tensor | undefined;

  constructor(options: Record<string, never> = {}) {
    checkOptionNames('Tanh', options, []);
  }

  build(inputShape: Shape, _rng?: Rng): Shape {
    assertValidShape(inputShape, 'Tanh input shape');
    return [...inputShape];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.memory.assertLive();
    checkDataLength('Tanh input', x);
    const y = (this.y = reuse(this.y, x.shape, this.memory));
    const xs = x.data, ys = y.data;
    for (let i = 0; i < xs.length; i++) ys[i] = Math.tanh(xs[i]);
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    const y = this.y;
    if (y === undefined) throw new Error('Tanh.backward called before forward');
    checkUpstreamGradient('Tanh', dy, y.shape);
    const dx = (this.dx = reuse(this.dx, y.shape, this.memory));
    const ys = y.data, g = dy.data, d = dx.data;
    for (let i = 0; i < ys.length; i++) d[i] = g[i] * (1 - ys[i] * ys[i]);
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
