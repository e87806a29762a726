import { BatchNorm } from '../../src/layers/batchnorm';
import { Rng } from '../../src/random';
import { ShapeError, tensor } from '../../src/tensor';
import { maxMixedError, randomArray } from '../helpers/window-cases';

/** Per-channel mean and biased variance of NCHW (spatial = H·W) or [N, D] (spatial = 1) data, in float64. */
function channelStats(data: Float32Array, batch: number, channels: number, spatial: number) {
  const mean = new Float64Array(channels), variance = new Float64Array(channels);
  const m = batch * spatial;
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let n = 0; n < batch; n++) for (let k = 0; k < spatial; k++) s += data[(n * channels + c) * spatial + k];
    mean[c] = s / m;
    let q = 0;
    for (let n = 0; n < batch; n++) for (let k = 0; k < spatial; k++) q += (data[(n * channels + c) * spatial + k] - mean[c]) ** 2;
    variance[c] = q / m;
  }
  return { mean, variance };
}

describe('BatchNorm', () => {
  test('training on [N, D] normalises each feature to mean 0, variance 1 (γ = 1, β = 0), then scales and shifts', () => {
    const rng = new Rng(1);
    const layer = new BatchNorm();
    expect(layer.build([5], rng)).toEqual([5]);
    const x = tensor([8, 5], randomArray(40, rng, -3, 7));
    const stats = channelStats(layer.forward(x, true).data, 8, 5, 1);
    for (let c = 0; c < 5; c++) {
      expect(Math.abs(stats.mean[c])).toBeLessThan(1e-6);
      expect(Math.abs(stats.variance[c] - 1)).toBeLessThan(1e-3); // ε = 1e-5 shrinks it a little
    }
    const [gamma, beta] = layer.params();
    gamma.value.set([1, 2, 3, 4, 5]);
    beta.value.set([-1, 0, 1, 2, 3]);
    const scaled = channelStats(layer.forward(x, true).data, 8, 5, 1);
    for (let c = 0; c < 5; c++) {
      expect(scaled.mean[c]).toBeCloseTo(beta.value[c], 5);
      expect(Math.sqrt(scaled.variance[c])).toBeCloseTo(gamma.value[c], 3);
    }
  });

  test('training on NCHW normalises each channel over N·H·W', () => {
    const rng = new Rng(2);
    const layer = new BatchNorm();
    expect(layer.build([3, 2, 5], rng)).toEqual([3, 2, 5]);
    const x = tensor([2, 3, 2, 5], randomArray(60, rng, 0, 10));
    const stats = channelStats(layer.forward(x, true).data, 2, 3, 10);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(stats.mean[c])).toBeLessThan(1e-5);
      expect(Math.abs(stats.variance[c] - 1)).toBeLessThan(1e-3);
    }
  });

  test('running stats: momentum·old + (1 − momentum)·batch, the variance unbiased (m/(m − 1))', () => {
    const layer = new BatchNorm({ momentum: 0.8 });
    layer.build([1, 1, 2], new Rng(0));
    const [runningMean, runningVar] = layer.buffers();
    expect([runningMean.name, runningVar.name]).toEqual(['runningMean', 'runningVar']);
    expect([runningMean.value[0], runningVar.value[0]]).toEqual([0, 1]);
    // One channel, m = 4 values 1, 2, 3, 6: mean 3, biased variance 3.5, unbiased 14/3.
    layer.forward(tensor([2, 1, 1, 2], [1, 2, 3, 6]), true);
    expect(runningMean.value[0]).toBeCloseTo(0.8 * 0 + 0.2 * 3, 6);
    expect(runningVar.value[0]).toBeCloseTo(0.8 * 1 + 0.2 * (14 / 3), 6);
    layer.forward(tensor([2, 1, 1, 2], [1, 2, 3, 6]), true);
    expect(runningMean.value[0]).toBeCloseTo(0.8 * 0.6 + 0.2 * 3, 6);
    // Inference neither uses nor changes the batch statistics.
    const before = [runningMean.value[0], runningVar.value[0]];
    layer.forward(tensor([2, 1, 1, 2], [100, 200, 300, 600]), false);
    expect([runningMean.value[0], runningVar.value[0]]).toEqual(before);
  });

  test('inference equals γ·(x − running mean)/√(running var + ε) + β', () => {
    const rng = new Rng(3);
    const eps = 1e-3;
    const layer = new BatchNorm({ eps });
    layer.build([4, 3, 3], rng);
    const [gamma, beta] = layer.params();
    const [runningMean, runningVar] = layer.buffers();
    gamma.value.set(randomArray(4, rng, 0.5, 2));
    beta.value.set(randomArray(4, rng));
    runningMean.value.set(randomArray(4, rng, -2, 2));
    runningVar.value.set(randomArray(4, rng, 0.1, 3));
    const x = tensor([3, 4, 3, 3], randomArray(108, rng, -3, 3));
    const y = layer.forward(x, false);
    const expected = new Float64Array(108);
    for (let n = 0; n < 3; n++) for (let c = 0; c < 4; c++) for (let k = 0; k < 9; k++) {
      const i = (n * 4 + c) * 9 + k;
      expected[i] = (gamma.value[c] * (x.data[i] - runningMean.value[c])) / Math.sqrt(runningVar.value[c] + eps) + beta.value[c];
    }
    expect(maxMixedError(y.data, expected)).toBeLessThan(1e-6);
    // Inference works for a batch of one, and its backward is γ·dy/√(var + ε).
    const one = layer.forward(tensor([1, 4, 3, 3], x.data.slice(0, 36)), false);
    expect(maxMixedError(one.data, expected.subarray(0, 36))).toBeLessThan(1e-6);
    const dx = layer.backward(tensor([1, 4, 3, 3], new Float32Array(36).fill(1)));
    for (let c = 0; c < 4; c++) expect(dx.data[c * 9]).toBeCloseTo(gamma.value[c] / Math.sqrt(runningVar.value[c] + eps), 5);
  });

  test('setFrozen(true) keeps batch-statistics training but leaves the running stats alone', () => {
    const layer = new BatchNorm();
    layer.build([2], new Rng(0));
    layer.setFrozen(true);
    const y = layer.forward(tensor([2, 2], [1, 5, 3, 9]), true);
    expect(Array.from(y.data).map((v) => Math.round(v * 1000) / 1000)).toEqual([-1, -1, 1, 1]);
    expect(Array.from(layer.buffers()[0].value)).toEqual([0, 0]);
    expect(Array.from(layer.buffers()[1].value)).toEqual([1, 1]);
    layer.setFrozen(false);
    layer.forward(tensor([2, 2], [1, 5, 3, 9]), true);
    expect(Array.from(layer.buffers()[0].value)).toEqual([Math.fround(0.1 * 2), Math.fround(0.1 * 7)]);
  });

  test('γ and β: init 1 and 0, no weight decay; backward accumulates and never changes them', () => {
    const rng = new Rng(4);
    const layer = new BatchNorm();
    layer.build([3], rng);
    const [gamma, beta] = layer.params();
    expect([gamma.name, gamma.shape, gamma.decay, Array.from(gamma.value)]).toEqual(['gamma', [3], false, [1, 1, 1]]);
    expect([beta.name, beta.shape, beta.decay, Array.from(beta.value)]).toEqual(['beta', [3], false, [0, 0, 0]]);
    const x = tensor([4, 3], randomArray(12, rng));
    const dy = tensor([4, 3], randomArray(12, rng));
    layer.forward(x, true);
    const dx1 = Float32Array.from(layer.backward(dy).data);
    const g1 = Float32Array.from(gamma.grad);
    const dx2 = layer.backward(dy).data;
    expect(Array.from(dx2)).toEqual(Array.from(dx1));
    expect(maxMixedError(gamma.grad, Array.from(g1).map((v) => 2 * v))).toBeLessThan(1e-6);
    expect(Array.from(gamma.value)).toEqual([1, 1, 1]);
    // The training-mode dx sums to zero per feature (the mean is subtracted).
    for (let c = 0; c < 3; c++) expect(Math.abs(dx1[c] + dx1[3 + c] + dx1[6 + c] + dx1[9 + c])).toBeLessThan(1e-5);
    // A zero upstream gradient gives zero gradients.
    gamma.grad.fill(0);
    beta.grad.fill(0);
    expect(layer.backward(tensor([4, 3])).data.every((v) => v === 0)).toBe(true);
    expect([...gamma.grad, ...beta.grad].every((v) => v === 0)).toBe(true);
  });

  test('config() returns momentum and eps (defaults filled in)', () => {
    expect(new BatchNorm().config()).toEqual({ momentum: 0.9, eps: 1e-5 });
    expect(new BatchNorm({ momentum: 0.99 }).config()).toEqual({ momentum: 0.99, eps: 1e-5 });
  });

  test('bad input names the layer and the numbers', () => {
    expect(() => new BatchNorm({ momentum: 1.5 })).toThrow(/BatchNorm: option "momentum" must be a number in \[0, 1\].*got 1.5/);
    expect(() => new BatchNorm({ momentum: Number.NaN })).toThrow(/momentum" .* got NaN/);
    expect(() => new BatchNorm({ eps: 0 })).toThrow(/BatchNorm: option "eps" must be a finite number > 0, got 0/);
    expect(() => new BatchNorm({ eps: -1e-5 })).toThrow(/eps" .* got -0.00001/);
    expect(() => new BatchNorm().build([2, 3], new Rng(0))).toThrow(ShapeError);
    expect(() => new BatchNorm().build([2, 3], new Rng(0))).toThrow(/BatchNorm needs a per-sample input \[features\] or \[channels, height, width\].*got \[2, 3\]/);
    const dense = new BatchNorm();
    dense.build([4], new Rng(0));
    expect(() => dense.forward(tensor([1, 4]), true)).toThrow(
      /BatchNorm: training needs at least 2 values per feature to estimate a variance, got a batch of N = 1 /,
    );
    expect(() => dense.forward(tensor([3, 5]), true)).toThrow(/BatchNorm was built for input \[N, 4\], got \[3, 5\]/);
    expect(() => dense.forward({ shape: [2, 4], data: new Float32Array(7) }, false)).toThrow(
      'BatchNorm was built for input [N, 4], got [2, 4] holding 7 values instead of 8',
    );
    const image = new BatchNorm();
    image.build([2, 1, 1], new Rng(0));
    expect(() => image.forward(tensor([1, 2, 1, 1]), true)).toThrow(
      /BatchNorm: training needs at least 2 values per channel to estimate a variance, got N·H·W = 1·1 = 1 /,
    );
    const wide = new BatchNorm();
    wide.build([2, 2, 1], new Rng(0));
    expect(() => wide.forward(tensor([1, 2, 2, 1], [1, 2, 3, 4]), true)).not.toThrow(); // N·H·W = 2 values per channel
  });
});
