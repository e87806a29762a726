/** A tensor whose data does not match its shape, given straight to a layer or a loss (issue 10): a clear ShapeError, never NaN. */
import { Affine, MeanSquaredError, ReLU, Rng, ShapeError, Sigmoid, SoftmaxCrossEntropy, Tanh, tensor, type Layer } from '../../src/node';

const long = { shape: [2, 3], data: new Float32Array(9) };
const short = { shape: [2, 3], data: new Float32Array(4) };

test.each([
  ['Affine', () => new Affine({ units: 2 })],
  ['ReLU', () => new ReLU()],
  ['Sigmoid', () => new Sigmoid()],
  ['Tanh', () => new Tanh()],
] as [string, () => Layer][])('%s refuses data longer or shorter than the shape, naming both', (kind, make) => {
  const layer = make();
  layer.build([3], new Rng(1));
  for (const x of [long, short]) {
    expect(() => layer.forward(x, true)).toThrow(ShapeError);
    expect(() => layer.forward(x, true)).toThrow(
      new RegExp(`^${kind} input: the data holds ${x.data.length} values but the shape \\[2, 3\\] needs 6`),
    );
  }
});

test('a loss given too little data says so instead of returning NaN', () => {
  expect(() => new SoftmaxCrossEntropy().forward({ shape: [4, 3], data: new Float32Array(6) }, new Int32Array(4))).toThrow(
    /^SoftmaxCrossEntropy scores: the data holds 6 values but the shape \[4, 3\] needs 12/,
  );
  expect(() => new MeanSquaredError().forward(tensor([4, 3]), { shape: [4, 3], data: new Float32Array(6) })).toThrow(
    /^MeanSquaredError targets: the data holds 6 values but the shape \[4, 3\] needs 12/,
  );
  expect(() => new SoftmaxCrossEntropy().forward(tensor([4, 3]), new Int32Array(2))).toThrow(/got 2 labels for a batch of 4 samples/);
});
