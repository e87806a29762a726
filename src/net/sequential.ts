/**
 * Sequential: a stack of layers, each sheet seeing only the one below it. The net builds every layer
 * at construction (shape inference from `inputShape`), so a shape that cannot work fails before any
 * data flows, with the layer's index, kind and both shapes in the message. It knows no layer by type:
 * it only calls the Layer contract. Forward and backward may run a ReLU and the MaxPool after it pool first
 * (same numbers, bit for bit, less work: pooled-first.ts); everything else sees the declared order.
 */
import type { Layer, NamedArray, Param } from '../layers/layer';
import { OptionError, formatValue } from '../errors';
import { fillZero } from '../kernels/fill';
import { DisposedError } from '../memory';
import { optionsObject } from '../options';
import { envVar } from '../platform';
import { forwardSteps, type ForwardStep } from './pooled-first';
import { Rng } from '../random';
import { ShapeError, assertValidShape, formatShape, shapesEqual, sizeOf, type Shape, type Tensor } from '../tensor';

export interface SequentialOptions {
  /** Per-sample input shape: [D] for vectors, [C, H, W] for images. */
  inputShape: Shape;
  /** Seed of the Rng that initialises every layer (default 0). */
  seed?: number;
  /**
   * Run every layer in the declared order (default false, or true when the environment variable
   * NN_DECLARED_ORDER is 1): by default a layer that is exactly the positive part (ReLU) directly followed by a
   * pool that commutes with it (MaxPool) runs pool first, on the smaller tensor, with the same numbers bit for
   * bit (src/net/pooled-first.ts). Only the order of work changes; shapes, params and files do not.
   */
  declaredOrder?: boolean;
}

export interface NamedParam {
  /** "index.Kind.name", e.g. "0.Conv2D.weights": unique within the net and stable across runs. */
  readonly name: string;
  readonly param: Param;
}

export interface NamedBuffer {
  readonly name: string;
  readonly buffer: NamedArray;
}

const LAYER_METHODS = ['build', 'forward', 'backward', 'params', 'config'] as const;

export class Sequential {
  readonly layers: readonly Layer[];
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** Per-sample output shape of each layer (layerShapes[i] is layer i's output). */
  readonly layerShapes: readonly Shape[];
  /** The Rng that built the layers; stochastic layers may fork from it. */
  readonly rng: Rng;
  readonly seed: number;

  /** The order forward and backward run the layers in (pooled-first.ts). */
  private readonly steps: readonly ForwardStep[];
  private readonly paramList: Param[];
  private readonly namedParamList: NamedParam[];
  private readonly namedBufferList: NamedBuffer[];
  private lastOutputShape: Shape | undefined;
  private isDisposed = false;

  constructor(layers: Layer[], options: SequentialOptions) {
    if (!Array.isArray(layers)) throw new TypeError(`Sequential: layers must be an array of layers, got ${describe(layers)}`);
    if (layers.length === 0) throw new OptionError('Sequential: layers must not be empty (give at least one layer)');
    layers.forEach((layer, i) => {
      for (const method of LAYER_METHODS) {
        if (layer === null || typeof layer !== 'object' || typeof (layer as any)[method] !== 'function') {
          throw new TypeError(`Sequential: layers[${i}] is not a Layer (it has no ${method}() method): ${describe(layer)}`);
        }
      }
    });
    checkOwnership(layers);
    optionsObject('Sequential', options, ['inputShape', 'seed', 'declaredOrder'], '{ inputShape: [784], seed: 1 }');
    assertValidShape(options.inputShape, 'Sequential inputShape');
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) throw new OptionError(`Sequential: option "seed" must be an integer, got ${formatValue(options.seed)}`);
    const declaredOrder = options.declaredOrder ?? envVar('NN_DECLARED_ORDER') === '1';
    if (typeof declaredOrder !== 'boolean') {
      throw new OptionError(`Sequential: option "declaredOrder" must be true or false, got ${formatValue(options.declaredOrder)}`);
    }

    this.layers = [...layers];
    this.inputShape = [...options.inputShape];
    this.seed = seed;
    this.rng = new Rng(seed);

    const shapes: Shape[] = [];
    let shape: Shape = this.inputShape;
    this.layers.forEach((layer, i) => {
      const source = i === 0 ? 'the net input' : `the output of layer ${i - 1} (${this.layers[i - 1].kind})`;
      let out: Shape;
      try {
        out = layer.build(shape, this.rng);
      } catch (err) {
        if (err instanceof Error) {
          err.message = `layer ${i} (${layer.kind}) cannot take input ${formatShape(shape)} (${source}): ${err.message}`;
        }
        throw err;
      }
      try {
        assertValidShape(out, 'output shape');
      } catch {
        throw new ShapeError(
          `layer ${i} (${layer.kind}) with input ${formatShape(shape)} produces an empty or invalid output shape ${JSON.stringify(out)}`,
        );
      }
      shape = [...out];
      shapes.push(shape);
    });
    this.layerShapes = shapes;
    this.outputShape = shape;
    for (const layer of this.layers) owners.set(layer, this);
    this.steps = forwardSteps(this.layers, declaredOrder);

    this.paramList = [];
    this.namedParamList = [];
    this.namedBufferList = [];
    this.layers.forEach((layer, i) => {
      for (const param of layer.params()) {
        this.paramList.push(param);
        this.namedParamList.push({ name: `${i}.${layer.kind}.${param.name}`, param });
      }
      for (const buffer of layer.buffers?.() ?? []) {
        this.namedBufferList.push({ name: `${i}.${layer.kind}.${buffer.name}`, buffer });
      }
    });
  }

  /**
   * Runs the batch through every layer. The result belongs to the last layer run (valid until the next
   * forward): the last declared one, or the ReLU of a final ReLU–MaxPool pair run pool first.
   */
  forward(x: Tensor, training = false): Tensor {
    this.assertLive();
    this.checkInput(x);
    let y = x;
    for (const step of this.steps) y = step.forward(y, training);
    this.lastOutputShape = y.shape;
    return y;
  }

  /** Back-propagates dLoss/dOutput; accumulates every param's grad and returns dLoss/dInput. */
  backward(dy: Tensor, inputGradient = true): Tensor {
    this.assertLive();
    const expected = this.lastOutputShape;
    if (expected === undefined) throw new Error('Sequential.backward called before forward');
    if (!shapesEqual(dy.shape, expected) || dy.data.length !== sizeOf(expected)) {
      throw new ShapeError(`Sequential.backward: dy must have the shape of the last output ${formatShape(expected)}, got ${formatShape(dy.shape)}`);
    }
    // Without an input gradient the first layer with params may skip computing its dx (it returns
    // zeros; the layers before it, like Flatten, only pass that on): only for this call, the layer is
    // told again that dx is needed once backward is done.
    const first = inputGradient ? undefined : this.layers.find((layer) => layer.params().length > 0);
    if (!inputGradient) first?.setInputGradient?.(false);
    let d = dy;
    try {
      for (let i = this.steps.length - 1; i >= 0; i--) d = this.steps[i].backward(d);
    } finally {
      if (!inputGradient) first?.setInputGradient?.(true);
    }
    return d;
  }

  /** Every learnable param, in layer order (the same objects on every call). */
  params(): Param[] {
    this.assertLive();
    return this.paramList;
  }

  namedParams(): NamedParam[] {
    this.assertLive();
    return this.namedParamList;
  }

  /** Every non-learned buffer (BatchNorm running statistics), in layer order. */
  buffers(): NamedArray[] {
    this.assertLive();
    return this.namedBufferList.map((b) => b.buffer);
  }

  namedBuffers(): NamedBuffer[] {
    this.assertLive();
    return this.namedBufferList;
  }

  zeroGrad(): void {
    this.assertLive();
    for (const p of this.paramList) fillZero(p.grad);
  }

  /** Freezes (or thaws) every layer that has random or running state (see Layer.setFrozen). */
  setFrozen(frozen: boolean): void {
    for (const layer of this.layers) layer.setFrozen?.(frozen);
  }

  /** Total number of learnable scalars. */
  parameterCount(): number {
    let count = 0;
    for (const p of this.paramList) count += p.value.length;
    return count;
  }

  /** A table: index, kind, per-sample output shape, parameter count; then the total. */
  summary(): string {
    const rows: string[][] = [['#', 'layer', 'output shape', 'params']];
    rows.push(['', 'input', formatShape(this.inputShape), '']);
    this.layers.forEach((layer, i) => {
      const count = layer.params().reduce((sum, p) => sum + p.value.length, 0);
      rows.push([String(i), layer.kind, formatShape(this.layerShapes[i]), String(count)]);
    });
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r: string[]) =>
      r.map((cell, c) => (c === 0 || c === 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
    const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
    return [line(rows[0]), rule, ...rows.slice(1).map(line), rule, `total parameters: ${this.parameterCount()}`].join('\n');
  }

  /**
   * Gives back the kernels' memory of every layer — params, grads, outputs, gradients (docs/memory.md).
   * Idempotent; afterwards every method that touches the layers throws DisposedError. Tensors the net
   * returned earlier must not be used after it: their blocks may hold another owner's numbers.
   */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    for (const layer of this.layers) layer.dispose?.();
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  private assertLive(): void {
    if (this.isDisposed) throw new DisposedError(`Sequential (${this.layers.map((l) => l.kind).join(', ')})`);
  }

  private checkInput(x: Tensor): void {
    if (x === null || typeof x !== 'object' || !(x.data instanceof Float32Array) || !Array.isArray(x.shape)) {
      throw new TypeError('Sequential.forward: x must be a Tensor { shape, data: Float32Array }');
    }
    const n = x.shape[0];
    let matches = x.shape.length === this.inputShape.length + 1;
    for (let i = 0; matches && i < this.inputShape.length; i++) matches = x.shape[i + 1] === this.inputShape[i];
    if (!Number.isInteger(n) || n < 1 || !matches) {
      throw new ShapeError(
        `Sequential.forward: input batch has shape ${formatShape(x.shape)}; expected [N, ${this.inputShape.join(', ')}] ` +
          `(N ≥ 1 samples of the inputShape ${formatShape(this.inputShape)})`,
      );
    }
    if (x.data.length !== sizeOf(x.shape)) {
      throw new ShapeError(`Sequential.forward: input data has ${x.data.length} values but shape ${formatShape(x.shape)} needs ${sizeOf(x.shape)}`);
    }
  }
}

/**
 * The net each layer instance belongs to. A layer holds its own weights, gradients and forward cache, so one
 * instance in two places cannot work: twice in one net, the second use overwrites the cache the first one's
 * backward needs (wrong gradients); in a second net, building it re-initialises the first net's weights.
 */
const owners = new WeakMap<Layer, Sequential>();

function checkOwnership(layers: readonly Layer[]): void {
  const seen = new Map<Layer, number>();
  layers.forEach((layer, i) => {
    const first = seen.get(layer);
    if (first !== undefined) {
      throw new OptionError(
        `Sequential: layers[${i}] is the same ${layer.kind} instance as layers[${first}]; a layer holds its own weights, ` +
          `so each place needs its own instance (new ${layer.kind}(…))`,
      );
    }
    seen.set(layer, i);
    if (owners.has(layer)) {
      throw new OptionError(
        `Sequential: layers[${i}] (${layer.kind}) already belongs to another Sequential; building it again would ` +
          `re-initialise that net's weights — give this net a new instance (new ${layer.kind}(…))`,
      );
    }
  });
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? String(value);
  const kind = (value as { kind?: unknown }).kind;
  return typeof kind === 'string' ? `a ${kind}` : `an object of class ${value.constructor?.name ?? 'Object'}`;
}
