/**
 * Sequential: construction with shape inference, the errors it gives for shapes and options that
 * cannot work, the forward/backward plumbing, params and buffers, and the summary table.
 */
import { Affine } from '../../src/layers/affine';
import { Flatten } from '../../src/layers/flatten';
import type { Layer, NamedArray, Param } from '../../src/layers/layer';
import { ReLU } from '../../src/layers/relu';
import { Sigmoid } from '../../src/layers/sigmoid';
import { Tanh } from '../../src/layers/tanh';
import { Sequential } from '../../src/net/sequential';
import { Rng } from '../../src/random';
import { ShapeError, formatShape, tensor, type Shape, type Tensor } from '../../src/tensor';

/** A test-only layer that, like a convolution, needs a [C, H, W] input. */
class Needs3D implements Layer {
  readonly kind = 'Needs3D';
  build(shape: Shape): Shape {
    if (shape.length !== 3) throw new ShapeError(`Needs3D expects a per-sample shape [C, H, W], got ${formatShape(shape)}`);
    return shape;
  }
  forward(x: Tensor): Tensor {
    return x;
  }
  backward(dy: Tensor): Tensor {
    return dy;
  }
  params(): Param[] {
    return [];
  }
  config(): object {
    return {};
  }
}

/** Identity with a buffer and a record of the modes and frozen states it was given. */
class Recorder implements Layer {
  readonly kind = 'Recorder';
  readonly modes: boolean[] = [];
  readonly frozen: boolean[] = [];
  readonly stats: NamedArray = { name: 'stats', shape: [2], value: Float32Array.of(1, 2) };
  build(shape: Shape): Shape {
    return shape;
  }
  forward(x: Tensor, training: boolean): Tensor {
    this.modes.push(training);
    return x;
  }
  backward(dy: Tensor): Tensor {
    return dy;
  }
  params(): Param[] {
    return [];
  }
  buffers(): NamedArray[] {
    return [this.stats];
  }
  setFrozen(frozen: boolean): void {
    this.frozen.push(frozen);
  }
  config(): object {
    return {};
  }
}

function mlp(seed = 1): Sequential {
  return new Sequential([new Affine({ units: 5 }), new ReLU(), new Affine({ units: 3, init: 'xavier' })], { inputShape: [4], seed });
}

describe('construction', () => {
  test('builds every layer with shape inference', () => {
    const net = new Sequential([new Flatten(), new Affine({ units: 6 }), new Tanh(), new Affine({ units: 2 }), new Sigmoid()], {
      inputShape: [2, 3, 3],
      seed: 4,
    });
    expect(net.inputShape).toEqual([2, 3, 3]);
    expect(net.layerShapes).toEqual([[18], [6], [6], [2], [2]]);
    expect(net.outputShape).toEqual([2]);
    expect(net.parameterCount()).toBe(18 * 6 + 6 + 6 * 2 + 2);
    expect(net.seed).toBe(4);
  });

  test('the same seed gives the same weights; another seed different ones', () => {
    const a = mlp(7).params().map((p) => Array.from(p.value));
    const b = mlp(7).params().map((p) => Array.from(p.value));
    const c = mlp(8).params().map((p) => Array.from(p.value));
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(c[0]);
  });

  test('params() and namedParams() return the same objects on every call, named "index.Kind.name"', () => {
    const net = mlp();
    expect(net.params()).toBe(net.params());
    expect(net.params()[0]).toBe(net.layers[0].params()[0]);
    expect(net.namedParams().map((p) => p.name)).toEqual(['0.Affine.weights', '0.Affine.bias', '2.Affine.weights', '2.Affine.bias']);
    expect(net.namedParams().map((p) => p.param)).toEqual(net.params());
    expect(net.params().map((p) => p.decay)).toEqual([true, false, true, false]);
  });

  test('buffers() and namedBuffers() collect every layer buffer', () => {
    const recorder = new Recorder();
    const net = new Sequential([new Affine({ units: 2 }), recorder], { inputShape: [3] });
    expect(net.buffers()).toEqual([recorder.stats]);
    expect(net.namedBuffers()).toEqual([{ name: '1.Recorder.stats', buffer: recorder.stats }]);
  });

  test('the layer list is copied: changing the caller array later does not change the net', () => {
    const layers: Layer[] = [new Affine({ units: 2 })];
    const net = new Sequential(layers, { inputShape: [3] });
    layers.push(new ReLU());
    expect(net.layers).toHaveLength(1);
  });
});

describe('a shape that cannot work fails at construction, naming layer index, kind and both shapes', () => {
  test('a layer that needs [C, H, W] after a dense layer', () => {
    const build = () => new Sequential([new Affine({ units: 12 }), new ReLU(), new Needs3D()], { inputShape: [784] });
    expect(build).toThrow(ShapeError);
    expect(build).toThrow(
      'layer 2 (Needs3D) cannot take input [12] (the output of layer 1 (ReLU)): Needs3D expects a per-sample shape [C, H, W], got [12]',
    );
  });

  test('the first layer names the net input', () => {
    expect(() => new Sequential([new Needs3D()], { inputShape: [4, 4] })).toThrow(
      'layer 0 (Needs3D) cannot take input [4, 4] (the net input): Needs3D expects a per-sample shape [C, H, W], got [4, 4]',
    );
  });

  test('a layer whose output would be empty', () => {
    const empty: Layer = { ...new Needs3D(), kind: 'Shrink', build: () => [0], forward: (x) => x, backward: (d) => d, params: () => [], config: () => ({}) };
    expect(() => new Sequential([new Affine({ units: 2 }), empty], { inputShape: [3] })).toThrow(
      /layer 1 \(Shrink\) with input \[2\] produces an empty or invalid output shape \[0\]/,
    );
  });
});

describe('invalid options name the argument', () => {
  test.each([
    [[], /layers must not be empty/],
    ['affine', /layers must be an array of layers, got "affine"/],
    [[new Affine({ units: 2 }), {}], /layers\[1\] is not a Layer \(it has no build\(\) method\)/],
    [[new Affine({ units: 2 }), null], /layers\[1\] is not a Layer/],
  ])('layers = %p', (layers, message) => {
    expect(() => new Sequential(layers as unknown as Layer[], { inputShape: [3] })).toThrow(message);
  });

  test.each([
    [[], /Sequential inputShape must be a non-empty array of positive integers, got \[\]/],
    [[0], /Sequential inputShape must hold positive integers, got \[0\]/],
    [[-3], /Sequential inputShape must hold positive integers, got \[-3\]/],
    [[2.5], /Sequential inputShape must hold positive integers, got \[2.5\]/],
    ['784', /Sequential inputShape must be a non-empty array/],
    [undefined, /Sequential inputShape must be a non-empty array/],
  ])('inputShape = %p', (inputShape, message) => {
    expect(() => new Sequential([new ReLU()], { inputShape: inputShape as unknown as Shape })).toThrow(message);
  });

  test('missing options, a non-integer seed', () => {
    expect(() => new Sequential([new ReLU()], undefined as never)).toThrow(/needs an options object like \{ inputShape/);
    expect(() => new Sequential([new ReLU()], { inputShape: [2], seed: 1.5 })).toThrow('Sequential: option "seed" must be an integer, got 1.5');
  });

  test('bad layer options name the layer and the argument', () => {
    expect(() => new Affine({ units: 0 })).toThrow('Affine: option "units" must be a positive integer, got 0');
    expect(() => new Affine({ units: 2.5 })).toThrow('Affine: option "units" must be a positive integer, got 2.5');
    expect(() => new Affine({ units: -4 })).toThrow('Affine: option "units" must be a positive integer, got -4');
    expect(() => new Affine({ units: 3, init: 'glorot' as never })).toThrow(`Affine: option "init" must be one of 'he', 'xavier', got "glorot"`);
    expect(() => new Affine(undefined as never)).toThrow(/Affine needs an options object like \{ units: 10 \}/);
  });
});

describe('forward and backward', () => {
  test('forward checks the batch against inputShape with a clear error', () => {
    const net = mlp();
    expect(() => net.forward(tensor([2, 5]))).toThrow(
      'Sequential.forward: input batch has shape [2, 5]; expected [N, 4] (N ≥ 1 samples of the inputShape [4])',
    );
    expect(() => net.forward(tensor([4]))).toThrow(/input batch has shape \[4\]; expected \[N, 4\]/);
    expect(() => net.forward({ shape: [0, 4], data: new Float32Array(0) })).toThrow(/input batch has shape \[0, 4\]/);
    expect(() => net.forward({ shape: [2, 4], data: new Float32Array(7) })).toThrow(/input data has 7 values but shape \[2, 4\] needs 8/);
    expect(() => net.forward({ shape: [1, 4], data: [1, 2, 3, 4] } as unknown as Tensor)).toThrow(/x must be a Tensor/);
  });

  test('forward chains the layers, passes the mode; backward runs them in reverse and returns dInput', () => {
    const recorder = new Recorder();
    const net = new Sequential([new Affine({ units: 3 }), recorder, new Sigmoid()], { inputShape: [2], seed: 5 });
    const x = tensor([2, 2], [0.1, -0.2, 0.3, 0.4]);
    const y = net.forward(x, true);
    net.forward(x);
    expect(recorder.modes).toEqual([true, false]);
    // The same result by hand, layer by layer.
    const [affine, , sigmoid] = net.layers;
    const manual = sigmoid.forward(affine.forward(x, false), false);
    expect(Array.from(y.data)).toEqual(Array.from(manual.data));
    const dy = tensor([2, 3], [1, 0, -1, 0.5, 0.5, 0.5]);
    net.zeroGrad();
    const dx = Array.from(net.backward(dy).data);
    const gradsNet = net.params().map((p) => Array.from(p.grad));
    net.zeroGrad();
    const dxManual = Array.from(affine.backward(sigmoid.backward(dy)).data);
    expect(dx).toEqual(dxManual);
    expect(net.params().map((p) => Array.from(p.grad))).toEqual(gradsNet);
  });

  test('backward checks dy against the last output and refuses to run before forward', () => {
    const net = mlp();
    expect(() => net.backward(tensor([1, 3]))).toThrow('Sequential.backward called before forward');
    net.forward(tensor([2, 4]));
    expect(() => net.backward(tensor([2, 4]))).toThrow('Sequential.backward: dy must have the shape of the last output [2, 3], got [2, 4]');
  });

  test('zeroGrad zeroes every grad; setFrozen reaches every layer that has it', () => {
    const recorder = new Recorder();
    const net = new Sequential([new Affine({ units: 3 }), recorder], { inputShape: [2] });
    net.forward(tensor([1, 2], [1, 1]));
    net.backward(tensor([1, 3], [1, 1, 1]));
    expect(net.params().some((p) => p.grad.some((g) => g !== 0))).toBe(true);
    net.zeroGrad();
    expect(net.params().every((p) => p.grad.every((g) => g === 0))).toBe(true);
    net.setFrozen(true);
    net.setFrozen(false);
    expect(recorder.frozen).toEqual([true, false]);
  });

  test('Affine flattens an image-shaped input without a Flatten layer', () => {
    const net = new Sequential([new Affine({ units: 2 })], { inputShape: [1, 2, 2] });
    expect(net.layerShapes).toEqual([[2]]);
    const dx = (net.forward(tensor([3, 1, 2, 2])), net.backward(tensor([3, 2])));
    expect(dx.shape).toEqual([3, 1, 2, 2]);
  });
});

describe('summary()', () => {
  test('a table of index, kind, output shape and parameter count, then the total', () => {
    const net = new Sequential([new Flatten(), new Affine({ units: 16 }), new ReLU(), new Affine({ units: 10 })], { inputShape: [1, 28, 28] });
    expect(net.summary()).toBe(
      [
        '#  layer    output shape  params',
        '--------------------------------',
        '   input    [1, 28, 28]',
        '0  Flatten  [784]              0',
        '1  Affine   [16]           12560',
        '2  ReLU     [16]               0',
        '3  Affine   [10]             170',
        '--------------------------------',
        'total parameters: 12730',
      ].join('\n'),
    );
  });
});

test('Rng drives initialisation: He weights have the He scale', () => {
  const layer = new Affine({ units: 200 });
  layer.build([50], new Rng(3));
  const w = layer.params()[0].value;
  const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
  expect(variance).toBeGreaterThan(0.9 * (2 / 50));
  expect(variance).toBeLessThan(1.1 * (2 / 50));
});
