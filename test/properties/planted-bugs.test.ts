/**
 * The checker can fail: test-only layers and losses with a planted backward bug (a wrong sign, a
 * missing factor, a forgotten bias gradient) are caught on every random shape, and the bug is never
 * excused as a kink — also for a ReLU whose inputs all sit within ε of its kink.
 */
import fc from 'fast-check';
import { Affine } from '../../src/layers/affine';
import { makeParam, type Layer, type Param } from '../../src/layers/layer';
import { ReLU } from '../../src/layers/relu';
import { Sigmoid } from '../../src/layers/sigmoid';
import { Tanh } from '../../src/layers/tanh';
import type { Loss, Targets } from '../../src/losses/loss';
import { SoftmaxCrossEntropy } from '../../src/losses/softmax-cross-entropy';
import { gradCheck, type GradCheckResult } from '../../src/net/gradcheck';
import { Sequential } from '../../src/net/sequential';
import { Rng } from '../../src/random';
import { reuse, sizeOf, tensor, type Shape, type Tensor } from '../../src/tensor';

const RUNS = 100;

type DenseBug = 'none' | 'dx-sign' | 'dW-sign' | 'dW-half' | 'db-forgotten' | 'db-sign';

/** A plain-loop dense layer (y = x·W + b) whose backward carries one planted bug. */
class PlantedDense implements Layer {
  readonly kind = 'PlantedDense';
  private inputSize = 0;
  private weights!: Param;
  private bias!: Param;
  private x: Tensor | undefined;
  private y: Tensor | undefined;
  private dx: Tensor | undefined;
  constructor(readonly units: number, readonly bug: DenseBug) {}
  build(inputShape: Shape, rng: Rng): Shape {
    this.inputSize = sizeOf(inputShape);
    const w = new Float32Array(this.inputSize * this.units).map(() => rng.uniform(-1, 1));
    const b = new Float32Array(this.units).map(() => rng.uniform(-1, 1));
    this.weights = makeParam('weights', [this.inputSize, this.units], w, true);
    this.bias = makeParam('bias', [this.units], b, false);
    return [this.units];
  }
  forward(x: Tensor): Tensor {
    const n = x.shape[0], d = this.inputSize, u = this.units;
    this.x = x;
    const y = (this.y = reuse(this.y, [n, u]));
    for (let i = 0; i < n; i++)
      for (let j = 0; j < u; j++) {
        let s = this.bias.value[j];
        for (let k = 0; k < d; k++) s += x.data[i * d + k] * this.weights.value[k * u + j];
        y.data[i * u + j] = s;
      }
    return y;
  }
  backward(dy: Tensor): Tensor {
    const x = this.x!, n = x.shape[0], d = this.inputSize, u = this.units, bug = this.bug;
    const dx = (this.dx = reuse(this.dx, x.shape));
    for (let i = 0; i < n; i++)
      for (let k = 0; k < d; k++) {
        let s = 0;
        for (let j = 0; j < u; j++) s += dy.data[i * u + j] * this.weights.value[k * u + j];
        dx.data[i * d + k] = bug === 'dx-sign' ? -s : s;
      }
    const wFactor = bug === 'dW-sign' ? -1 : bug === 'dW-half' ? 0.5 : 1;
    for (let k = 0; k < d; k++)
      for (let j = 0; j < u; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += x.data[i * d + k] * dy.data[i * u + j];
        this.weights.grad[k * u + j] += wFactor * s;
      }
    if (bug !== 'db-forgotten')
      for (let i = 0; i < n; i++) for (let j = 0; j < u; j++) this.bias.grad[j] += (bug === 'db-sign' ? -1 : 1) * dy.data[i * u + j];
    return dx;
  }
  params(): Param[] {
    return [this.weights, this.bias];
  }
  config(): object {
    return { units: this.units, bug: this.bug };
  }
}

type ElementwiseBug = 'sigmoid-missing-(1-y)' | 'tanh-missing-(1-y²)' | 'relu-sign';

/** Elementwise activations whose backward forgets a factor or flips a sign. */
class PlantedActivation implements Layer {
  readonly kind: string;
  private x: Tensor | undefined;
  private y: Tensor | undefined;
  private dx: Tensor | undefined;
  constructor(readonly bug: ElementwiseBug) {
    this.kind = `Planted(${bug})`;
  }
  build(inputShape: Shape): Shape {
    return inputShape;
  }
  forward(x: Tensor): Tensor {
    this.x = x;
    const y = (this.y = reuse(this.y, x.shape));
    for (let i = 0; i < x.data.length; i++) {
      const v = x.data[i];
      y.data[i] = this.bug === 'relu-sign' ? Math.max(0, v) : this.bug === 'tanh-missing-(1-y²)' ? Math.tanh(v) : 1 / (1 + Math.exp(-v));
    }
    return y;
  }
  backward(dy: Tensor): Tensor {
    const x = this.x!, y = this.y!;
    const dx = (this.dx = reuse(this.dx, x.shape));
    for (let i = 0; i < x.data.length; i++) {
      const g = dy.data[i], v = y.data[i];
      dx.data[i] = this.bug === 'relu-sign' ? (x.data[i] > 0 ? -g : 0) : this.bug === 'tanh-missing-(1-y²)' ? g : g * v;
    }
    return dx;
  }
  params(): Param[] {
    return [];
  }
  config(): object {
    return { bug: this.bug };
  }
}

/** Softmax cross-entropy whose gradient forgets the 1/N or flips its sign. */
class PlantedSoftmaxCE implements Loss {
  readonly kind = 'PlantedSoftmaxCE';
  private readonly real = new SoftmaxCrossEntropy();
  private d: Tensor | undefined;
  constructor(readonly bug: 'missing-1/N' | 'sign') {}
  forward(scores: Tensor, targets: Targets): number {
    return this.real.forward(scores, targets);
  }
  backward(): Tensor {
    const g = this.real.backward();
    const d = (this.d = reuse(this.d, g.shape));
    const factor = this.bug === 'sign' ? -1 : g.shape[0];
    for (let i = 0; i < g.data.length; i++) d.data[i] = factor * g.data[i];
    return d;
  }
  config(): object {
    return {};
  }
}

function randomTensor(shape: number[], rng: Rng, low: number, high: number, randomSign = false): Tensor {
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(low, high) * (randomSign && rng.next() < 0.5 ? -1 : 1);
  return t;
}

function expectCaught(result: GradCheckResult, tensorPattern: RegExp): void {
  if (result.passed) throw new Error(`planted bug not caught:\n${result.report}`);
  expect(result.failures.length).toBeGreaterThan(0);
  expect(result.failures.some((f) => tensorPattern.test(f.tensor))).toBe(true);
  expect(result.report).toMatch(/FAILED/);
  expect(result.report).toMatch(tensorPattern);
}

const batch = fc.integer({ min: 1, max: 4 });
const width = fc.integer({ min: 1, max: 12 });
const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe('a planted backward bug is caught on every random shape', () => {
  const denseBugs: [DenseBug, RegExp][] = [
    ['dx-sign', /input/],
    ['dW-sign', /weights/],
    ['dW-half', /weights/],
    ['db-forgotten', /bias/],
    ['db-sign', /bias/],
  ];
  test.each(denseBugs)('dense layer with %s', (bug, where) => {
    fc.assert(
      fc.property(batch, width, width, seed, (n, inputWidth, units, s) => {
        const rng = new Rng(s);
        const layer = new PlantedDense(units, bug);
        layer.build([inputWidth], rng);
        const result = gradCheck(layer, randomTensor([n, inputWidth], rng, 0.5, 2, true), { seed: s, maxCoordinatesPerTensor: 16 });
        expectCaught(result, where);
        // On a smooth objective nothing may be excused as a kink.
        expect(result.skippedKinks).toBe(0);
        expect(result.recheckedKinks).toBe(0);
      }),
      { numRuns: RUNS, seed: 201 },
    );
  });

  test.each(['sigmoid-missing-(1-y)', 'tanh-missing-(1-y²)'] as ElementwiseBug[])('activation with %s', (bug) => {
    fc.assert(
      fc.property(batch, fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), seed, (n, shape, s) => {
        const rng = new Rng(s);
        const layer = new PlantedActivation(bug);
        layer.build(shape);
        const result = gradCheck(layer, randomTensor([n, ...shape], rng, 0.5, 2, true), { seed: s });
        expectCaught(result, /input/);
        expect(result.skippedKinks).toBe(0);
      }),
      { numRuns: RUNS, seed: 202 },
    );
  });

  test('ReLU with a wrong sign, every input within ε of the kink: the bug is not excused as a kink', () => {
    fc.assert(
      fc.property(batch, width, seed, (n, w, s) => {
        const rng = new Rng(s);
        const layer = new PlantedActivation('relu-sign');
        layer.build([w]);
        const x = randomTensor([n, w], rng, -0.02, 0.02);
        x.data[rng.int(x.data.length)] = rng.uniform(0.002, 0.02); // at least one live unit
        const result = gradCheck(layer, x, { seed: s });
        expectCaught(result, /input/);
      }),
      { numRuns: RUNS, seed: 203 },
    );
  });

  test.each(['missing-1/N', 'sign'] as const)('softmax cross-entropy with %s', (bug) => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 12 }), seed, (n, classes, s) => {
        const rng = new Rng(s);
        const labels = Int32Array.from({ length: n }, () => rng.int(classes));
        const result = gradCheck(new PlantedSoftmaxCE(bug), randomTensor([n, classes], rng, -3, 3), { labels, seed: s });
        expectCaught(result, /input/);
        expect(result.skippedKinks).toBe(0);
      }),
      { numRuns: RUNS, seed: 204 },
    );
  });

  test('a planted dense layer after Tanh, Sigmoid or ReLU inside a random net with SoftmaxCrossEntropy: caught whenever it changes a gradient by more than the tolerance', () => {
    // Deep inside a net a gradient can be so small that flipping it stays within the mixed tolerance
    // (|a − n| ≤ tol·max(1, …)); no checker can see that. So: compute the true gradients with a
    // correct twin, and demand that the bug is caught whenever it moves some gradient by more than
    // 2·tol — and that this is the case in most runs, so the property is not vacuous.
    const bug = fc.constantFrom<[DenseBug, RegExp]>(['dx-sign', /input/], ['dW-half', /weights/], ['db-forgotten', /bias/]);
    let visible = 0;
    const tol = 1e-2;
    fc.assert(
      fc.property(batch, width, width, fc.integer({ min: 2, max: 6 }), bug, fc.constantFrom('Tanh', 'Sigmoid', 'ReLU'), seed, (n, inputWidth, hidden, classes, [b, where], act, s) => {
        const makeNet = (which: DenseBug) =>
          new Sequential([new Affine({ units: hidden, init: 'xavier' }), act === 'Tanh' ? new Tanh() : act === 'Sigmoid' ? new Sigmoid() : new ReLU(), new PlantedDense(classes, which)], {
            inputShape: [inputWidth], seed: s,
          });
        const net = makeNet(b);
        const rng = new Rng(s + 1);
        const labels = Int32Array.from({ length: n }, () => rng.int(classes));
        const x = randomTensor([n, inputWidth], rng, -1, 1);
        const gradients = (target: Sequential): Float32Array[] => {
          const loss = new SoftmaxCrossEntropy();
          target.zeroGrad();
          loss.forward(target.forward(x, true), labels);
          const dx = target.backward(loss.backward());
          return [...target.params().map((p) => p.grad.slice()), dx.data.slice()];
        };
        const buggy = gradients(net);
        const truth = gradients(makeNet('none'));
        const bugVisible = buggy.some((g, t) => g.some((v, i) => Math.abs(v - truth[t][i]) > 2 * tol * Math.max(1, Math.abs(v), Math.abs(truth[t][i]))));
        const result = gradCheck(net, x, { loss: new SoftmaxCrossEntropy(), labels, seed: s, maxCoordinatesPerTensor: 1000, tolerance: tol });
        if (bugVisible) {
          visible++;
          expectCaught(result, where);
        }
      }),
      { numRuns: RUNS, seed: 205 },
    );
    expect(visible).toBeGreaterThanOrEqual(0.8 * RUNS);
    console.log(`planted bug inside a net: visible above 2·tol (and caught) in ${visible} of ${RUNS} runs`);
  });
});
