/**
 * The curves: epoch points from a History, the batch losses a TrainingRecorder recovers from fit's running
 * means (checked against the batch losses of a real fit), and their thinning and smoothing.
 */
import { Affine } from '../../src/layers/affine';
import { SoftmaxCrossEntropy } from '../../src/losses/softmax-cross-entropy';
import { fit, type History } from '../../src/net/train';
import { Sequential } from '../../src/net/sequential';
import { SGD } from '../../src/optimizers/sgd';
import { cosineSchedule } from '../../src/optimizers/schedules';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';
import { batchCurves, epochCurves, TrainingRecorder, type BatchRecords } from '../../src/report/curves';

test('epochCurves puts epoch e at x = e', () => {
  const history: History = {
    loss: [1, 0.5], accuracy: [0.6, 0.8], valLoss: [1.1, 0.7], valAccuracy: [0.5, 0.75], lr: [0.1, 0.05], seconds: [2, 3], stopReason: 'completed',
  };
  const c = epochCurves(history);
  expect(c.trainLoss).toEqual([[1, 1], [2, 0.5]]);
  expect(c.valAccuracy).toEqual([[1, 0.5], [2, 0.75]]);
  expect(c.lr).toEqual([[1, 0.1], [2, 0.05]]);
  expect(epochCurves({ ...history, valLoss: [], valAccuracy: [] }).valLoss).toEqual([]);
});

test('TrainingRecorder recovers each batch loss of a real fit from the running means', async () => {
  const rng = new Rng(3);
  const n = 23; // batches of 5: 5, 5, 5, 5, 3 — the last one partial
  const x = tensor([n, 4], Array.from({ length: n * 4 }, () => rng.uniform(-1, 1)));
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  const net = new Sequential([new Affine({ units: 3 })], { inputShape: [4], seed: 1 });
  const loss = new SoftmaxCrossEntropy();
  // Spy on the loss to learn every batch's own value.
  const seen: number[] = [];
  const forward = loss.forward.bind(loss);
  loss.forward = (scores, targets) => {
    const value = forward(scores, targets);
    seen.push(value);
    return value;
  };
  const recorder = new TrainingRecorder();
  await fit(net, loss, new SGD({ lr: 0.1 }), { x, y }, { epochs: 2, batchSize: 5, seed: 1, onBatch: recorder.onBatch, schedule: cosineSchedule({ lr: 0.1, epochs: 2 }) });
  const r = recorder.records;
  expect(r.loss).toHaveLength(10);
  r.loss.forEach((v, i) => expect(v).toBeCloseTo(seen[i], 10));
  expect(r.x).toEqual([0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8, 2].map((v) => expect.closeTo(v, 12)));
  expect(r.lr[0]).toBe(0.1);
  expect(r.lr[9]).toBeLessThan(0.1);
});

describe('batchCurves', () => {
  const records = (n: number, perEpoch: number): BatchRecords => ({
    x: Array.from({ length: n }, (_, i) => (i + 1) / perEpoch),
    loss: Array.from({ length: n }, (_, i) => i + 1),
    lr: Array.from({ length: n }, (_, i) => 1 / (i + 1)),
  });

  test('few batches: one point each', () => {
    const c = batchCurves(records(5, 5), 400);
    expect(c.bucket).toBe(1);
    expect(c.loss).toEqual([[0.2, 1], [0.4, 2], [0.6, 3], [0.8, 4], [1, 5]]);
    expect(c.lr[4]).toEqual([1, 0.2]);
  });

  test('many batches: bucket means at the bucket end, at most maxPoints points', () => {
    const c = batchCurves(records(1000, 100), 300);
    expect(c.bucket).toBe(4);
    expect(c.loss).toHaveLength(250);
    expect(c.loss[0][0]).toBeCloseTo(0.04, 12);
    expect(c.loss[0][1]).toBe(2.5); // mean of 1, 2, 3, 4
    expect(c.loss[249][1]).toBe(998.5);
    expect(c.lr[0][1]).toBe(0.25); // the lr of the bucket's last update
  });

  test('the moving average is bias-corrected: a constant loss averages to itself from the first point', () => {
    const c = batchCurves({ x: [1, 2, 3], loss: [0.7, 0.7, 0.7], lr: [1, 1, 1] });
    for (const [, v] of c.smoothed) expect(v).toBeCloseTo(0.7, 12);
    const step = batchCurves({ x: [1, 2], loss: [1, 0], lr: [1, 1] }, 10, 0.5);
    // weights after two steps: 0.5·0.5 for the first, 0.5 for the second, normalised by 0.75
    expect(step.smoothed[1][1]).toBeCloseTo(0.25 / 0.75, 12);
  });

  test('no records: no points', () => {
    expect(batchCurves({ x: [], loss: [], lr: [] }).loss).toEqual([]);
  });
});
