/**
 * Affine (fully connected): y = x·W + b.
 * Accepts any per-sample shape and flattens it ([N, C, H, W] is read as [N, C·H·W]), so no Flatten
 * is needed between a convolution and a dense layer.
 *
 *   forward   y[N×U]  = x[N×D] · W[D×U] + b
 *   backward  dW     += xᵀ · dy        db += Σₙ dy        dx = dy · Wᵀ
 */
import { MemoryOwner } from '../memory';
import { accumulateColumnSums, addRowVector } from '../kernels/bias';
import { fillZero } from '../kernels/fill';
import { matmul, matmulTransA, matmulTransB } from '../kernels/gemm';
import { notBuiltError } from '../errors';
import type { Rng } from '../random';
import { checkDataLength, checkUpstreamGradient, ShapeError, assertValidShape, formatShape, reuse, sizeOf, type Shape, type Tensor } from '../tensor';
import { assertInitName, initWeights, type InitName } from './init';
import { booleanOption, optionsObject, positiveIntegerOption } from '../options';
import { makeParam, type Layer, type Param } from './layer';
import { paramValues } from './param-budget';

export interface AffineOptions {
  /** Output width (number of units). */
  units: number;
  /** 'he' (default: the layer is usually followed by ReLU) or 'xavier'. */
  init?: InitName;
  /** Whether to learn a bias (default true). */
  useBias?: boolean;
}

export class Affine implements Layer {
  readonly kind = 'Affine';
  /** Owns this layer's blocks of the kernels' memory (docs/memory.md). */
  private readonly memory = new MemoryOwner('Affine');
  readonly units: number;
  readonly init: InitName;
  readonly useBias: boolean;

  private inputSize = 0;
  private weights: Param | undefined;
  private bias: Param | undefined;
  private x: Tensor | undefined;
  private y: Tensor | undefined;
  private dx: Tensor | undefined;
  /** Whether backward must compute dx (see Layer.setInputGradient). */
  private inputGradient = true;
  /**
   * The dx array last filled with zeros for a skipped input gradient, while nothing has written it since:
   * fit skips dx on every step, and refilling the same zeros cost ~15 µs of the MLP's ~1.2 ms step. dx
   * belongs to the layer (a caller must not write into it), so only a computed dx or a new block ends this.
   */
  private zeroDx: Float32Array | undefined;

  constructor(options: AffineOptions) {
    optionsObject('Affine', options, ['units', 'init', 'useBias'], '{ units: 10 }');
    const { init = 'he' } = options;
    this.units = positiveIntegerOption('Affine', 'units', options.units);
    assertInitName(init, 'Affine');
    this.init = init;
    this.useBias = booleanOption('Affine', 'useBias', options.useBias, true);
  }

  build(inputShape: Shape, rng: Rng): Shape {
    assertValidShape(inputShape, 'Affine input shape');
    this.inputSize = sizeOf(inputShape);
    const weights = paramValues(this.inputSize * this.units);
    initWeights(this.init, rng, this.inputSize, this.units, weights);
    this.weights = makeParam('weights', [this.inputSize, this.units], weights, true, this.memory);
    this.bias = this.useBias ? makeParam('bias', [this.units], paramValues(this.units), false, this.memory) : undefined;
    return [this.units];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.memory.assertLive();
    const weights = this.built();
    checkDataLength('Affine input', x);
    const n = x.shape[0];
    if (x.shape.length < 2 || x.data.length !== n * this.inputSize) {
      throw new ShapeError(
        `Affine: expected input [N, ${this.inputSize}] (or [N, …] of ${this.inputSize} values per sample), got ${formatShape(x.shape)}`,
      );
    }
    this.x = x;
    const y = (this.y = reuse(this.y, [n, this.units], this.memory));
    matmul(x.data, weights.value, y.data, n, this.inputSize, this.units, false);
    if (this.bias) addRowVector(y.data, this.bias.value, n, this.units);
    return y;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    const weights = this.built();
    const x = this.x;
    if (x === undefined) throw new Error('Affine.backward called before forward');
    const n = x.shape[0];
    checkUpstreamGradient('Affine', dy, this.y!.shape);
    // dW[D×U] += xᵀ·dy, x stored [N×D].
    matmulTransA(x.data, dy.data, weights.grad, this.inputSize, n, this.units, true);
    if (this.bias) accumulateColumnSums(dy.data, this.bias.grad, n, this.units);
    // dx[N×D] = dy·Wᵀ, W stored [D×U]; dx keeps the input's shape (it may have been [N, C, H, W]).
    const dx = (this.dx = reuse(this.dx, x.shape, this.memory));
    if (this.inputGradient) {
      matmulTransB(dy.data, weights.value, dx.data, n, this.units, this.inputSize, false);
      this.zeroDx = undefined;
    } else if (this.zeroDx !== dx.data) {
      fillZero(dx.data);
      this.zeroDx = dx.data;
    }
    return dx;
  }

  setInputGradient(needed: boolean): void {
    this.inputGradient = needed;
  }

  params(): Param[] {
    const weights = this.built();
    return this.bias ? [weights, this.bias] : [weights];
  }

  /** Gives back the layer's blocks of the kernels' memory (idempotent); using it afterwards throws DisposedError. */
  dispose(): void {
    this.memory.dispose();
  }

  config(): AffineOptions {
    return { units: this.units, init: this.init, useBias: this.useBias };
  }

  private built(): Param {
    if (this.weights === undefined) throw notBuiltError('Affine');
    return this.weights;
  }
}
