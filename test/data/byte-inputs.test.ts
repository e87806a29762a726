/**
 * Datasets that stay bytes (issue 9): images given as ByteInputs (imagesToInputs) train, evaluate and predict
 * to exactly the numbers of the same images as a Float32 tensor (imagesToTensor), while the data set holds
 * only its bytes (a view of the pixels, no copy); the decode buffers are temporaries given back at the end.
 */
import {
  Adam, Conv2D, Flatten, MaxPool, ReLU, Rng, Affine, Sequential, SoftmaxCrossEntropy, evaluate, fit, imagesToInputs, imagesToTensor,
  memoryStats, predict, sampleCount, splitTail, pixelStats, isByteInputs, assertFiniteInputs, NonFiniteDataError,
} from '../../src/index';

const COUNT = 90;

function images(seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: COUNT * 28 * 28 }, () => (rng.next() < 0.7 ? 0 : Math.floor(rng.next() * 256)));
}

function net(): Sequential {
  return new Sequential([new Conv2D({ filters: 6, kernelSize: 5 }), new ReLU(), new MaxPool({ size: 2 }), new Flatten(), new Affine({ units: 10 })], {
    inputShape: [1, 28, 28], seed: 4,
  });
}

const pixels = images(1);
const labels = Int32Array.from({ length: COUNT }, (_, i) => (i * 7) % 10);
const norm = pixelStats(pixels, 784);

test('imagesToInputs is a view of the pixels with the lookup of the normalisation', () => {
  const x = imagesToInputs(pixels, 28, 28, 10, 20, norm);
  expect(isByteInputs(x)).toBe(true);
  expect(x.shape).toEqual([20, 1, 28, 28]);
  expect(x.bytes.buffer).toBe(pixels.buffer);
  expect(x.bytes.byteOffset).toBe(10 * 784);
  const floats = imagesToTensor(pixels, 28, 28, 10, 20, norm);
  expect(Array.from(x.bytes, (b) => x.lookup[b])).toEqual(Array.from(floats.data));
  expect(() => imagesToInputs(pixels, 28, 28, 80, 20)).toThrow(/imagesToInputs: images \[80, 100\) are out of range \(90 images\)/);
});

test('fit, evaluate and predict on bytes give the same numbers as on floats, bit for bit', async () => {
  const bytesData = { x: imagesToInputs(pixels, 28, 28, 0, COUNT, norm), y: labels };
  const floatData = { x: imagesToTensor(pixels, 28, 28, 0, COUNT, norm), y: labels };
  const results = [];
  for (const data of [bytesData, floatData]) {
    const n = net();
    const loss = new SoftmaxCrossEntropy();
    const optimizer = new Adam({ lr: 0.01 });
    const history = await fit(n, loss, optimizer, data, { epochs: 2, batchSize: 16, validationSplit: 0.2, seed: 2 });
    results.push({
      weights: n.params().map((p) => Array.from(p.value)),
      history: [history.loss, history.valLoss],
      evaluation: evaluate(n, loss, data, 32),
      scores: Array.from(predict(n, data.x, 25).data),
    });
    n.dispose();
    loss.dispose();
    optimizer.dispose();
  }
  expect(results[0]).toEqual(results[1]);
  expect(memoryStats().owners.evaluate).toBeUndefined();
  expect(memoryStats().owners.predict).toBeUndefined();
  expect(memoryStats().owners.fit).toBeUndefined();
});

test('byte inputs are checked and split like tensors', () => {
  const x = imagesToInputs(pixels, 28, 28, 0, COUNT);
  expect(sampleCount({ x, y: labels }, 'training data')).toBe(COUNT);
  expect(() => sampleCount({ x, y: labels.subarray(1) }, 'training data')).toThrow(/x holds 90 samples .* but y holds 89/);
  expect(() => sampleCount({ x: { ...x, lookup: new Float32Array(3) }, y: labels }, 'training data')).toThrow(/must be \{ x: Tensor \| ByteInputs/);
  const { train, validation } = splitTail({ x, y: labels }, 0.1);
  expect(train.x.shape[0]).toBe(81);
  expect(validation.x.shape[0]).toBe(9);
  expect(isByteInputs(validation.x) && validation.x.bytes.byteOffset).toBe(81 * 784);
});

test('byte inputs are finite when the values their bytes map to are; otherwise the first sample holding one is named', () => {
  const bytes = new Uint8Array(4 * 784);
  bytes[3 * 784 + 29] = 255;
  const lookup = new Float32Array(256);
  expect(() => assertFiniteInputs({ shape: [4, 1, 28, 28], bytes, lookup }, 'training data: x')).not.toThrow();
  lookup[255] = NaN;
  lookup[7] = Infinity; // never used by these bytes
  expect(() => assertFiniteInputs({ shape: [4, 1, 28, 28], bytes, lookup }, 'training data: x')).toThrow(NonFiniteDataError);
  expect(() => assertFiniteInputs({ shape: [4, 1, 28, 28], bytes, lookup }, 'training data: x'))
    .toThrow(/^training data: x holds NaN at sample 3, feature 29 \(at \[0, 1, 1\] of \[1, 28, 28\]\)/);
});
