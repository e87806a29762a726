/**
 * What fit must never do silently (issue 10): fail on a last batch of one sample, train on non-finite inputs,
 * or apply a non-finite gradient.
 */
import { Affine, BatchNorm, ReLU, Rng, SGD, Sequential, SoftmaxCrossEntropy, fit, tensor, type Tensor } from '../../src/node';
import { epochBatches } from '../../src/data/batches';

function data(n: number, features: number, seed: number): { x: Tensor; y: Int32Array } {
  const rng = new Rng(seed);
  const x = tensor([n, features], Array.from({ length: n * features }, () => rng.uniform(-1, 1)));
  const y = Int32Array.from({ length: n }, (_, i) => (x.data[i * features] > 0 ? 1 : 0));
  return { x, y };
}

describe('a last batch of one sample', () => {
  test('epochBatches merges it into the batch before; other remainders stay a batch of their own', () => {
    const sizes = (n: number, b: number, dropLast = false) => {
      const plan = epochBatches(n, b, dropLast);
      return Array.from({ length: plan.count }, (_, i) => plan.size(i));
    };
    expect(sizes(129, 64)).toEqual([64, 65]);
    expect(sizes(129, 128)).toEqual([129]);
    expect(sizes(130, 64)).toEqual([64, 64, 2]);
    expect(sizes(128, 64)).toEqual([64, 64]);
    expect(sizes(1, 64)).toEqual([1]);
    expect(sizes(5, 1)).toEqual([1, 1, 1, 1, 1]);
    expect(sizes(129, 64, true)).toEqual([64, 64]);
    for (const [n, b] of [[129, 64], [130, 64], [1, 8], [17, 4]]) {
      expect(sizes(n, b).reduce((s, c) => s + c, 0)).toBe(n);
    }
  });

  test('a net with BatchNorm trains on 2·B + 1 samples (the leftover joins the last batch)', async () => {
    const net = new Sequential([new Affine({ units: 8 }), new BatchNorm({}), new ReLU(), new Affine({ units: 2 })], { inputShape: [3], seed: 1 });
    const seen: number[] = [];
    const history = await fit(net, new SoftmaxCrossEntropy(), new SGD({ lr: 0.1 }), data(2 * 16 + 1, 3, 2), {
      epochs: 2, batchSize: 16, seed: 3,
      onBatch: (info) => seen.push(info.samplesSeen),
    });
    expect(history.stopReason).toBe('completed');
    expect(seen).toEqual([16, 33, 16, 33]);
    expect(history.loss.every(Number.isFinite)).toBe(true);
  });
});
