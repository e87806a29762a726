/** @jest-environment ./test/helpers/ort-environment.js */
/**
 * An ONNX file made elsewhere: a small SimpleConvNet trained and exported by PyTorch 1.13
 * (scripts/onnx/torch-simple-convnet.py; Conv with pads, MaxPool, Flatten, Gemm with transB, BatchNormalization,
 * a dynamic batch axis, the input normalised outside the model). It loads, gives PyTorch's own logits and
 * test accuracy, runs like onnxruntime runs it, and fine-tunes here; the fine-tuned net goes back to ONNX.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Adam, SoftmaxCrossEntropy, argmaxRows, cloneTensor, evaluate, fit, predict } from '../../src/index';
import { imagesToTensor, labelsToInt32, readMnist, UNIT_SCALING, type MnistData } from '../../src/data/mnist';
import { fromOnnx, importOnnx, toOnnx } from '../../src/onnx/index';
import { runOrt, worstRelative } from './ort';

const FIXTURE = path.join(__dirname, '../fixtures/onnx/simple-convnet.onnx');
const EXPECTED = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/onnx/simple-convnet.expected.json'), 'utf8')) as {
  producer: string; normalization: { mean: number; std: number }; testImages: number; testAccuracy: number; firstLogits: number[][];
};
const DATA_DIR = process.env.NN_DATA_DIR || path.resolve(__dirname, '../../../shared/data/mnist');
const HAVE_MNIST = fs.existsSync(path.join(DATA_DIR, 't10k-images-idx3-ubyte.gz'));

test('the PyTorch file imports as the chain it is', () => {
  const model = importOnnx(fs.readFileSync(FIXTURE));
  expect(model.producer).toBe('pytorch 1.13.0');
  expect(model.normalization).toBeUndefined(); // PyTorch normalises outside the model
  expect(model.net.inputShape).toEqual([1, 28, 28]);
  expect(model.net.layers.map((l) => l.kind)).toEqual([
    'Conv2D', 'ReLU', 'MaxPool', 'Conv2D', 'ReLU', 'MaxPool', 'Flatten', 'Affine', 'BatchNorm', 'ReLU', 'Affine',
  ]);
  expect(model.net.layers[0].config()).toMatchObject({ filters: 8, kernelSize: [5, 5], padding: 2, stride: [1, 1] });
});

(HAVE_MNIST ? describe : describe.skip)('on real MNIST', () => {
  let mnist: MnistData;
  beforeAll(() => {
    mnist = readMnist(DATA_DIR);
  });

  test("evaluates: PyTorch's logits within 1e-5, its test accuracy exactly, onnxruntime's classes", async () => {
    const bytes = fs.readFileSync(FIXTURE);
    const net = fromOnnx(bytes);
    const count = EXPECTED.testImages;
    const x = imagesToTensor(mnist.test.images, 28, 28, 0, count, EXPECTED.normalization);
    const labels = labelsToInt32(mnist.test.labels, 0, count);
    const ours = cloneTensor(predict(net, x, 100));

    const first = ours.data.subarray(0, EXPECTED.firstLogits.length * 10);
    const vsTorch = worstRelative(first, EXPECTED.firstLogits.flat()).error;
    expect(vsTorch).toBeLessThanOrEqual(1e-5);
    const classes = argmaxRows(ours);
    const correct = classes.filter((c, i) => c === labels[i]).length;
    expect(correct / count).toBeCloseTo(EXPECTED.testAccuracy, 6);

    const theirs = await runOrt(bytes, x, 'image');
    expect(argmaxRows(theirs)).toEqual(classes);
    const vsOrt = worstRelative(ours.data, theirs.data).error;
    if (process.env.NN_ONNX_REPORT) console.log(`PyTorch SimpleConvNet: vs PyTorch ${vsTorch.toExponential(1)}, vs onnxruntime ${vsOrt.toExponential(1)}`);
    expect(vsOrt).toBeLessThanOrEqual(1e-5);
  });

  test('fine-tunes: a few batches on images PyTorch never saw lower their loss; the result exports and runs in onnxruntime', async () => {
    const net = fromOnnx(fs.readFileSync(FIXTURE), { seed: 1 });
    const norm = EXPECTED.normalization;
    const data = { x: imagesToTensor(mnist.train.images, 28, 28, 30000, 640, norm), y: labelsToInt32(mnist.train.labels, 30000, 640) };
    const loss = new SoftmaxCrossEntropy();
    const before = evaluate(net, loss, data, 128);
    await fit(net, loss, new Adam({ lr: 1e-3 }), data, { epochs: 2, batchSize: 64, seed: 1 });
    const after = evaluate(net, loss, data, 128);
    expect(after.loss).toBeLessThan(before.loss);

    const pixels = imagesToTensor(mnist.test.images, 28, 28, 0, 200, UNIT_SCALING);
    const bytes = toOnnx(net, { normalization: norm });
    const ours = cloneTensor(predict(net, imagesToTensor(mnist.test.images, 28, 28, 0, 200, norm), 100));
    const theirs = await runOrt(bytes, pixels);
    expect(argmaxRows(theirs)).toEqual(argmaxRows(ours));
  });
});
