/**
 * ReLU: y = max(0, x), elementwise on any shape. The gradient passes where the input was positive
 * (at exactly 0 it is taken as 0, the usual subgradient).
 */
import { MemoryOwner } from '../memory';
import { checkOptionNames } from '../options';
import type { Rng } from '../random';
import type { Shape, Tensor } from '../tensor';
import { checkDataLength, checkUpstreamGradient, assertValidShape, reuse } from '../tensor';
import type { Layer, Param } from './layer';
import { reluBackward, reluForward } from '../kernels/activation';

export class ReLU implements Layer {
  readonly kind = 'ReLU';
  /** Owns this layer's blocks of the kernels' memory (docs/memory.md). */
  private readonly memory = new MemoryOwner('ReLU');
  private x: Tensor | undefined;
  private y: Tensor | undefined;
  private dx: Tensor | undefined;

  constructor(options: Record<string, never> = {}) {
    checkOptionNames('ReLU', options, []);
  }

  build(inputShape: Shape, _rng?: Rng): Shape {
    assertValidShape(inputShape, 'ReLU input shape');
    return [...inputShape];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.memory.assertLive();
    checkDataLength('ReLU input', x);
    this.x = x;
    const y = (this.y = reuse(this.y, x.shape, this.memory));
    const xs = x.data, ys = y.data;
    reluForward(xs, ys, xs.length);
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    const x = this.x;
    if (x === undefined) throw new Error('ReLU.backward called before forward');
    checkUpstreamGradient('ReLU', dy, x.shape);
    const dx = (this.dx = reuse(this.dx, x.shape, this.memory));
    const xs = x.data, g = dy.data, d = dx.data;
    reluBackward(xs, g, d, xs.length);
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
