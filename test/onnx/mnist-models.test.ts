/** @jest-environment ./test/helpers/ort-environment.js */
/**
 * The three MNIST models of the zoo, trained for a few batches on real MNIST, exported with their input
 * normalisation as the first nodes (as `nn export` does), and run by onnxruntime-node on real test images
 * given as pixels/255: the same predicted class for every image, and logits within 1e-5 relative on the
 * reference kernels. The wasm kernels sum in float32 in another order than onnxruntime; their worst
 * difference is asserted against a looser bound and stated in docs/onnx.md. Skips when MNIST is absent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Adam, SoftmaxCrossEntropy, argmaxRows, cloneTensor, fit, kernelBackend, predict, setKernelBackend, type Sequential, type Tensor,
} from '../../src/index';
import { imagesToTensor, labelsToInt32, pixelStats, readMnist, UNIT_SCALING, type MnistData } from '../../src/data/mnist';
import { buildMnistModel } from '../../src/models/mnist';
import { importOnnx, toOnnx } from '../../src/onnx/index';
import { firstDifference, runOrt, worstRelative } from './ort';

const DATA_DIR = process.env.NN_DATA_DIR || path.resolve(__dirname, '../../../shared/data/mnist');
const HAVE_MNIST = fs.existsSync(path.join(DATA_DIR, 't10k-images-idx3-ubyte.gz')) || fs.existsSync(path.join(DATA_DIR, 't10k-images-idx3-ubyte'));
const TRAIN = 320;
const TEST = 200;
/** The wasm GEMM's float32 sums over the cnn's 4,320-long rows differ from onnxruntime's by ~1e-5 (docs/onnx.md). */
const WASM_TOLERANCE = 1e-4;

const maybe = HAVE_MNIST ? describe : describe.skip;

maybe('the MNIST models in onnxruntime-node, on real test images', () => {
  let mnist: MnistData;
  beforeAll(() => {
    mnist = readMnist(DATA_DIR);
  });

  test.each(['mlp', 'cnn', 'best'])('%s: same classes, logits within 1e-5 (reference kernels)', async (name) => {
    const norm = pixelStats(mnist.train.images, 784, 0, TRAIN);
    const net = await trained(name, mnist, norm);
    const x = imagesToTensor(mnist.test.images, 28, 28, 0, TEST, norm);
    const pixels = imagesToTensor(mnist.test.images, 28, 28, 0, TEST, UNIT_SCALING);
    const bytes = toOnnx(net, { normalization: norm });
    const theirs = await runOrt(bytes, pixels);

    const wasm = cloneTensor(predict(net, x, 100));
    const reference = withKernels('reference', () => cloneTensor(predict(net, x, 100)));
    expect(argmaxRows(theirs)).toEqual(argmaxRows(reference));
    expect(argmaxRows(theirs)).toEqual(argmaxRows(wasm));
    if (process.env.NN_ONNX_REPORT) console.log(name, 'reference', worstRelative(reference.data, theirs.data), 'wasm', worstRelative(wasm.data, theirs.data));
    expect(worstRelative(reference.data, theirs.data).error).toBeLessThanOrEqual(1e-5);
    expect(worstRelative(wasm.data, theirs.data).error).toBeLessThanOrEqual(WASM_TOLERANCE);

    // And back: the imported net with its normalisation gives our logits bit for bit.
    const back = importOnnx(bytes);
    // The graph holds float32 constants; they come back as the shortest decimals with the same float32.
    expect(Math.fround(back.normalization!.mean)).toBe(Math.fround(norm.mean));
    expect(Math.fround(back.normalization!.std)).toBe(Math.fround(norm.std));
    expect(firstDifference(predict(back.net, x, 100).data, wasm.data)).toBe(-1);
  });
});

async function trained(name: string, mnist: MnistData, norm: { mean: number; std: number }): Promise<Sequential> {
  const net = buildMnistModel(name, 1);
  const data = { x: imagesToTensor(mnist.train.images, 28, 28, 0, TRAIN, norm), y: labelsToInt32(mnist.train.labels, 0, TRAIN) };
  await fit(net, new SoftmaxCrossEntropy(), new Adam({ lr: 2e-3 }), data, { epochs: 1, batchSize: 64, seed: 1 });
  return net;
}

function withKernels<T>(backend: 'reference' | 'ts' | 'wasm', run: () => T): T {
  const saved = kernelBackend();
  setKernelBackend(backend);
  try {
    return run();
  } finally {
    setKernelBackend(saved);
  }
}

export type { Tensor };
