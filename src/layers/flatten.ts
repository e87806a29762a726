/**
 * Flatten: [N, C, H, W] (or any [N, …]) → [N, C·H·W]. Row-major data is already laid out that way,
 * so forward and backward are views of the same buffer (no copy); the view objects are cached so
 * that a batch allocates nothing.
 */
import { checkOptionNames } from '../options';
import { notBuiltError } from '../errors';
import type { Rng } from '../random';
import { checkUpstreamGradient, ShapeError, assertValidShape, formatShape, sizeOf, type Shape, type Tensor } from '../tensor';
import { ParameterFreeLayer } from './parameter-free-layer';

export class Flatten extends ParameterFreeLayer {
  readonly kind = 'Flatten';
  private size = 0;
  private inputShape: Shape = [];
  private y: Tensor | undefined;
  private dx: Tensor | undefined;
  private lastInputShape: Shape | undefined;

  constructor(options: Record<string, never> = {}) {
    super('Flatten');
    checkOptionNames('Flatten', options, []);
  }

  build(inputShape: Shape, _rng?: Rng): Shape {
    assertValidShape(inputShape, 'Flatten input shape');
    this.inputShape = [...inputShape];
    this.size = sizeOf(inputShape);
    return [this.size];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.memory.assertLive();
    if (this.size === 0) throw notBuiltError('Flatten');
    const n = x.shape[0];
    if (x.shape.length < 2 || x.data.length !== n * this.size) {
      throw new ShapeError(`Flatten: expected input [N, ${this.inputShape.join(', ')}], got ${formatShape(x.shape)}`);
    }
    if (this.y === undefined || this.y.data !== x.data || this.y.shape[0] !== n) this.y = { shape: [n, this.size], data: x.data };
    this.lastInputShape = x.shape;
    return this.y;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    const shape = this.lastInputShape;
    if (shape === undefined) throw new Error('Flatten.backward called before forward');
    checkUpstreamGradient('Flatten', dy, this.y!.shape);
    if (this.dx === undefined || this.dx.data !== dy.data || this.dx.shape[0] !== shape[0]) this.dx = { shape: [...shape], data: dy.data };
    return this.dx;
  }

  config(): object {
    return {};
  }
}
