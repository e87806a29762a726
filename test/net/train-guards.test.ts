/**
 * What fit must never do silently (issue 10): fail on a last batch of one sample, train on non-finite inputs,
 * or apply a non-finite gradient.
 */
import {
  Adam, Affine, BatchNorm, MeanSquaredError, NonFiniteDataError, ReLU, Rng, SGD, Sequential, SoftmaxCrossEntropy, TrainingDivergedError,
  evaluate, fit, globalGradNorm, predict, tensor, type Loss, type Tensor,
} from '../../src/node';
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

describe('NaN and ±Infinity in the data', () => {
  const reluNet = (seed: number) =>
    new Sequential([new Affine({ units: 8 }), new ReLU(), new Affine({ units: 2 })], { inputShape: [4], seed });

  test('fit, evaluate and predict refuse them, naming the first bad sample and feature; fit changes no weight', async () => {
    const train = data(500, 4, 1);
    train.x.data[123 * 4 + 2] = NaN;
    train.x.data[300 * 4] = Infinity;
    const net = reluNet(1);
    const before = net.params().map((p) => Array.from(p.value));
    const run = fit(net, new SoftmaxCrossEntropy(), new Adam(), train, { epochs: 1, batchSize: 50 });
    await expect(run).rejects.toThrow(NonFiniteDataError);
    await expect(fit(net, new SoftmaxCrossEntropy(), new Adam(), train, { epochs: 1, batchSize: 50 })).rejects.toThrow(
      /^training data: x holds NaN at sample 123, feature 2; inputs must be finite numbers/,
    );
    expect(net.params().map((p) => Array.from(p.value))).toEqual(before);

    const clean = data(100, 4, 2);
    const dirty = data(20, 4, 3);
    dirty.x.data[7 * 4 + 1] = -Infinity;
    await expect(fit(net, new SoftmaxCrossEntropy(), new Adam(), clean, { epochs: 1, batchSize: 10, validation: dirty })).rejects.toThrow(
      /^validation data: x holds -Infinity at sample 7, feature 1/,
    );
    expect(() => evaluate(net, new SoftmaxCrossEntropy(), dirty)).toThrow(/^evaluation data: x holds -Infinity at sample 7, feature 1/);
    expect(() => predict(net, dirty.x)).toThrow(/^predict input holds -Infinity at sample 7, feature 1/);
    try {
      predict(net, dirty.x);
    } catch (e) {
      expect(e).toBeInstanceOf(NonFiniteDataError);
      expect(e).toMatchObject({ sample: 7, feature: 1, value: -Infinity });
    }
  });

  test('an image sample names the pixel as coordinates; regression targets are checked too', async () => {
    const x = tensor([3, 1, 4, 4]);
    x.data[2 * 16 + 9] = NaN; // sample 2, row 2, column 1
    const net = new Sequential([new Affine({ units: 1 })], { inputShape: [1, 4, 4] });
    expect(() => predict(net, x)).toThrow(/sample 2, feature 9 \(at \[0, 2, 1\] of \[1, 4, 4\]\)/);
    const y = tensor([3, 1], [0, Infinity, 1]);
    await expect(fit(net, new MeanSquaredError(), new SGD(), { x: tensor([3, 1, 4, 4]), y }, { epochs: 1, batchSize: 3 })).rejects.toThrow(
      /^training data: y holds Infinity at sample 1, feature 0/,
    );
  });
});

describe('the divergence guard watches the gradients, not only the loss', () => {
  // Without clipping fit asks only whether every gradient is finite (gradientsFinite), with clipping it
  // measures the norm: both must stop at the same batch with the same norm and message. Units 300 put the
  // first layer's gradients in the kernels' memory, the others stay on the heap.
  test.each([
    { poison: NaN, clipNorm: undefined, units: 8 },
    { poison: NaN, clipNorm: 1, units: 8 },
    { poison: Infinity, clipNorm: undefined, units: 300 },
    { poison: Infinity, clipNorm: 1, units: 300 },
  ])('a finite loss with a $poison gradient (clipNorm $clipNorm) stops before the update, naming the gradient norm', async ({ poison, clipNorm, units }) => {
    // A loss whose value is fine but whose gradient is not finite at one batch (the NaN-through-ReLU failure, distilled).
    const inner = new SoftmaxCrossEntropy();
    let calls = 0;
    const poisoned: Loss = {
      kind: 'Poisoned',
      forward: (scores: Tensor, y: Int32Array) => inner.forward(scores, y),
      backward: () => {
        const d = inner.backward();
        if (++calls === 3) d.data[0] = poison;
        return d;
      },
      config: () => ({}),
    } as unknown as Loss;
    const net = new Sequential([new Affine({ units }), new ReLU(), new Affine({ units: 2 })], { inputShape: [4], seed: 1 });
    const seenWeights: number[][] = [];
    const run = fit(net, poisoned, new SGD({ lr: 0.1, clipNorm }), data(100, 4, 1), {
      epochs: 1, batchSize: 10, shuffle: false,
      onBatch: () => { seenWeights.splice(0, seenWeights.length, ...net.params().map((p) => Array.from(p.value))); },
    });
    await expect(run).rejects.toThrow(TrainingDivergedError);
    await run.catch((e: TrainingDivergedError) => {
      expect(e.batch).toBe(3);
      // The gradients are left as backward produced them: their norm is the one reported.
      expect(e.gradNorm).toBe(globalGradNorm(net.params()));
      expect(Number.isFinite(e.gradNorm)).toBe(false);
      expect(Number.isFinite(e.loss)).toBe(true);
      expect(e.message).toMatch(/^training diverged: the gradient norm is (NaN|Infinity) \(the loss was \d\.\d+\) at epoch 1, batch 3 of 10/);
    });
    // Nothing after batch 2 touched the weights: they are still finite and equal to those after batch 2.
    expect(net.params().map((p) => Array.from(p.value))).toEqual(seenWeights);
    expect(net.params().every((p) => p.value.every(Number.isFinite))).toBe(true);
  });
});

test('EpochInfo splits an epoch into the batches and the validation pass', async () => {
  const net = new Sequential([new Affine({ units: 2 })], { inputShape: [3], seed: 1 });
  const infos: { seconds: number; trainSeconds: number; validationSeconds: number }[] = [];
  await fit(net, new SoftmaxCrossEntropy(), new SGD(), data(40, 3, 1), {
    epochs: 2, batchSize: 8, validation: data(200, 3, 2), onEpoch: (e) => { infos.push(e); },
  });
  await fit(net, new SoftmaxCrossEntropy(), new SGD(), data(40, 3, 1), { epochs: 1, batchSize: 8, onEpoch: (e) => { infos.push(e); } });
  for (const e of infos) {
    expect(e.trainSeconds).toBeGreaterThan(0);
    expect(e.trainSeconds + e.validationSeconds).toBeCloseTo(e.seconds, 9);
  }
  expect(infos[0].validationSeconds).toBeGreaterThan(0);
  expect(infos[2].validationSeconds).toBe(0);
});
