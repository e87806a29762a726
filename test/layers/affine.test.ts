/**
 * Affine: hand-computed forward and backward, the textbook sigmoid + cross-entropy example, the
 * initialisers, image-shaped inputs, buffers reused per batch size, and the errors.
 */
import { Affine } from '../../src/layers/affine';
import { Sigmoid } from '../../src/layers/sigmoid';
import { SoftmaxCrossEntropy } from '../../src/losses/softmax-cross-entropy';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';

function affineWith(weights: number[], bias: number[], inputWidth: number): Affine {
  const layer = new Affine({ units: bias.length });
  layer.build([inputWidth], new Rng(0));
  const [w, b] = layer.params();
  w.value.set(weights);
  b.value.set(bias);
  return layer;
}

test('forward and backward by hand: y = x·W + b, dW = xᵀ·dy, db = Σ dy, dx = dy·Wᵀ', () => {
  // x [2×2], W [2×3], b [3]
  const layer = affineWith([0.5, -1, 0, 2, 0.25, 1], [0.1, 0.2, -0.3], 2);
  const x = tensor([2, 2], [1, 2, 3, -1]);
  const y = layer.forward(x, true);
  expect(y.shape).toEqual([2, 3]);
  // sample 0: [1·0.5 + 2·2, 1·(−1) + 2·0.25, 1·0 + 2·1] + b = [4.6, −0.3, 1.7]
  // sample 1: [3·0.5 − 2, −3 − 0.25, 0 − 1] + b = [−0.4, −3.05, −1.3]
  expect(Array.from(y.data)).toEqual([4.6, -0.3, 1.7, -0.4, -3.05, -1.3].map(Math.fround));

  const dy = tensor([2, 3], [1, 0, -1, 0.5, 2, 0]);
  const dx = layer.backward(dy);
  const [w, b] = layer.params();
  // dW[k][j] = Σₙ x[n][k]·dy[n][j]: row 0 = [1 + 1.5, 0 + 6, −1 + 0], row 1 = [2 − 0.5, 0 − 2, −2 + 0]
  expect(Array.from(w.grad)).toEqual([2.5, 6, -1, 1.5, -2, -2]);
  // db = Σₙ dy = [1.5, 2, −1]
  expect(Array.from(b.grad)).toEqual([1.5, 2, -1]);
  // dx[n][k] = Σⱼ dy[n][j]·W[k][j]: [0.5, 2 − 1] and [0.25 − 2, 1 + 0.5]
  expect(Array.from(dx.data)).toEqual([0.5, 1, -1.75, 1.5]);
  expect(dx.shape).toEqual([2, 2]);

  // Grads accumulate; values never change.
  layer.backward(dy);
  expect(Array.from(b.grad)).toEqual([3, 4, -2]);
  expect(Array.from(w.value)).toEqual([0.5, -1, 0, 2, 0.25, 1]);
});

test('textbook example: sigmoid + binary cross-entropy gives dz = a − y, then dW = Σ x·dz and db = Σ dz', () => {
  // One unit, two samples: x₀ = [1, 0], x₁ = [0, 1], W = [−ln 3, 0], b = ln 3 ⇒ z = [0, ln 3], a = σ(z) = [0.5, 0.75].
  const ln3 = Math.log(3);
  const affine = affineWith([-ln3, 0], [ln3], 2);
  const sigmoid = new Sigmoid();
  sigmoid.build([1]);
  const x = tensor([2, 2], [1, 0, 0, 1]);
  const a = sigmoid.forward(affine.forward(x, true), true);
  expect(a.data[0]).toBeCloseTo(0.5, 7);
  expect(a.data[1]).toBeCloseTo(0.75, 6);
  // Labels y = [1, 0]; mean BCE L = −(1/N) Σ [y log a + (1 − y) log(1 − a)], so
  // dL/da = (1/N)(−y/a + (1 − y)/(1 − a)) = [½·(−1/0.5), ½·(1/0.25)] = [−1, 2].
  const dz = sigmoid.backward(tensor([2, 1], [-1, 2]));
  // dz = dL/da · a(1 − a) = [−1·0.25, 2·0.1875] = [−0.25, 0.375] = (a − y)/N = [(0.5 − 1)/2, (0.75 − 0)/2].
  expect(dz.data[0]).toBeCloseTo(-0.25, 7);
  expect(dz.data[1]).toBeCloseTo(0.375, 6);
  const dx = affine.backward(dz);
  const [w, b] = affine.params();
  // dW = Σₙ xₙ·dzₙ = [1·(−0.25), 1·0.375]; db = Σ dz = 0.125
  expect(w.grad[0]).toBeCloseTo(-0.25, 6);
  expect(w.grad[1]).toBeCloseTo(0.375, 6);
  expect(b.grad[0]).toBeCloseTo(0.125, 6);
  // dx = dz·Wᵀ: [−0.25·(−ln 3), 0], [0.375·(−ln 3), 0]
  expect(dx.data[0]).toBeCloseTo(0.25 * ln3, 6);
  expect(dx.data[1]).toBe(0);
  expect(dx.data[2]).toBeCloseTo(-0.375 * ln3, 6);

  // The same dz from the fused softmax: logits [0, z] give p₁ = σ(z), so dScores[:, 1] = (a − y)/N.
  const loss = new SoftmaxCrossEntropy();
  loss.forward(tensor([2, 2], [0, 0, 0, ln3]), Int32Array.of(1, 0));
  const dScores = loss.backward();
  expect(dScores.data[1]).toBeCloseTo(-0.25, 7);
  expect(dScores.data[3]).toBeCloseTo(0.375, 6);
});

describe('initialisation', () => {
  test("He (default): zero-mean normal with variance 2/fanIn; bias zero; weights decay, bias does not", () => {
    const layer = new Affine({ units: 100 });
    layer.build([80], new Rng(1));
    const [w, b] = layer.params();
    const mean = w.value.reduce((s, v) => s + v, 0) / w.value.length;
    const variance = w.value.reduce((s, v) => s + (v - mean) ** 2, 0) / w.value.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(variance / (2 / 80)).toBeGreaterThan(0.93);
    expect(variance / (2 / 80)).toBeLessThan(1.07);
    expect(b.value.every((v) => v === 0)).toBe(true);
    expect([w.name, w.decay, w.shape, b.name, b.decay, b.shape]).toEqual(['weights', true, [80, 100], 'bias', false, [100]]);
  });

  test('Xavier: uniform within ±√(6/(fanIn + fanOut)), variance limit²/3', () => {
    const layer = new Affine({ units: 60, init: 'xavier' });
    layer.build([40], new Rng(2));
    const w = layer.params()[0].value;
    const limit = Math.sqrt(6 / 100);
    expect(w.every((v) => Math.abs(v) <= limit)).toBe(true);
    const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(variance / (limit * limit / 3)).toBeGreaterThan(0.93);
    expect(variance / (limit * limit / 3)).toBeLessThan(1.07);
    expect(Math.max(...w)).toBeGreaterThan(0.95 * limit);
  });

  test('the same Rng seed gives the same weights', () => {
    const a = new Affine({ units: 3 });
    const b = new Affine({ units: 3 });
    a.build([4], new Rng(5));
    b.build([4], new Rng(5));
    expect(a.params()[0].value).toEqual(b.params()[0].value);
  });
});

test('useBias: false has weights only, and y = x·W', () => {
  const layer = new Affine({ units: 2, useBias: false });
  expect(layer.build([2], new Rng(0))).toEqual([2]);
  expect(layer.params().map((p) => p.name)).toEqual(['weights']);
  layer.params()[0].value.set([1, 2, 3, 4]);
  expect(Array.from(layer.forward(tensor([1, 2], [1, 1]), false).data)).toEqual([4, 6]);
  expect(layer.config()).toEqual({ units: 2, init: 'he', useBias: false });
});

test('an image-shaped input [N, C, H, W] is read as [N, C·H·W]; dx keeps the input shape', () => {
  const layer = new Affine({ units: 3 });
  layer.build([2, 2, 2], new Rng(0));
  expect(layer.params()[0].shape).toEqual([8, 3]);
  const x = tensor([2, 2, 2, 2], Array.from({ length: 16 }, (_, i) => i / 10));
  const flat = new Affine({ units: 3 });
  flat.build([8], new Rng(0));
  expect(Array.from(layer.forward(x, false).data)).toEqual(Array.from(flat.forward(tensor([2, 8], x.data), false).data));
  expect(layer.backward(tensor([2, 3], [1, 2, 3, 4, 5, 6])).shape).toEqual([2, 2, 2, 2]);
});

test('buffers are allocated once per batch size', () => {
  const layer = new Affine({ units: 3 });
  layer.build([2], new Rng(0));
  const y1 = layer.forward(tensor([4, 2]), true);
  const dx1 = layer.backward(tensor([4, 3]));
  expect(layer.forward(tensor([4, 2]), true)).toBe(y1);
  expect(layer.backward(tensor([4, 3]))).toBe(dx1);
  expect(layer.forward(tensor([5, 2]), true)).not.toBe(y1);
});

describe('errors name the argument and the numbers', () => {
  test('wrong input width', () => {
    const layer = new Affine({ units: 3 });
    layer.build([4], new Rng(0));
    expect(() => layer.forward(tensor([2, 5]), false)).toThrow('Affine: expected input [N, 4] (or [N, …] of 4 values per sample), got [2, 5]');
    expect(() => layer.forward(tensor([4]), false)).toThrow(/expected input \[N, 4\].*got \[4\]/);
  });
  test('wrong dy', () => {
    const layer = new Affine({ units: 3 });
    layer.build([4], new Rng(0));
    expect(() => layer.backward(tensor([2, 3]))).toThrow('Affine.backward called before forward');
    layer.forward(tensor([2, 4]), false);
    expect(() => layer.backward(tensor([2, 2]))).toThrow('Affine.backward: expected dy [2, 3], got [2, 2]');
  });
  test('empty, negative or non-integer shapes and sizes', () => {
    expect(() => new Affine({ units: 3 }).build([], new Rng(0))).toThrow('Affine input shape must be a non-empty array of positive integers, got []');
    expect(() => new Affine({ units: 3 }).build([3, 0], new Rng(0))).toThrow('Affine input shape must hold positive integers, got [3, 0]');
    expect(() => new Affine({ units: 3 }).build([-2], new Rng(0))).toThrow('Affine input shape must hold positive integers, got [-2]');
    expect(() => new Affine({ units: 3 }).build([1.5], new Rng(0))).toThrow('Affine input shape must hold positive integers, got [1.5]');
    expect(() => new Affine({ units: NaN })).toThrow('Affine: option "units" must be a positive integer, got NaN');
    expect(() => new Affine({ units: '3' as never })).toThrow('Affine: option "units" must be a positive integer, got "3"');
    expect(() => new Affine({ units: 3, useBias: 'yes' as never })).toThrow('Affine: option "useBias" must be true or false, got "yes"');
  });
  test('use before build', () => {
    expect(() => new Affine({ units: 3 }).forward(tensor([1, 3]), false)).toThrow(/Affine is not built/);
    expect(() => new Affine({ units: 3 }).params()).toThrow(/Affine is not built/);
  });
});
