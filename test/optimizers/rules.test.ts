/**
 * Each optimizer's rule against an independent float64 hand-computation of its formula (ARCHITECTURE §5),
 * over three steps of a tiny quadratic problem with one decayed and one non-decayed param.
 */
import { makeParam, type Param } from '../../src/layers/layer';
import { AdaGrad, Adam, Momentum, Nesterov, RMSprop, SGD, type Optimizer } from '../../src';

/** f(w) = ½·Σ aᵢ(wᵢ − cᵢ)²: grad = a·(w − c). */
const curvature = [0.5, 2, 4];
const target = [1, -1, 0.25];

function gradOf(w: ArrayLike<number>, i: number): number {
  return curvature[i] * (w[i] - target[i]);
}

/** The reference: per-coordinate float64 state, the formula written out once more, independently. */
type Rule = (w: number, g: number, state: Record<string, number>, t: number) => number;

const lambda = 0.1;
const rules: Record<string, { make: () => Optimizer; rule: Rule }> = {
  SGD: { make: () => new SGD({ lr: 0.1, weightDecay: lambda }), rule: (w, g) => w - 0.1 * g },
  Momentum: {
    make: () => new Momentum({ lr: 0.1, momentum: 0.8, weightDecay: lambda }),
    rule: (w, g, s) => {
      s.v = 0.8 * (s.v ?? 0) + g;
      return w - 0.1 * s.v;
    },
  },
  Nesterov: {
    make: () => new Nesterov({ lr: 0.1, momentum: 0.8, weightDecay: lambda }),
    rule: (w, g, s) => {
      s.v = 0.8 * (s.v ?? 0) + g;
      return w - 0.1 * (g + 0.8 * s.v);
    },
  },
  RMSprop: {
    make: () => new RMSprop({ lr: 0.01, rho: 0.9, eps: 1e-8, weightDecay: lambda }),
    rule: (w, g, s) => {
      s.s = 0.9 * (s.s ?? 0) + 0.1 * g * g;
      return w - (0.01 * g) / (Math.sqrt(s.s) + 1e-8);
    },
  },
  Adam: {
    make: () => new Adam({ lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: lambda }),
    rule: (w, g, s, t) => {
      s.m = 0.9 * (s.m ?? 0) + 0.1 * g;
      s.v = 0.999 * (s.v ?? 0) + 0.001 * g * g;
      const mHat = s.m / (1 - 0.9 ** t);
      const vHat = s.v / (1 - 0.999 ** t);
      return w - (0.01 * mHat) / (Math.sqrt(vHat) + 1e-8);
    },
  },
  AdaGrad: {
    make: () => new AdaGrad({ lr: 0.1, eps: 1e-8, weightDecay: lambda }),
    rule: (w, g, s) => {
      s.s = (s.s ?? 0) + g * g;
      return w - (0.1 * g) / (Math.sqrt(s.s) + 1e-8);
    },
  },
};

let worstRelativeError = 0;
afterAll(() => {
  // The float32 storage of values and state is the only difference from the float64 reference.
  console.log(`optimizer rules: worst relative error vs float64 reference over 3 steps = ${worstRelativeError.toExponential(2)}`);
});

describe.each(Object.keys(rules))('%s', (name) => {
  test('three steps equal the float64 formula (weight decay on decay:true only)', () => {
    const { make, rule } = rules[name];
    const optimizer = make();
    const start = [3, 2, -2];
    const weights = makeParam('weights', [3], Float32Array.from(start), true);
    const bias = makeParam('bias', [3], Float32Array.from(start), false);
    const reference = { weights: [...start], bias: [...start] };
    const referenceState = { weights: start.map(() => ({})), bias: start.map(() => ({})) } as Record<string, Record<string, number>[]>;
    for (let t = 1; t <= 3; t++) {
      for (const p of [weights, bias]) for (let i = 0; i < 3; i++) p.grad[i] = gradOf(p.value, i);
      for (const key of ['weights', 'bias'] as const) {
        const w = reference[key];
        const decayed = key === 'weights';
        const next = w.map((wi, i) => {
          const g = gradOf(w, i) + (decayed ? lambda * wi : 0);
          return rule(wi, g, referenceState[key][i], t);
        });
        reference[key] = next;
      }
      optimizer.step([weights, bias]);
      for (const key of ['weights', 'bias'] as const) {
        const actual = key === 'weights' ? weights.value : bias.value;
        reference[key].forEach((expected, i) => {
          const err = Math.abs(actual[i] - expected) / Math.max(1, Math.abs(expected));
          worstRelativeError = Math.max(worstRelativeError, err);
          expect(err).toBeLessThan(2e-6);
        });
      }
    }
    // The two params started equal and saw the same raw gradients: only decay separates them.
    expect(Array.from(weights.value)).not.toEqual(Array.from(bias.value));
    expect(optimizer.stepCount).toBe(3);
  });

  test('step reads grads but never writes them', () => {
    const optimizer = rules[name].make();
    const p = makeParam('weights', [3], Float32Array.of(1, 2, 3), true);
    p.grad.set([0.5, -0.25, 4]);
    optimizer.step([p]);
    expect(Array.from(p.grad)).toEqual([0.5, -0.25, 4]);
  });

  test('a zero learning rate changes nothing', () => {
    const optimizer = rules[name].make();
    const p = makeParam('weights', [3], Float32Array.of(1, 2, 3), true);
    p.grad.set([0.5, -0.25, 4]);
    optimizer.step([p], 0);
    expect(Array.from(p.value)).toEqual([1, 2, 3]);
  });
});

test("Adam's first step moves every coordinate by ≈ lr (bias correction divides)", () => {
  const adam = new Adam({ lr: 0.001 });
  const p = makeParam('weights', [5], Float32Array.of(0, 1, -1, 10, -10), true);
  const before = p.value.slice();
  p.grad.set([1e-4, 0.5, -3, 100, -0.01]);
  adam.step([p]);
  for (let i = 0; i < 5; i++) {
    const move = before[i] - p.value[i];
    expect(Math.abs(Math.abs(move) - 0.001)).toBeLessThan(0.001 * 1e-3);
    expect(Math.sign(move)).toBe(Math.sign(p.grad[i]));
  }
});

test('Momentum with μ = 0 is exactly SGD', () => {
  const sgd = new SGD({ lr: 0.05, weightDecay: 0.01 });
  const momentum = new Momentum({ lr: 0.05, momentum: 0, weightDecay: 0.01 });
  const a = makeParam('weights', [3], Float32Array.of(3, 2, -2), true);
  const b = makeParam('weights', [3], Float32Array.of(3, 2, -2), true);
  for (let t = 0; t < 10; t++) {
    for (let i = 0; i < 3; i++) {
      a.grad[i] = gradOf(a.value, i);
      b.grad[i] = gradOf(b.value, i);
    }
    sgd.step([a]);
    momentum.step([b]);
    expect(Array.from(b.value)).toEqual(Array.from(a.value));
  }
});

test('a step without lr uses the optimizer lr; a given lr overrides it', () => {
  const p = makeParam('weights', [1], Float32Array.of(1), false);
  p.grad[0] = 1;
  const sgd = new SGD({ lr: 0.5 });
  sgd.step([p]);
  expect(p.value[0]).toBe(0.5);
  sgd.step([p], 0.25);
  expect(p.value[0]).toBe(0.25);
});

describe('global gradient-norm clipping', () => {
  function params(): Param[] {
    const a = makeParam('weights', [2], Float32Array.of(1, 1), true);
    const b = makeParam('bias', [1], Float32Array.of(1), false);
    a.grad.set([3, 0]);
    b.grad.set([4]); // global norm 5
    return [a, b];
  }

  test('scales every gradient by c/‖G‖ when the global norm exceeds c', () => {
    const [a, b] = params();
    const sgd = new SGD({ lr: 1, clipNorm: 1 });
    sgd.step([a, b]);
    expect(sgd.lastGradNorm).toBeCloseTo(5, 12);
    expect(a.value[0]).toBeCloseTo(1 - 3 / 5, 6);
    expect(a.value[1]).toBe(1);
    expect(b.value[0]).toBeCloseTo(1 - 4 / 5, 6);
  });

  test('leaves gradients under the threshold alone', () => {
    const [a, b] = params();
    new SGD({ lr: 1, clipNorm: 10 }).step([a, b]);
    expect(Array.from(a.value)).toEqual([-2, 1]);
    expect(b.value[0]).toBe(-3);
  });

  test('clips before weight decay: the decay term is not scaled', () => {
    const [a, b] = params();
    new SGD({ lr: 1, clipNorm: 1, weightDecay: 0.5 }).step([a, b]);
    expect(a.value[0]).toBeCloseTo(1 - (3 / 5 + 0.5), 6);
    expect(a.value[1]).toBeCloseTo(1 - 0.5, 6);
    expect(b.value[0]).toBeCloseTo(1 - 4 / 5, 6); // bias: no decay
  });
});

describe('invalid options name the option', () => {
  test.each([
    [() => new SGD({ lr: -1 }), /SGD: option "lr" must be a finite number > 0, got -1/],
    [() => new SGD({ lr: NaN }), /"lr".*NaN/],
    [() => new Adam({ lr: 0 }), /Adam: option "lr"/],
    [() => new Momentum({ momentum: 1 }), /Momentum: option "momentum" must be in \[0, 1\), got 1/],
    [() => new Nesterov({ momentum: -0.1 }), /Nesterov: option "momentum"/],
    [() => new RMSprop({ rho: 1.5 }), /RMSprop: option "rho"/],
    [() => new RMSprop({ eps: 0 }), /RMSprop: option "eps"/],
    [() => new Adam({ beta1: NaN }), /Adam: option "beta1"/],
    [() => new Adam({ beta2: 1 }), /Adam: option "beta2"/],
    [() => new AdaGrad({ weightDecay: -0.1 }), /AdaGrad: option "weightDecay" must be a finite number ≥ 0/],
    [() => new SGD({ clipNorm: 0 }), /SGD: option "clipNorm"/],
    [() => new SGD({ learningRate: 0.1 } as never), /SGD: unknown option "learningRate"/],
  ])('%#', (make, message) => {
    expect(make).toThrow(message);
  });

  test('a bad step lr is refused', () => {
    const p = makeParam('weights', [1], Float32Array.of(1), true);
    expect(() => new Adam().step([p], Infinity)).toThrow(/Adam\.step: the learning rate must be a finite number ≥ 0, got Infinity/);
    expect(() => new Adam().step([p], -0.1)).toThrow(/got -0.1/);
  });
});

test('defaults are the documented ones', () => {
  expect(new SGD().config()).toEqual({ lr: 0.01, weightDecay: 0, clipNorm: null });
  expect(new Momentum().config()).toEqual({ lr: 0.01, weightDecay: 0, clipNorm: null, momentum: 0.9 });
  expect(new Nesterov().config()).toEqual({ lr: 0.01, weightDecay: 0, clipNorm: null, momentum: 0.9 });
  expect(new RMSprop().config()).toEqual({ lr: 0.001, weightDecay: 0, clipNorm: null, rho: 0.9, eps: 1e-8 });
  expect(new Adam().config()).toEqual({ lr: 0.001, weightDecay: 0, clipNorm: null, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  expect(new AdaGrad().config()).toEqual({ lr: 0.01, weightDecay: 0, clipNorm: null, eps: 1e-8 });
});

test.each(Object.keys(rules))('%s: weight decay acts on decay:true params only (zero gradient isolates it)', (name) => {
  const optimizer = rules[name].make(); // λ = 0.1
  const decayed = makeParam('weights', [2], Float32Array.of(2, -4), true);
  const exempt = makeParam('bias', [2], Float32Array.of(2, -4), false);
  optimizer.step([decayed, exempt]);
  expect(Array.from(exempt.value)).toEqual([2, -4]);
  // g = λ·w pulls each weight towards 0.
  expect(decayed.value[0]).toBeLessThan(2);
  expect(decayed.value[0]).toBeGreaterThan(0);
  expect(decayed.value[1]).toBeGreaterThan(-4);
  expect(decayed.value[1]).toBeLessThan(0);
});

test('SGD weight decay is exactly w ← w − η·λ·w on a zero gradient', () => {
  const p = makeParam('weights', [1], Float32Array.of(3), true);
  new SGD({ lr: 0.5, weightDecay: 0.2 }).step([p]);
  expect(p.value[0]).toBeCloseTo(3 - 0.5 * 0.2 * 3, 6);
});
