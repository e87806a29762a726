/**
 * gradCheck's own contract: what it reports, what it leaves behind, how it treats kinks, the realised
 * step, and the errors it throws for bad arguments.
 */
import { Affine } from '../../src/layers/affine';
import { Flatten } from '../../src/layers/flatten';
import { makeParam, type Layer, type NamedArray, type Param } from '../../src/layers/layer';
import { ReLU } from '../../src/layers/relu';
import { Sigmoid } from '../../src/layers/sigmoid';
import { SoftmaxCrossEntropy } from '../../src/losses/softmax-cross-entropy';
import { MeanSquaredError } from '../../src/losses/mse';
import { GradCheckError, assertGradCheck, gradCheck } from '../../src/net/gradcheck';
import { Sequential } from '../../src/net/sequential';
import { Rng } from '../../src/random';
import { reuse, tensor, type Shape, type Tensor } from '../../src/tensor';

function randomTensor(shape: number[], seed: number, scale = 1): Tensor {
  const rng = new Rng(seed);
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(-scale, scale);
  return t;
}

function builtAffine(inputWidth: number, units: number, seed = 1): Affine {
  const layer = new Affine({ units });
  layer.build([inputWidth], new Rng(seed));
  return layer;
}

/**
 * y = x · scale, with a test-only "noise" mask redrawn on every forward unless frozen (like Dropout)
 * and a buffer it changes on every forward, frozen or not (worse than BatchNorm), so the checker's
 * freezing and restoring are both exercised. It records the frozen states and modes it saw.
 */
class StatefulLayer implements Layer {
  readonly kind = 'Stateful';
  readonly frozenHistory: boolean[] = [];
  readonly modes = new Set<boolean>();
  private frozen = false;
  private readonly rng = new Rng(9);
  private scale!: Param;
  private counter!: NamedArray;
  private mask = new Float32Array(0);
  private x: Tensor | undefined;
  private y: Tensor | undefined;
  private dx: Tensor | undefined;
  build(shape: Shape): Shape {
    this.scale = makeParam('scale', [1], Float32Array.of(1.5), true);
    this.counter = { name: 'counter', shape: [1], value: new Float32Array(1) };
    return shape;
  }
  forward(x: Tensor, training: boolean): Tensor {
    this.modes.add(training);
    this.counter.value[0] += 1;
    if (!this.frozen || this.mask.length !== x.data.length) {
      this.mask = new Float32Array(x.data.length).map(() => (this.rng.next() < 0.5 ? 0 : 2));
    }
    this.x = x;
    const y = (this.y = reuse(this.y, x.shape));
    for (let i = 0; i < x.data.length; i++) y.data[i] = x.data[i] * this.scale.value[0] * this.mask[i];
    return y;
  }
  backward(dy: Tensor): Tensor {
    const x = this.x!;
    const dx = (this.dx = reuse(this.dx, x.shape));
    for (let i = 0; i < x.data.length; i++) {
      dx.data[i] = dy.data[i] * this.scale.value[0] * this.mask[i];
      this.scale.grad[0] += dy.data[i] * x.data[i] * this.mask[i];
    }
    return dx;
  }
  params(): Param[] {
    return [this.scale];
  }
  buffers(): NamedArray[] {
    return [this.counter];
  }
  setFrozen(frozen: boolean): void {
    this.frozen = frozen;
    this.frozenHistory.push(frozen);
  }
  config(): object {
    return {};
  }
}

describe('the result', () => {
  test('names every param tensor (biases included) and the input, and counts the coordinates', () => {
    const result = gradCheck(builtAffine(3, 2), randomTensor([2, 3], 1));
    expect(result.passed).toBe(true);
    expect(result.tensors).toEqual([
      { name: 'Affine.weights', size: 6, checked: 6 },
      { name: 'Affine.bias', size: 2, checked: 2 },
      { name: 'input', size: 6, checked: 6 },
    ]);
    expect(result.checked).toBe(14);
    expect(result.failures).toEqual([]);
    expect(result.tolerance).toBe(1e-3);
    expect(result.epsilon).toBe(1e-2);
    expect(result.maxError).toBeLessThan(1e-4);
    expect(result.report).toMatch(/^gradCheck Affine: PASSED: 14 coordinates in 3 tensors/);
  });

  test('the worst coordinate carries tensor, index, analytic, numeric, L(+), L(−), and the report names it', () => {
    const result = gradCheck(builtAffine(4, 3), randomTensor([3, 4], 2));
    const worst = result.worst!;
    expect(worst).toBeDefined();
    expect(['Affine.weights', 'Affine.bias', 'input']).toContain(worst.tensor);
    expect(Number.isInteger(worst.index)).toBe(true);
    expect(worst.error).toBe(result.maxError);
    expect(worst.error).toBeCloseTo(Math.abs(worst.analytic - worst.numeric) / Math.max(1, Math.abs(worst.analytic), Math.abs(worst.numeric)), 12);
    // The numeric value is the difference quotient of the reported losses (over a step of about 2ε).
    const step = (worst.lossPlus - worst.lossMinus) / worst.numeric;
    expect(step).toBeGreaterThan(0.0199);
    expect(step).toBeLessThan(0.0201);
    expect(result.report).toContain(`worst ${worst.tensor}[${worst.index}]: analytic`);
    expect(result.report).toMatch(/L\(\+\) .*L\(−\)/);
  });

  test('Sequential tensors are named "index.Kind.name"', () => {
    const net = new Sequential([new Affine({ units: 3 }), new Sigmoid(), new Affine({ units: 2 })], { inputShape: [2], seed: 3 });
    const result = gradCheck(net, randomTensor([2, 2], 3), { loss: new SoftmaxCrossEntropy(), labels: Int32Array.of(0, 1) });
    expect(result.passed).toBe(true);
    expect(result.tensors.map((t) => t.name)).toEqual(['0.Affine.weights', '0.Affine.bias', '2.Affine.weights', '2.Affine.bias', 'input']);
    expect(result.tolerance).toBe(1e-2);
  });

  test('a net without a loss is checked through L = Σ r·y', () => {
    const net = new Sequential([new Affine({ units: 3 }), new Sigmoid()], { inputShape: [2], seed: 3 });
    expect(gradCheck(net, randomTensor([2, 2], 4)).passed).toBe(true);
  });

  test('large tensors are sampled, reproducibly for a seed', () => {
    const layer = builtAffine(20, 10);
    const x = randomTensor([2, 20], 5);
    const a = gradCheck(layer, x, { maxCoordinatesPerTensor: 5, seed: 7 });
    const b = gradCheck(layer, x, { maxCoordinatesPerTensor: 5, seed: 7 });
    expect(a.tensors).toEqual([
      { name: 'Affine.weights', size: 200, checked: 5 },
      { name: 'Affine.bias', size: 10, checked: 5 },
      { name: 'input', size: 40, checked: 5 },
    ]);
    expect(a.report).toBe(b.report);
    expect(a.worst).toEqual(b.worst);
  });

  test('tolerance and epsilon can be overridden', () => {
    const result = gradCheck(builtAffine(2, 2), randomTensor([1, 2], 6), { tolerance: 0.05, epsilon: 0.02 });
    expect(result.tolerance).toBe(0.05);
    expect(result.epsilon).toBe(0.02);
  });

  test('the numeric derivative divides by the realised float32 step, not 2ε', () => {
    // Near 10000 the float32 spacing is 9.8e-4, so fround(x ± 0.01) moves by a step visibly different
    // from 0.02; Flatten's output equals its input, so L = Σ r·x is exact and only the step matters.
    const layer = new Flatten();
    layer.build([4], new Rng(0));
    const x = tensor([1, 4], [10000.3, -10000.7, 9999.1, 12001.9]);
    const realised = Math.fround(10000.3 + 0.01) - Math.fround(10000.3 - 0.01);
    expect(Math.abs(realised - 0.02) / 0.02).toBeGreaterThan(1e-2); // a nominal step would fail
    const result = gradCheck(layer, x);
    expect(result.passed).toBe(true);
    expect(result.maxError).toBeLessThan(1e-9);
  });
});

describe('the model is left exactly as it was', () => {
  test('param values bit-identical, grads and buffers restored, layers frozen during the check and thawed after', () => {
    const layer = new StatefulLayer();
    layer.build([3]);
    layer.params()[0].grad[0] = 0.25; // an accumulated gradient the check must not disturb
    const before = { value: layer.params()[0].value.slice(), grad: layer.params()[0].grad.slice(), counter: layer.buffers()[0].value.slice() };
    const result = gradCheck(layer, randomTensor([2, 3], 8));
    // The mask is redrawn on every unfrozen forward, so passing proves the layer stayed frozen.
    expect(result.passed).toBe(true);
    expect(layer.frozenHistory).toEqual([true, false]);
    expect(layer.modes).toEqual(new Set([true]));
    expect(Buffer.from(layer.params()[0].value.buffer)).toEqual(Buffer.from(before.value.buffer));
    expect(layer.params()[0].grad).toEqual(before.grad);
    expect(layer.buffers()[0].value).toEqual(before.counter);
  });

  test('a Sequential: every param bit-identical and every buffer restored; training = false is passed through', () => {
    const stateful = new StatefulLayer();
    const net = new Sequential([new Affine({ units: 4 }), stateful, new ReLU(), new Affine({ units: 3 })], { inputShape: [3], seed: 11 });
    const values = net.params().map((p) => p.value.slice());
    const buffers = net.buffers().map((b) => b.value.slice());
    const x = randomTensor([3, 3], 12);
    const xCopy = x.data.slice();
    gradCheck(net, x, { loss: new SoftmaxCrossEntropy(), labels: Int32Array.of(0, 1, 2), training: false });
    net.params().forEach((p, i) => expect(Buffer.from(p.value.buffer)).toEqual(Buffer.from(values[i].buffer)));
    net.buffers().forEach((b, i) => expect(b.value).toEqual(buffers[i]));
    expect(x.data).toEqual(xCopy); // the caller's input is never perturbed
    expect(stateful.modes).toEqual(new Set([false]));
    expect(stateful.frozenHistory).toEqual([true, false]);
  });

  test('restores even when the check throws', () => {
    const layer = new Affine({ units: 2 });
    const net = new Sequential([layer], { inputShape: [2] });
    const values = layer.params().map((p) => p.value.slice());
    const nanLoss = { kind: 'Bad', forward: () => NaN, backward: () => tensor([1, 2]), config: () => ({}) };
    expect(() => gradCheck(net, randomTensor([1, 2], 1), { loss: nanLoss, labels: Int32Array.of(0) })).toThrow(/objective is NaN/);
    // A loss that throws on its 4th call: in the middle of perturbing the first weight.
    let calls = 0;
    const flakyLoss = {
      kind: 'Flaky',
      forward: (y: Tensor) => {
        if (++calls === 4) throw new Error('flaky loss');
        return y.data[0] + 2 * y.data[1];
      },
      backward: () => tensor([1, 2], [1, 2]),
      config: () => ({}),
    };
    expect(() => gradCheck(net, randomTensor([1, 2], 1), { loss: flakyLoss, labels: Int32Array.of(0) })).toThrow('flaky loss');
    expect(calls).toBe(4);
    layer.params().forEach((p, i) => expect(Buffer.from(p.value.buffer)).toEqual(Buffer.from(values[i].buffer)));
    layer.params().forEach((p) => expect(p.grad.every((g) => g === 0)).toBe(true));
  });
});

describe('kinks', () => {
  test('a ReLU input within ε of 0 is verified with a smaller step; one exactly at 0 is skipped and counted', () => {
    const relu = new ReLU();
    relu.build([4], new Rng(0));
    const result = gradCheck(relu, tensor([1, 4], [0.006, 0, 0.5, -0.7]));
    expect(result.passed).toBe(true);
    expect(result.recheckedKinks).toBe(1);
    expect(result.skippedKinks).toBe(1);
    expect(result.report).toContain('kinks: 1 skipped, 1 verified with a smaller step');
  });

  test('a check that has to skip most coordinates fails: it verified nothing', () => {
    const relu = new ReLU();
    relu.build([4], new Rng(0));
    const result = gradCheck(relu, tensor([2, 4], new Float32Array(8)));
    expect(result.skippedKinks).toBe(8);
    expect(result.passed).toBe(false);
    expect(result.report).toMatch(/too many skipped kinks: 8 > 4/);
  });
});

describe('assert form', () => {
  test('assertGradCheck and gradCheck.assert return the result when it passes', () => {
    const x = randomTensor([2, 3], 1);
    expect(assertGradCheck(builtAffine(3, 2), x).passed).toBe(true);
    expect(gradCheck.assert(builtAffine(3, 2), x).passed).toBe(true);
  });

  test('they throw a GradCheckError carrying the report and the result when it fails', () => {
    const relu = new ReLU();
    relu.build([4], new Rng(0));
    const x = tensor([2, 4], new Float32Array(8));
    expect(() => gradCheck.assert(relu, x)).toThrow(GradCheckError);
    try {
      assertGradCheck(relu, x);
      throw new Error('unreachable');
    } catch (err) {
      expect(err).toBeInstanceOf(GradCheckError);
      const e = err as GradCheckError;
      expect(e.result.passed).toBe(false);
      expect(e.message).toBe(e.result.report);
    }
  });
});

describe('bad arguments throw errors that name the argument and say why', () => {
  const layer = builtAffine(3, 2);
  test('NaN or Infinity in the input names the value and its index', () => {
    const x = randomTensor([2, 3], 1);
    x.data[4] = NaN;
    expect(() => gradCheck(layer, x)).toThrow('gradCheck: input holds NaN at index 4; the input must be finite');
    x.data[4] = -Infinity;
    expect(() => gradCheck(layer, x)).toThrow('gradCheck: input holds -Infinity at index 4');
  });
  test('a non-finite param names the param and index', () => {
    const bad = builtAffine(2, 2);
    bad.params()[1].value[1] = Infinity;
    expect(() => gradCheck(bad, randomTensor([1, 2], 1))).toThrow('gradCheck: param Affine.bias holds Infinity at index 1');
  });
  test('bad options', () => {
    const x = randomTensor([1, 3], 1);
    expect(() => gradCheck(layer, x, { epsilon: 0 })).toThrow('option "epsilon" must be a finite number > 0, got 0');
    expect(() => gradCheck(layer, x, { epsilon: NaN })).toThrow(/option "epsilon"/);
    expect(() => gradCheck(layer, x, { tolerance: -1 })).toThrow('option "tolerance" must be a finite number > 0, got -1');
    expect(() => gradCheck(layer, x, { maxCoordinatesPerTensor: 0 })).toThrow('option "maxCoordinatesPerTensor" must be a positive integer, got 0');
    expect(() => gradCheck(layer, x, { maxCoordinatesPerTensor: 2.5 })).toThrow(/maxCoordinatesPerTensor.*2\.5/);
    expect(() => gradCheck(layer, x, { loss: new MeanSquaredError(), labels: x })).toThrow('option "loss" applies only to a Sequential target');
  });
  test('missing labels', () => {
    expect(() => gradCheck(new SoftmaxCrossEntropy(), randomTensor([1, 3], 1))).toThrow('option "labels" is required to check a Loss');
    const net = new Sequential([new Affine({ units: 2 })], { inputShape: [3] });
    expect(() => gradCheck(net, randomTensor([1, 3], 1), { loss: new SoftmaxCrossEntropy() })).toThrow('option "labels" is required with option "loss"');
    expect(() => gradCheck(net, randomTensor([1, 3], 1), { labels: Int32Array.of(0) })).toThrow(
      'option "labels" is used only with option "loss" (for a Sequential) or a Loss target',
    );
    expect(() => gradCheck(layer, randomTensor([1, 3], 1), { labels: Int32Array.of(0) })).toThrow(/option "labels" is used only with/);
  });
  test('not a target, not a tensor, an empty or inconsistent tensor', () => {
    expect(() => gradCheck({} as Layer, randomTensor([1, 3], 1))).toThrow(/target must be a Layer, a Loss or a Sequential/);
    expect(() => gradCheck(layer, { shape: [1, 3], data: [1, 2, 3] } as unknown as Tensor)).toThrow(/input must be a Tensor/);
    expect(() => gradCheck(layer, { shape: [1, 3], data: new Float32Array(2) })).toThrow(/input shape \[1, 3\] does not match its 2 values/);
    expect(() => gradCheck(layer, { shape: [0, 3], data: new Float32Array(0) })).toThrow(/input shape \[0, 3\].*empty/);
  });
  test('a layer that was never built', () => {
    expect(() => gradCheck(new Affine({ units: 2 }), randomTensor([1, 3], 1))).toThrow(/Affine is not built/);
  });
  test('a loss check reports a bad label with its index', () => {
    expect(() => gradCheck(new SoftmaxCrossEntropy(), randomTensor([2, 3], 1), { labels: Int32Array.of(0, 3) })).toThrow(
      /label 3 at index 1 .*\[0, 3\)/,
    );
  });
});
