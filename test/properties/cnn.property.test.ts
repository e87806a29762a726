/**
 * Whole small CNNs (Conv2D → ReLU → MaxPool → Affine, and a variant with BatchNorm, AvgPool and
 * Dropout) pass gradCheck as nets with SoftmaxCrossEntropy on random shapes; Sequential builds them
 * with shape inference and its summary shows every layer.
 */
import fc from 'fast-check';
import { Affine } from '../../src/layers/affine';
import { AvgPool } from '../../src/layers/avgpool';
import { BatchNorm } from '../../src/layers/batchnorm';
import { Conv2D } from '../../src/layers/conv2d';
import { Dropout } from '../../src/layers/dropout';
import { Flatten } from '../../src/layers/flatten';
import { MaxPool } from '../../src/layers/maxpool';
import { ReLU } from '../../src/layers/relu';
import { SoftmaxCrossEntropy } from '../../src/losses/softmax-cross-entropy';
import { gradCheck } from '../../src/net/gradcheck';
import { Sequential } from '../../src/net/sequential';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';
import { randomArray } from '../helpers/window-cases';

const RUNS = 100;

const netCase = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    channels: fc.integer({ min: 1, max: 2 }),
    height: fc.integer({ min: 3, max: 8 }),
    width: fc.integer({ min: 3, max: 8 }),
    filters: fc.integer({ min: 1, max: 3 }),
    kernel: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 1 }),
    pool: fc.integer({ min: 1, max: 2 }),
    classes: fc.integer({ min: 2, max: 4 }),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  })
  .filter((c) => {
    const outH = Math.floor((c.height + 2 * c.padding - c.kernel) / c.stride) + 1;
    const outW = Math.floor((c.width + 2 * c.padding - c.kernel) / c.stride) + 1;
    return outH >= c.pool && outW >= c.pool;
  });

function labelsFor(batch: number, classes: number, rng: Rng): Int32Array {
  return Int32Array.from({ length: batch }, () => rng.int(classes));
}

describe('CNNs as nets', () => {
  test(`Conv2D → ReLU → MaxPool → Affine with SoftmaxCrossEntropy passes gradCheck (${RUNS} runs)`, () => {
    let worst = 0, checked = 0, kinks = 0;
    fc.assert(
      fc.property(netCase, (c) => {
        const net = new Sequential(
          [
            new Conv2D({ filters: c.filters, kernelSize: c.kernel, stride: c.stride, padding: c.padding }),
            new ReLU(),
            new MaxPool({ size: c.pool }),
            new Affine({ units: c.classes, init: 'xavier' }),
          ],
          { inputShape: [c.channels, c.height, c.width], seed: c.seed },
        );
        const rng = new Rng(c.seed);
        net.params()[1].value.set(randomArray(c.filters, rng, -0.2, 0.2)); // conv bias off zero
        const x = tensor([c.batch, c.channels, c.height, c.width], randomArray(c.batch * c.channels * c.height * c.width, rng));
        const result = gradCheck(net, x, {
          loss: new SoftmaxCrossEntropy(), labels: labelsFor(c.batch, c.classes, rng), seed: c.seed, maxCoordinatesPerTensor: 8,
        });
        if (!result.passed) throw new Error(result.report);
        expect(result.tensors.map((t) => t.name)).toEqual(['0.Conv2D.weights', '0.Conv2D.bias', '3.Affine.weights', '3.Affine.bias', 'input']);
        worst = Math.max(worst, result.maxError);
        checked += result.checked;
        kinks += result.skippedKinks;
      }),
      { numRuns: RUNS, seed: 501 },
    );
    console.log(`CNN (Conv2D-ReLU-MaxPool-Affine): ${RUNS} runs, ${checked} coordinates, worst relative error ${worst.toExponential(2)}, ${kinks} kinks skipped`);
  });

  test(`Conv2D → BatchNorm → ReLU → AvgPool → Dropout → Flatten → Affine, training mode (${RUNS} runs)`, () => {
    let worst = 0, checked = 0, kinks = 0;
    fc.assert(
      fc.property(netCase, fc.double({ min: 0, max: 0.5, noNaN: true }), (c, rate) => {
        const net = new Sequential(
          [
            new Conv2D({ filters: c.filters, kernelSize: c.kernel, stride: c.stride, padding: c.padding, useBias: false }),
            new BatchNorm(),
            new ReLU(),
            new AvgPool({ size: c.pool }),
            new Dropout({ rate }),
            new Flatten(),
            new Affine({ units: c.classes, init: 'xavier' }),
          ],
          { inputShape: [c.channels, c.height, c.width], seed: c.seed },
        );
        const rng = new Rng(c.seed);
        const batch = Math.max(2, c.batch); // BatchNorm trains on N·H·W ≥ 2 values; N ≥ 2 keeps the variance meaningful
        const x = tensor([batch, c.channels, c.height, c.width], randomArray(batch * c.channels * c.height * c.width, rng, -2, 2));
        const stats = net.buffers().map((b) => Array.from(b.value));
        const result = gradCheck(net, x, {
          loss: new SoftmaxCrossEntropy(), labels: labelsFor(batch, c.classes, rng), seed: c.seed, maxCoordinatesPerTensor: 8,
        });
        if (!result.passed) throw new Error(result.report);
        expect(net.buffers().map((b) => Array.from(b.value))).toEqual(stats); // running stats restored/untouched
        worst = Math.max(worst, result.maxError);
        checked += result.checked;
        kinks += result.skippedKinks;
      }),
      { numRuns: RUNS, seed: 502 },
    );
    console.log(`CNN (Conv2D-BatchNorm-ReLU-AvgPool-Dropout-Affine): ${RUNS} runs, ${checked} coordinates, worst relative error ${worst.toExponential(2)}, ${kinks} kinks skipped`);
  });

  test('Sequential infers the shapes of a mixed net, names the params and buffers, and summary() shows every layer', () => {
    const net = new Sequential(
      [
        new Conv2D({ filters: 30, kernelSize: 5 }),
        new BatchNorm(),
        new ReLU(),
        new MaxPool({ size: 2 }),
        new Dropout({ rate: 0.25 }),
        new Affine({ units: 100 }),
        new ReLU(),
        new Affine({ units: 10 }),
      ],
      { inputShape: [1, 28, 28], seed: 1 },
    );
    expect(net.outputShape).toEqual([10]);
    expect(net.layerShapes).toEqual([[30, 24, 24], [30, 24, 24], [30, 24, 24], [30, 12, 12], [30, 12, 12], [100], [100], [10]]);
    expect(net.namedParams().map((p) => p.name)).toEqual([
      '0.Conv2D.weights', '0.Conv2D.bias', '1.BatchNorm.gamma', '1.BatchNorm.beta',
      '5.Affine.weights', '5.Affine.bias', '7.Affine.weights', '7.Affine.bias',
    ]);
    expect(net.namedBuffers().map((b) => b.name)).toEqual(['1.BatchNorm.runningMean', '1.BatchNorm.runningVar']);
    const summary = net.summary();
    for (const line of ['Conv2D', 'BatchNorm', 'MaxPool', 'Dropout', '[30, 24, 24]', '[30, 12, 12]', '780', '432100']) {
      expect(summary).toContain(line);
    }
    const y = net.forward(tensor([2, 1, 28, 28], randomArray(2 * 784, new Rng(3))), true);
    expect(y.shape).toEqual([2, 10]);
  });

  test('a mismatch inside a CNN fails at build, naming the layer and the shapes', () => {
    expect(() => new Sequential([new Conv2D({ filters: 4, kernelSize: 5 }), new MaxPool({ size: 2 }), new Conv2D({ filters: 2, kernelSize: 5 })], {
      inputShape: [1, 12, 12],
    })).toThrow(/layer 2 \(Conv2D\) cannot take input \[4, 4, 4\].*Conv2D: kernel 5×5 is larger than the padded input 4×4/);
    expect(() => new Sequential([new Affine({ units: 8 }), new Conv2D({ filters: 2, kernelSize: 3 })], { inputShape: [1, 5, 5] }))
      .toThrow(/layer 1 \(Conv2D\) cannot take input \[8\].*Conv2D needs a per-sample input \[channels, height, width\]/);
  });
});
