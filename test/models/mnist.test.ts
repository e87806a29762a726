import { scheduleFromSpec } from '../../src/cli/schedule';
import { MNIST_MODELS, MNIST_MODEL_NAMES, buildMnistModel, mnistModel } from '../../src/models/mnist';
import { createOptimizer } from '../../src/optimizers/factory';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';

test.each(MNIST_MODEL_NAMES.map((n) => [n]))('%s: [1, 28, 28] in, 10 scores out, finite, seeded', (name) => {
  const net = buildMnistModel(name, 3);
  expect(net.inputShape).toEqual([1, 28, 28]);
  expect(net.outputShape).toEqual([10]);
  const rng = new Rng(1);
  const x = tensor([2, 1, 28, 28], Float32Array.from({ length: 2 * 784 }, () => rng.gaussian()));
  const y = net.forward(x, true);
  expect(y.shape).toEqual([2, 10]);
  expect(y.data.every(Number.isFinite)).toBe(true);
  // Same seed, same weights; another seed, other weights.
  const again = buildMnistModel(name, 3).params().map((p) => Array.from(p.value));
  expect(net.params().map((p) => Array.from(p.value))).toEqual(again);
  expect(buildMnistModel(name, 4).params()[0].value).not.toEqual(net.params()[0].value);
});

test('cnn is exactly the SimpleConvNet: conv30@5×5-ReLU-pool2-affine100-ReLU-affine10', () => {
  const net = buildMnistModel('cnn');
  expect(net.layers.map((l) => l.kind)).toEqual(['Conv2D', 'ReLU', 'MaxPool', 'Flatten', 'Affine', 'ReLU', 'Affine']);
  expect(net.layers[0].config()).toMatchObject({ filters: 30, kernelSize: 5, stride: 1, padding: 0 });
  expect(net.layers[2].config()).toMatchObject({ size: 2, stride: 2 });
  expect(net.layerShapes.map((s) => [...s])).toEqual([[30, 24, 24], [30, 24, 24], [30, 12, 12], [4320], [100], [100], [10]]);
  expect(net.params().reduce((s, p) => s + p.value.length, 0)).toBe(433890);
});

test('best uses BatchNorm and Dropout; mlp is 784-256-128-10', () => {
  const kinds = buildMnistModel('best').layers.map((l) => l.kind);
  expect(kinds.filter((k) => k === 'BatchNorm')).toHaveLength(3);
  expect(kinds).toContain('Dropout');
  const affines = buildMnistModel('mlp').layers.filter((l) => l.kind === 'Affine');
  expect(affines.map((l) => (l.config() as { units: number }).units)).toEqual([256, 128, 10]);
});

test.each(MNIST_MODEL_NAMES.map((n) => [n]))('%s: its recipe is valid (optimizer, schedule, sizes)', (name) => {
  const r = MNIST_MODELS[name].recipe;
  expect(() => createOptimizer(r.optimizer, { lr: r.lr, weightDecay: r.weightDecay })).not.toThrow();
  expect(() => scheduleFromSpec(r.schedule, r.lr, r.epochs, 100)).not.toThrow();
  expect(Number.isInteger(r.epochs) && r.epochs > 0).toBe(true);
  expect(Number.isInteger(r.batchSize) && r.batchSize > 0).toBe(true);
  expect(Number.isInteger(r.shift) && r.shift >= 0).toBe(true);
});

test('an unknown name lists the known ones', () => {
  expect(() => mnistModel('resnet')).toThrow(/unknown MNIST model "resnet" \(known: mlp, cnn, best\)/);
});
