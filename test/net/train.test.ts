/** fit / evaluate / predict: learning, determinism, callbacks, the step order, early stopping, divergence. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  Adam, Affine, MeanSquaredError, Momentum, ReLU, Rng, SGD, Sequential, SoftmaxCrossEntropy, Tanh, TrainingDivergedError,
  OptionError, constantSchedule, evaluate, fit, load, modelFiles, predict, save, stepSchedule, tensor, type BatchInfo, type Layer,
  type Loss, type Param, type Tensor,
} from '../../src/node';
import { Dropout } from '../../src/layers/dropout';

/** XOR of the quadrant signs: not linearly separable, needs the hidden layer. Points kept off the axes. */
function xorData(n: number, seed: number): { x: Tensor; y: Int32Array } {
  const rng = new Rng(seed);
  const x = tensor([n, 2]);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.next() < 0.5 ? -1 : 1;
    const b = rng.next() < 0.5 ? -1 : 1;
    x.data[2 * i] = a * rng.uniform(0.3, 1.2);
    x.data[2 * i + 1] = b * rng.uniform(0.3, 1.2);
    y[i] = a === b ? 0 : 1;
  }
  return { x, y };
}

function mlp(seed: number, dropout = 0): Sequential {
  const layers: Layer[] = [new Affine({ units: 16 }), new Tanh()];
  if (dropout > 0) layers.push(new Dropout({ rate: dropout }));
  layers.push(new Affine({ units: 2, init: 'xavier' }));
  return new Sequential(layers, { inputShape: [2], seed });
}

function weightsOf(net: Sequential): number[][] {
  return net.params().map((p) => Array.from(p.value));
}

test('an MLP learns XOR to ≥ 99 % training accuracy', async () => {
  const data = xorData(200, 1);
  const net = mlp(3);
  const history = await fit(net, new SoftmaxCrossEntropy(), new Adam({ lr: 0.05 }), data, { epochs: 40, batchSize: 16, seed: 5 });
  expect(history.accuracy).toHaveLength(40);
  expect(history.accuracy[39]).toBeGreaterThanOrEqual(0.99);
  const result = evaluate(net, new SoftmaxCrossEntropy(), data);
  expect(result.accuracy).toBeGreaterThanOrEqual(0.99);
  expect(history.loss[39]).toBeLessThan(history.loss[0]);
  expect(history.stopReason).toBe('completed');
  expect(history.seconds.every((s) => s >= 0)).toBe(true);
});

test('same seeds ⇒ bit-identical weights; another fit seed ⇒ different weights', async () => {
  const data = xorData(64, 2);
  const run = async (netSeed: number, fitSeed: number) => {
    const net = mlp(netSeed, 0.2);
    await fit(net, new SoftmaxCrossEntropy(), new Momentum({ lr: 0.05 }), data, { epochs: 3, batchSize: 10, seed: fitSeed });
    return weightsOf(net);
  };
  const a = await run(7, 11);
  const b = await run(7, 11);
  expect(b).toEqual(a);
  expect(await run(7, 12)).not.toEqual(a);
  expect(await run(8, 11)).not.toEqual(a);
});

test('onBatch reports progress; the last partial batch is kept, or dropped with dropLast', async () => {
  const data = xorData(10, 3);
  const infos: BatchInfo[] = [];
  await fit(mlp(1), new SoftmaxCrossEntropy(), new SGD({ lr: 0.1 }), data, {
    epochs: 2, batchSize: 4, onBatch: (info) => infos.push(info),
  });
  expect(infos.map((i) => [i.epoch, i.batch, i.batchesPerEpoch, i.samplesSeen, i.step])).toEqual([
    [1, 1, 3, 4, 1], [1, 2, 3, 8, 2], [1, 3, 3, 10, 3], [2, 1, 3, 4, 4], [2, 2, 3, 8, 5], [2, 3, 3, 10, 6],
  ]);
  expect(infos.every((i) => i.samplesPerEpoch === 10 && i.epochs === 2 && i.lr === 0.1)).toBe(true);
  expect(infos.every((i) => i.accuracy >= 0 && i.accuracy <= 1 && Number.isFinite(i.loss))).toBe(true);

  const dropped: BatchInfo[] = [];
  await fit(mlp(1), new SoftmaxCrossEntropy(), new SGD({ lr: 0.1 }), data, {
    epochs: 1, batchSize: 4, dropLast: true, onBatch: (info) => dropped.push(info),
  });
  expect(dropped.map((i) => i.samplesSeen)).toEqual([4, 8]);
});

test('every epoch visits every sample once, in a new shuffled order', async () => {
  const n = 12;
  const x = tensor([n, 2]);
  for (let i = 0; i < n; i++) x.data[2 * i] = i; // the sample's own index, readable in the batch
  const seen: number[][] = [[], []];
  let epoch = 0;
  const probe: Layer = {
    kind: 'Probe', build: (s) => [...s], params: () => [], config: () => ({}), backward: (dy) => dy,
    forward: (batch) => {
      for (let i = 0; i < batch.shape[0]; i++) seen[epoch].push(batch.data[2 * i]);
      return batch;
    },
  };
  const net = new Sequential([probe, new Affine({ units: 2 })], { inputShape: [2] });
  await fit(net, new SoftmaxCrossEntropy(), new SGD(), { x, y: new Int32Array(n) }, {
    epochs: 2, batchSize: 5, seed: 3, onEpoch: () => void epoch++,
  });
  const all = Array.from({ length: n }, (_, i) => i);
  expect([...seen[0]].sort((a, b) => a - b)).toEqual(all);
  expect([...seen[1]].sort((a, b) => a - b)).toEqual(all);
  expect(seen[0]).not.toEqual(all);
  expect(seen[1]).not.toEqual(seen[0]);
});

test('the step order: zeroGrad, forward, loss forward/backward, net backward, THEN optimizer.step', async () => {
  const log: string[] = [];
  const inner = new Affine({ units: 2 });
  const spy: Layer = {
    kind: 'Spy',
    build: (s, rng) => inner.build(s, rng),
    forward: (x, training) => (log.push(`forward(${training})`), inner.forward(x, training)),
    backward: (dy) => (log.push('backward'), inner.backward(dy)),
    params: () => inner.params(),
    config: () => ({}),
  };
  const net = new Sequential([spy], { inputShape: [2] });
  const zeroGrad = net.zeroGrad.bind(net);
  net.zeroGrad = () => (log.push('zeroGrad'), zeroGrad());
  const ce = new SoftmaxCrossEntropy();
  const loss: Loss = {
    kind: 'SpyLoss', config: () => ({}),
    forward: (s, t) => (log.push('loss.forward'), ce.forward(s, t)),
    backward: () => (log.push('loss.backward'), ce.backward()),
  };
  class SpySGD extends SGD {
    override step(params: readonly Param[], lr?: number): void {
      log.push('step');
      super.step(params, lr);
    }
  }
  await fit(net, loss, new SpySGD(), xorData(6, 1), { epochs: 1, batchSize: 3 });
  const oneStep = ['zeroGrad', 'forward(true)', 'loss.forward', 'loss.backward', 'backward', 'step'];
  expect(log).toEqual([...oneStep, ...oneStep]);
});

test('the schedule sets each update\'s lr (epoch from 0, global step); history records it', async () => {
  const lrs: number[] = [];
  class RecordingSGD extends SGD {
    override step(params: readonly Param[], lr?: number): void {
      lrs.push(lr!);
      super.step(params, lr);
    }
  }
  const schedule = stepSchedule({ lr: 0.1, gamma: 0.5, every: 1 });
  const history = await fit(mlp(1), new SoftmaxCrossEntropy(), new RecordingSGD({ lr: 9 }), xorData(8, 1), {
    epochs: 3, batchSize: 4, schedule,
  });
  expect(lrs).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
  expect(history.lr).toEqual([0.1, 0.05, 0.025]);
});

test('validation: per-epoch val loss/accuracy; validationSplit takes the tail', async () => {
  const data = xorData(100, 4);
  const history = await fit(mlp(2), new SoftmaxCrossEntropy(), new Adam({ lr: 0.05 }), data, {
    epochs: 3, batchSize: 10, validationSplit: 0.2,
  });
  expect(history.valLoss).toHaveLength(3);
  expect(history.valAccuracy).toHaveLength(3);
  const seen: number[] = [];
  await fit(mlp(2), new SoftmaxCrossEntropy(), new SGD(), data, {
    epochs: 1, batchSize: 100, validationSplit: 0.2, onBatch: (i) => seen.push(i.samplesPerEpoch),
  });
  expect(seen).toEqual([80]);
  const noValidation = await fit(mlp(2), new SoftmaxCrossEntropy(), new SGD(), data, { epochs: 1, batchSize: 50 });
  expect(noValidation.valLoss).toEqual([]);
});

test('early stopping: stops after `patience` epochs without improvement', async () => {
  const train = xorData(80, 5);
  // The validation labels are the opposite: the better the net fits, the worse the validation loss.
  const validation = { x: train.x, y: train.y.map((c) => 1 - c) };
  const history = await fit(mlp(3), new SoftmaxCrossEntropy(), new Adam({ lr: 0.05 }), train, {
    epochs: 20, batchSize: 8, validation, patience: 2,
  });
  expect(history.stopReason).toBe('early-stopping');
  expect(history.loss).toHaveLength(3);
  expect(history.bestEpoch).toBe(1);
  expect(history.valLoss[1]).toBeGreaterThan(history.valLoss[0]);
  expect(history.valLoss[2]).toBeGreaterThan(history.valLoss[0]);
});

test('early stopping restores the weights of the best epoch', async () => {
  const train = xorData(80, 5);
  const validation = { x: train.x, y: train.y.map((c) => 1 - c) };
  const net = mlp(3);
  let best: number[][] = [];
  const history = await fit(net, new SoftmaxCrossEntropy(), new Adam({ lr: 0.05 }), train, {
    epochs: 20, batchSize: 8, validation, patience: 2,
    onEpoch: (info) => {
      if (info.improved) best = weightsOf(net);
    },
  });
  expect(history.stopReason).toBe('early-stopping');
  expect(weightsOf(net)).toEqual(best);
  // fit validates in batches of the training size (8 here): evaluate the same way for the same sum.
  expect(evaluate(net, new SoftmaxCrossEntropy(), validation, 8).loss).toBe(history.valLoss[history.bestEpoch! - 1]);
});

describe('divergence', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test('a huge learning rate throws TrainingDivergedError naming epoch and batch; the saved model is untouched', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mf-diverge-'));
    dirs.push(dir);
    const data = xorData(64, 6);
    const net = mlp(4);
    // Checkpoint after every good epoch, as the CLI does; the lr explodes from epoch 2 on.
    const schedule = stepSchedule({ lr: 0.01, gamma: 1e12, every: 1 });
    let error: unknown;
    try {
      await fit(net, new MeanSquaredError(), new SGD(), data, {
        epochs: 5, batchSize: 8, schedule, onEpoch: () => save(net, dir),
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TrainingDivergedError);
    const e = error as TrainingDivergedError;
    expect(e.epoch).toBeGreaterThanOrEqual(2);
    expect(e.message).toMatch(new RegExp(`at epoch ${e.epoch}, batch ${e.batch} of 8`));
    expect(e.message).toMatch(/Try a lower learning rate/);
    // The checkpoint is the last good epoch's, complete and loadable.
    const saved = fs.readFileSync(modelFiles(dir).weights);
    const reloaded = load(dir).net;
    expect(reloaded.params().every((p) => p.value.every(Number.isFinite))).toBe(true);
    // The guard stopped before the update that would have broken the weights (the gradient norm overflows
    // before the loss does); a net whose weights did become non-finite refuses to overwrite the checkpoint.
    expect(net.params().every((p) => p.value.every(Number.isFinite))).toBe(true);
    net.params()[0].value[0] = NaN;
    expect(() => save(net, dir)).toThrow(/refusing to save/);
    expect(fs.readFileSync(modelFiles(dir).weights)).toEqual(saved);
  });

  test('a diverging first batch stops before any checkpoint exists', async () => {
    const dir = path.join(os.tmpdir(), `mf-never-${process.pid}`);
    await expect(
      fit(mlp(4), new MeanSquaredError(), new SGD({ lr: 1e10 }), xorData(64, 6), {
        epochs: 3, batchSize: 8, onEpoch: () => save(mlp(4), dir),
      }),
    ).rejects.toThrow(/training diverged: the (loss|gradient norm) is (NaN|Infinity).* at epoch 1, batch \d of 8/);
    expect(fs.existsSync(dir)).toBe(false);
  });
});

test('predict = inference-mode forward, in batches; evaluate averages over all samples', () => {
  const net = mlp(9, 0.5);
  const data = xorData(23, 7);
  const whole = net.forward(data.x, false).data.slice();
  const batched = predict(net, data.x, 5);
  expect(batched.shape).toEqual([23, 2]);
  batched.data.forEach((v, i) => expect(v).toBeCloseTo(whole[i], 6));
  const ce = new SoftmaxCrossEntropy();
  const full = ce.forward(net.forward(data.x, false), data.y);
  expect(evaluate(net, ce, data, 4).loss).toBeCloseTo(full, 6);
  // Inference mode: Dropout is the identity, so predict is repeatable.
  expect(Array.from(predict(net, data.x, 7).data)).toEqual(Array.from(predict(net, data.x, 7).data));
});

test('augment transforms each batch with its own seeded Rng', async () => {
  const seenShapes: number[][] = [];
  const run = async () => {
    const net = mlp(1);
    await fit(net, new SoftmaxCrossEntropy(), new SGD({ lr: 0.1 }), xorData(20, 1), {
      epochs: 2, batchSize: 8, seed: 4,
      augment: (batch, rng) => {
        seenShapes.push([...batch.shape]);
        for (let i = 0; i < batch.data.length; i++) batch.data[i] += rng.uniform(-0.1, 0.1);
      },
    });
    return weightsOf(net);
  };
  const a = await run();
  expect(await run()).toEqual(a);
  expect(seenShapes.slice(0, 3)).toEqual([[8, 2], [8, 2], [4, 2]]);
});

test('an aborted signal stops between batches', async () => {
  const controller = new AbortController();
  let batches = 0;
  const history = await fit(mlp(1), new SoftmaxCrossEntropy(), new SGD(), xorData(40, 1), {
    epochs: 5, batchSize: 4, signal: controller.signal,
    onBatch: (info) => {
      batches++;
      if (info.batch === 3) controller.abort();
    },
  });
  expect(batches).toBe(3);
  expect(history.stopReason).toBe('aborted');
  expect(history.loss).toEqual([]);
});

test('bad options and data are clear errors', async () => {
  const data = xorData(8, 1);
  const go = (options: object, d: object = data) =>
    fit(mlp(1), new SoftmaxCrossEntropy(), new SGD(), d as never, { epochs: 1, batchSize: 4, ...options } as never);
  await expect(go({ epochs: 0 })).rejects.toThrow('fit: option "epochs" must be a positive integer, got 0');
  await expect(go({ batchSize: 2.5 })).rejects.toThrow('fit: option "batchSize" must be a positive integer, got 2.5');
  await expect(go({ batchsize: 4 })).rejects.toThrow('fit: unknown option "batchsize"');
  await expect(go({ patience: 2 })).rejects.toThrow(/"patience" .* give "validation" or "validationSplit"/);
  await expect(go({ validationSplit: 1.5 })).rejects.toThrow('validationSplit must be a fraction in (0, 1), got 1.5');
  await expect(go({ validationSplit: 0.5, validation: data })).rejects.toThrow(OptionError);
  await expect(go({}, { x: data.x, y: new Int32Array(5) })).rejects.toThrow('training data: x holds 8 samples ([8, 2]) but y holds 5');
  await expect(go({}, { x: tensor([8, 3]), y: data.y })).rejects.toThrow(
    "training data has samples of shape [3] (x is [8, 3]) but the net's inputShape is [2]",
  );
  expect(() => evaluate(mlp(1), new SoftmaxCrossEntropy(), data, 0)).toThrow('evaluate: option "batchSize" must be a positive integer');
  expect(() => predict(mlp(1), tensor([3, 5]))).toThrow("predict input has samples of shape [5]");
});

test('regression targets: accuracy is NaN, the loss still falls', async () => {
  const rng = new Rng(1);
  const x = tensor([32, 2]);
  const y = tensor([32, 1]);
  for (let i = 0; i < 32; i++) {
    x.data[2 * i] = rng.uniform(-1, 1);
    x.data[2 * i + 1] = rng.uniform(-1, 1);
    y.data[i] = 0.5 * x.data[2 * i] - x.data[2 * i + 1];
  }
  const net = new Sequential([new Affine({ units: 8 }), new ReLU(), new Affine({ units: 1 })], { inputShape: [2], seed: 1 });
  const history = await fit(net, new MeanSquaredError(), new Adam({ lr: 0.02 }), { x, y }, {
    epochs: 30, batchSize: 8, schedule: constantSchedule({ lr: 0.02 }),
  });
  expect(history.accuracy.every(Number.isNaN)).toBe(true);
  expect(history.loss[29]).toBeLessThan(history.loss[0] / 5);
});

describe('resume', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test('stop after 2 epochs, save, load, resume to 5: the same weights and history as an uninterrupted run (Dropout, Adam, warm-up)', async () => {
    const { everyLayerNet, blobImages } = await import('./all-layers.fixture');
    const { withWarmup, cosineSchedule } = await import('../../src');
    const data = blobImages(40, 3);
    const validation = blobImages(12, 4);
    const schedule = withWarmup(cosineSchedule({ lr: 0.01, epochs: 5 }), 4);
    const options = { batchSize: 12, seed: 21, schedule, validation, augment: (b: Tensor, rng: Rng) => {
      for (let i = 0; i < b.data.length; i += 7) b.data[i] += rng.uniform(-0.05, 0.05);
    } };

    const uninterrupted = everyLayerNet(8);
    const full = await fit(uninterrupted, new SoftmaxCrossEntropy(), new Adam({ lr: 0.01, weightDecay: 1e-3 }), data, { ...options, epochs: 5 });

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mf-resume-'));
    dirs.push(dir);
    const first = everyLayerNet(8);
    const adam = new Adam({ lr: 0.01, weightDecay: 1e-3 });
    await fit(first, new SoftmaxCrossEntropy(), adam, data, {
      ...options, epochs: 2, onEpoch: (info) => save(first, dir, { optimizer: adam, training: info.trainingState() }),
    });

    const restored = load(dir);
    expect(restored.training?.epoch).toBe(2);
    const rest = await fit(restored.net, new SoftmaxCrossEntropy(), restored.optimizer!, data, {
      ...options, schedule: undefined, epochs: 5, resume: restored.training, // the schedule comes from the saved state
    });
    restored.net.params().forEach((p, i) => expect(Array.from(p.value)).toEqual(Array.from(uninterrupted.params()[i].value)));
    restored.net.buffers().forEach((b, i) => expect(Array.from(b.value)).toEqual(Array.from(uninterrupted.buffers()[i].value)));
    expect(rest.loss).toEqual(full.loss);
    expect(rest.valLoss).toEqual(full.valLoss);
    expect(rest.lr).toEqual(full.lr);

    // Without the optimizer state the continuation differs: the test can tell.
    const again = load(dir);
    await fit(again.net, new SoftmaxCrossEntropy(), new Adam({ lr: 0.01, weightDecay: 1e-3 }), data, {
      ...options, epochs: 5, resume: again.training,
    });
    expect(again.net.params().map((p) => Array.from(p.value))).not.toEqual(uninterrupted.params().map((p) => Array.from(p.value)));
  });

  test('early stopping across a resume: the same stop and the same restored best weights', async () => {
    const train = xorData(80, 5);
    const validation = { x: train.x, y: train.y.map((c) => 1 - c) };
    const options = { batchSize: 8, validation, patience: 2, seed: 4 };
    const whole = mlp(3);
    const full = await fit(whole, new SoftmaxCrossEntropy(), new Adam({ lr: 0.05 }), train, { ...options, epochs: 20 });
    expect(full.stopReason).toBe('early-stopping');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mf-resume-es-'));
    dirs.push(dir);
    const first = mlp(3);
    const adam = new Adam({ lr: 0.05 });
    await fit(first, new SoftmaxCrossEntropy(), adam, train, {
      ...options, epochs: 1, onEpoch: (info) => save(first, dir, { optimizer: adam, training: info.trainingState() }),
    });
    const restored = load(dir);
    const rest = await fit(restored.net, new SoftmaxCrossEntropy(), restored.optimizer!, train, {
      ...options, epochs: 20, resume: restored.training,
    });
    expect(rest.stopReason).toBe('early-stopping');
    expect(rest.bestEpoch).toBe(full.bestEpoch);
    expect(rest.valLoss).toEqual(full.valLoss);
    expect(weightsOf(restored.net)).toEqual(weightsOf(whole));
  });

  test('resume checks the seed and the epoch count', async () => {
    let state: import('../../src').TrainingState | undefined;
    await fit(mlp(1), new SoftmaxCrossEntropy(), new SGD(), xorData(8, 1), {
      epochs: 3, batchSize: 4, seed: 2, onEpoch: (info) => void (state = info.trainingState()),
    });
    await expect(fit(mlp(1), new SoftmaxCrossEntropy(), new SGD(), xorData(8, 1), { epochs: 5, batchSize: 4, seed: 3, resume: state }))
      .rejects.toThrow('fit: resuming a run seeded 2 with seed 3; pass seed: 2');
    await expect(fit(mlp(1), new SoftmaxCrossEntropy(), new SGD(), xorData(8, 1), { epochs: 2, batchSize: 4, seed: 2, resume: state }))
      .rejects.toThrow('fit: cannot resume after epoch 3 when "epochs" is 2');
  });
});
