/**
 * SoftmaxCrossEntropy: equals a float64 log-sum-exp reference on random logits of any size, its
 * gradient is (softmax − onehot)/N with rows summing to zero, it stays finite at 1e4, and bad labels
 * are named with their index.
 */
import fc from 'fast-check';
import { SoftmaxCrossEntropy } from '../../src/losses/softmax-cross-entropy';
import { Rng } from '../../src/random';
import { tensor, type Tensor } from '../../src/tensor';

/** log Σ exp(zⱼ) by pairwise folding, log(eᵃ + eᵇ) = max + log1p(e^(−|a − b|)): a formula independent of the layer's. */
function logSumExp(row: ArrayLike<number>): number {
  let acc = row[0];
  for (let j = 1; j < row.length; j++) acc = Math.max(acc, row[j]) + Math.log1p(Math.exp(-Math.abs(acc - row[j])));
  return acc;
}

function randomLogits(n: number, classes: number, scale: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return tensor([n, classes], Array.from({ length: n * classes }, () => rng.uniform(-scale, scale)));
}

test('by hand: logits [0, 0] → loss ln 2, gradient [½, −½] for label 1; logits [0, ln 3] → p = [¼, ¾]', () => {
  const loss = new SoftmaxCrossEntropy();
  expect(loss.forward(tensor([1, 2], [0, 0]), Int32Array.of(1))).toBeCloseTo(Math.LN2, 12);
  expect(Array.from(loss.backward().data)).toEqual([0.5, -0.5]);
  // Two samples: mean of ln 2 and −log ¼ = ln 4; gradient divided by N = 2.
  const value = loss.forward(tensor([2, 2], [0, 0, 0, Math.log(3)]), Int32Array.of(0, 0));
  expect(value).toBeCloseTo((Math.LN2 + Math.log(4)) / 2, 6);
  expect(Array.from(loss.probabilities().data.subarray(2))).toEqual([0.25, 0.75].map(Math.fround));
  const d = loss.backward().data;
  expect(d[0]).toBeCloseTo(-0.25, 7); // (½ − 1)/2
  expect(d[1]).toBeCloseTo(0.25, 7);
  expect(d[2]).toBeCloseTo(-0.375, 7); // (¼ − 1)/2
  expect(d[3]).toBeCloseTo(0.375, 7);
});

test('property: loss equals the float64 log-sum-exp reference and the gradient is (softmax − onehot)/N with rows summing to 0', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom(1, 10, 100, 1e4), fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (n, classes, scale, seed) => {
        const scores = randomLogits(n, classes, scale, seed);
        const rng = new Rng(seed + 1);
        const labels = Int32Array.from({ length: n }, () => rng.int(classes));
        const loss = new SoftmaxCrossEntropy();
        const value = loss.forward(scores, labels);
        let reference = 0;
        for (let i = 0; i < n; i++) {
          const row = scores.data.subarray(i * classes, (i + 1) * classes);
          reference += logSumExp(row) - row[labels[i]];
        }
        reference /= n;
        expect(Number.isFinite(value)).toBe(true);
        expect(Math.abs(value - reference)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(reference)));
        const d = loss.backward().data;
        for (let i = 0; i < n; i++) {
          const row = scores.data.subarray(i * classes, (i + 1) * classes);
          const lse = logSumExp(row);
          let rowSum = 0;
          for (let j = 0; j < classes; j++) {
            const expected = (Math.exp(row[j] - lse) - (j === labels[i] ? 1 : 0)) / n;
            expect(Math.abs(d[i * classes + j] - expected)).toBeLessThanOrEqual(1e-7);
            rowSum += d[i * classes + j];
          }
          expect(Math.abs(rowSum)).toBeLessThanOrEqual(1e-7);
        }
      },
    ),
    { numRuns: 200, seed: 301 },
  );
});

test('logits of magnitude 1e4: finite loss and finite gradients', () => {
  const loss = new SoftmaxCrossEntropy();
  const value = loss.forward(tensor([2, 3], [1e4, -1e4, 0, -1e4, -1e4, 1e4]), Int32Array.of(1, 2));
  // Sample 0: logsumexp = 1e4, minus the label's −1e4 → 2e4. Sample 1: the label has the max → 0.
  expect(value).toBe(1e4);
  const d = Array.from(loss.backward().data);
  expect(d.every(Number.isFinite)).toBe(true);
  expect(d).toEqual([0.5, -0.5, 0, 0, 0, 0]);
});

test('a one-hot target tensor gives the labels’ loss and gradient; a probability target gives (Σt·p − t)/N', () => {
  const scores = randomLogits(3, 4, 3, 5);
  const labels = Int32Array.of(2, 0, 3);
  const oneHot = tensor([3, 4]);
  labels.forEach((c, i) => (oneHot.data[i * 4 + c] = 1));
  const a = new SoftmaxCrossEntropy();
  const b = new SoftmaxCrossEntropy();
  expect(b.forward(scores, oneHot)).toBeCloseTo(a.forward(scores, labels), 12);
  expect(Array.from(b.backward().data)).toEqual(Array.from(a.backward().data));

  const soft = tensor([1, 2], [0.25, 0.75]);
  const c = new SoftmaxCrossEntropy();
  expect(c.forward(tensor([1, 2], [0, 0]), soft)).toBeCloseTo(Math.LN2, 12); // −(¼ log ½ + ¾ log ½)
  expect(Array.from(c.backward().data)).toEqual([0.25, -0.25]);
});

describe('bad input names the argument and says why', () => {
  const scores = tensor([2, 3]);
  test('a label outside the class range or not an integer names the label, its index and the class count', () => {
    const loss = new SoftmaxCrossEntropy();
    expect(() => loss.forward(scores, Int32Array.of(0, 3))).toThrow(
      'SoftmaxCrossEntropy: label 3 at index 1 is not a class index: labels must be integers in [0, 3) for 3 classes',
    );
    expect(() => loss.forward(scores, Int32Array.of(-1, 0))).toThrow(/label -1 at index 0 is not a class index/);
    expect(() => loss.forward(scores, [0, 1.5] as unknown as Int32Array)).toThrow(/label 1.5 at index 1 is not a class index/);
  });
  test('label count, scores shape, target shape', () => {
    const loss = new SoftmaxCrossEntropy();
    expect(() => loss.forward(scores, Int32Array.of(0))).toThrow('SoftmaxCrossEntropy: got 1 labels for a batch of 2 samples (scores [2, 3])');
    expect(() => loss.forward(tensor([2, 3, 1]), Int32Array.of(0, 0))).toThrow(
      'SoftmaxCrossEntropy: expected scores [N, classes] with N, classes ≥ 1, got [2, 3, 1]',
    );
    expect(() => loss.forward(scores, tensor([2, 2]))).toThrow('SoftmaxCrossEntropy: target tensor shape [2, 2] must equal the scores shape [2, 3]');
    expect(() => loss.forward(scores, undefined as never)).toThrow(/targets must be an Int32Array of class labels or a Tensor/);
  });
  test('backward or probabilities before forward', () => {
    expect(() => new SoftmaxCrossEntropy().backward()).toThrow('SoftmaxCrossEntropy.backward called before forward');
    expect(() => new SoftmaxCrossEntropy().probabilities()).toThrow(/before forward/);
  });
});
