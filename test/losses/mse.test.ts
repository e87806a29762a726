/**
 * MeanSquaredError, defined as the batch mean of ½·Σⱼ (y − t)², gradient (y − t)/N.
 */
import fc from 'fast-check';
import { MeanSquaredError } from '../../src/losses/mse';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';

test('by hand: residuals [1, 0, −2, 0] over N = 2 → L = ½·½·(1 + 4) = 1.25, gradient r/2', () => {
  const loss = new MeanSquaredError();
  expect(loss.forward(tensor([2, 2], [1, 2, 3, 4]), tensor([2, 2], [0, 2, 5, 4]))).toBe(1.25);
  expect(Array.from(loss.backward().data)).toEqual([0.5, 0, -1, 0]);
});

test('class labels are read as one-hot targets: y = [0.2, 0.9], label 1 → L = ½(0.04 + 0.01), gradient [0.2, −0.1]', () => {
  const loss = new MeanSquaredError();
  expect(loss.forward(tensor([1, 2], [0.2, 0.9]), Int32Array.of(1))).toBeCloseTo(0.025, 7);
  const d = loss.backward().data;
  expect(d[0]).toBeCloseTo(0.2, 7);
  expect(d[1]).toBeCloseTo(-0.1, 7);
});

test('property: equals a float64 reference on random shapes, including [N, C, H, W]', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 1e9 }), (n, shape, seed) => {
      const rng = new Rng(seed);
      const size = n * shape.reduce((a, b) => a * b, 1);
      const y = tensor([n, ...shape], Array.from({ length: size }, () => rng.uniform(-3, 3)));
      const t = tensor([n, ...shape], Array.from({ length: size }, () => rng.uniform(-3, 3)));
      const loss = new MeanSquaredError();
      let reference = 0;
      for (let i = 0; i < size; i++) reference += 0.5 * (y.data[i] - t.data[i]) ** 2;
      expect(loss.forward(y, t)).toBeCloseTo(reference / n, 10);
      const d = loss.backward();
      expect(d.shape).toEqual([n, ...shape]);
      for (let i = 0; i < size; i++) expect(d.data[i]).toBeCloseTo((y.data[i] - t.data[i]) / n, 6);
    }),
    { numRuns: 100, seed: 302 },
  );
});

describe('bad input names the argument and says why', () => {
  test('target shape, labels, scores', () => {
    const loss = new MeanSquaredError();
    expect(() => loss.forward(tensor([2, 3]), tensor([2, 2]))).toThrow('MeanSquaredError: target tensor shape [2, 2] must equal the scores shape [2, 3]');
    expect(() => loss.forward(tensor([2, 3]), Int32Array.of(0, 5))).toThrow(
      'MeanSquaredError: label 5 at index 1 is not a class index: labels must be integers in [0, 3) for 3 classes',
    );
    expect(() => loss.forward(tensor([2, 3, 1]), Int32Array.of(0, 0))).toThrow(/class labels need scores \[N, classes\], got \[2, 3, 1\]/);
    expect(() => loss.forward(tensor([3]), tensor([3]))).toThrow('MeanSquaredError: expected scores [N, …] with N ≥ 1 and no empty axis, got [3]');
    expect(() => new MeanSquaredError().backward()).toThrow('MeanSquaredError.backward called before forward');
  });
});
