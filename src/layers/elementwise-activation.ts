/**
 * An activation applied to each element on its own, on any shape: y = f(x), dx = dy · f′(x). The shell —
 * no options, shape and data checks, the reused output and gradient buffers, the "backward before forward"
 * error — is here once; ReLU, Sigmoid and Tanh each write only their two loops.
 */
import { checkOptionNames } from '../options';
import type { Rng } from '../random';
import { checkDataLength, checkUpstreamGradient, assertValidShape, reuse, type Shape, type Tensor } from '../tensor';
import { ParameterFreeLayer } from './parameter-free-layer';

export abstract class ElementwiseActivation extends ParameterFreeLayer {
  /** The last forward's input and output: backward reads whichever its derivative is written in. */
  private x: Tensor | undefined;
  private y: Tensor | undefined;
  private dx: Tensor | undefined;

  protected constructor(kind: string, options: Record<string, never>) {
    super(kind);
    checkOptionNames(kind, options, []);
  }

  /** ys[i] = f(xs[i]) for every i (the arrays have the same length). */
  protected abstract forwardElements(xs: Float32Array, ys: Float32Array): void;
  /** dxs[i] = dys[i] · f′ at element i, from the input xs or the output ys of the last forward. */
  protected abstract backwardElements(xs: Float32Array, ys: Float32Array, dys: Float32Array, dxs: Float32Array): void;

  build(inputShape: Shape, _rng?: Rng): Shape {
    assertValidShape(inputShape, `${this.kind} input shape`);
    return [...inputShape];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.memory.assertLive();
    checkDataLength(`${this.kind} input`, x);
    this.x = x;
    const y = (this.y = reuse(this.y, x.shape, this.memory));
    this.forwardElements(x.data, y.data);
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    const x = this.x, y = this.y;
    if (x === undefined || y === undefined) throw new Error(`${this.kind}.backward called before forward`);
    checkUpstreamGradient(this.kind, dy, y.shape);
    const dx = (this.dx = reuse(this.dx, y.shape, this.memory));
    this.backwardElements(x.data, y.data, dy.data, dx.data);
    return dx;
  }

  config(): object {
    return {};
  }
}
