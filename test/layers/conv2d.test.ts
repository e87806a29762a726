import fc from 'fast-check';
import { kernelBackend } from '../../src/kernels/backend';
import { windowGeometry } from '../../src/kernels/conv-geometry';
import { DisposedError } from '../../src/memory';
import { conv2dBackwardReference, conv2dReference } from '../../src/kernels/reference';
import { Conv2D } from '../../src/layers/conv2d';
import { Affine } from '../../src/layers/affine';
import { MaxPool } from '../../src/layers/maxpool';
import { ReLU } from '../../src/layers/relu';
import { SoftmaxCrossEntropy } from '../../src/losses/softmax-cross-entropy';
import { gradCheck } from '../../src/net/gradcheck';
import { Sequential } from '../../src/net/sequential';
import { sparseWeightGradientRuns } from '../../src/kernels/wasm/conv-weight-gradient-sparse';
import { Rng } from '../../src/random';
import { ShapeError, tensor } from '../../src/tensor';
import { maxMixedError, randomArray, windowCase, windowGeometryOf } from '../helpers/window-cases';

describe('Conv2D forward', () => {
  test('equals the direct-convolution reference on random shapes (strides, padding, same/valid, no bias)', () => {
    let worst = 0;
    fc.assert(
      fc.property(windowCase(), fc.integer({ min: 1, max: 4 }), fc.boolean(), (c, filters, useBias) => {
        const rng = new Rng(c.seed);
        const layer = new Conv2D({ filters, kernelSize: [c.kernelH, c.kernelW], stride: [c.strideH, c.strideW], padding: c.padding, useBias });
        const out = layer.build([c.channels, c.height, c.width], rng);
        const [w, b] = layer.params();
        w.value.set(randomArray(w.value.length, rng));
        if (useBias) b.value.set(randomArray(b.value.length, rng));
        const x = tensor([c.batch, c.channels, c.height, c.width], randomArray(c.batch * c.channels * c.height * c.width, rng));
        const y = layer.forward(x, true);
        const g = windowGeometry('test', [c.channels, c.height, c.width], [c.kernelH, c.kernelW], [c.strideH, c.strideW], c.padding);
        expect(out).toEqual([filters, g.outH, g.outW]);
        expect(y.shape).toEqual([c.batch, filters, g.outH, g.outW]);
        const expected = conv2dReference(x.data, w.value, useBias ? b.value : null, filters, windowGeometryOf(c));
        const error = maxMixedError(y.data, expected);
        worst = Math.max(worst, error);
        expect(error).toBeLessThan(1e-5);
      }),
      { numRuns: 150, seed: 331 },
    );
    console.log(`Conv2D forward vs direct reference: 150 runs, worst mixed error ${worst.toExponential(2)}`);
  });

  test('known values: the vertical-edge filter [[1,0,−1]]×3 on a 6×6 image with a bright left half', () => {
    const layer = new Conv2D({ filters: 1, kernelSize: 3, useBias: false });
    expect(layer.build([1, 6, 6], new Rng(1))).toEqual([1, 4, 4]);
    layer.params()[0].value.set([1, 0, -1, 1, 0, -1, 1, 0, -1]);
    const image = [];
    for (let r = 0; r < 6; r++) image.push(10, 10, 10, 0, 0, 0);
    const y = layer.forward(tensor([1, 1, 6, 6], image), false);
    expect(y.shape).toEqual([1, 1, 4, 4]);
    // The edge between columns 2 and 3 lights up the two middle output columns.
    expect(Array.from(y.data)).toEqual([
      0, 30, 30, 0,
      0, 30, 30, 0,
      0, 30, 30, 0,
      0, 30, 30, 0,
    ]);
  });

  test("'same' padding keeps ⌈n/s⌉ outputs, even kernels included", () => {
    expect(new Conv2D({ filters: 2, kernelSize: 5, padding: 'same' }).build([1, 28, 28], new Rng(1))).toEqual([2, 28, 28]);
    expect(new Conv2D({ filters: 2, kernelSize: 4, padding: 'same' }).build([1, 7, 6], new Rng(1))).toEqual([2, 7, 6]);
    expect(new Conv2D({ filters: 2, kernelSize: [3, 2], stride: 2, padding: 'same' }).build([3, 7, 9], new Rng(1))).toEqual([2, 4, 5]);
    expect(new Conv2D({ filters: 2, kernelSize: 3, padding: 'valid' }).build([3, 7, 9], new Rng(1))).toEqual([2, 5, 7]);
  });

  test('buffers are reused while the batch size stays the same, and results stay right when it changes', () => {
    const rng = new Rng(5);
    const layer = new Conv2D({ filters: 3, kernelSize: 3, padding: 1, stride: 2 });
    layer.build([2, 5, 7], rng);
    const x4 = tensor([4, 2, 5, 7], randomArray(4 * 70, rng));
    const y1 = layer.forward(x4, true);
    const first = Float32Array.from(y1.data);
    const d1 = layer.backward(tensor(y1.shape, randomArray(y1.data.length, rng)));
    // The layer's own scratch (what exists of it: the wasm kernels ask for none), and the output and dx it
    // keeps in its WindowState (shared with the pools).
    const internals = () => [
      ...['cols', 'product', 'sampleCols'].map((k) => (layer as any)[k]?.data as Float32Array | undefined),
      ...['output', 'dInput'].map((k) => (layer as any).window[k].data as Float32Array),
    ];
    const buffers1 = internals();
    const y2 = layer.forward(x4, true);
    expect(y2).toBe(y1); // same buffer object: no allocation on the second batch
    expect(layer.backward(tensor(y1.shape, randomArray(y1.data.length, rng)))).toBe(d1);
    internals().forEach((b, i) => expect(b).toBe(buffers1[i])); // the column matrix and every scratch buffer too
    const x1 = tensor([1, 2, 5, 7], x4.data.slice(0, 70));
    const y3 = layer.forward(x1, true);
    expect(Array.from(y3.data)).toEqual(Array.from(first.subarray(0, y3.data.length)));
  });
});

describe('Conv2D backward', () => {
  test('dW, db and dx equal the direct-definition gradients on random shapes (every coordinate)', () => {
    let worst = 0;
    fc.assert(
      fc.property(windowCase(), fc.integer({ min: 1, max: 3 }), (c, filters) => {
        const rng = new Rng(c.seed);
        const layer = new Conv2D({ filters, kernelSize: [c.kernelH, c.kernelW], stride: [c.strideH, c.strideW], padding: c.padding });
        layer.build([c.channels, c.height, c.width], rng);
        const [w, b] = layer.params();
        const x = tensor([c.batch, c.channels, c.height, c.width], randomArray(c.batch * c.channels * c.height * c.width, rng));
        const y = layer.forward(x, true);
        const dy = tensor(y.shape, randomArray(y.data.length, rng));
        const dx = layer.backward(dy);
        const expected = conv2dBackwardReference(x.data, w.value, dy.data, filters, windowGeometryOf(c));
        const error = Math.max(
          maxMixedError(w.grad, expected.dWeights), maxMixedError(b.grad, expected.dBias), maxMixedError(dx.data, expected.dInput),
        );
        worst = Math.max(worst, error);
        expect(error).toBeLessThan(1e-5);
      }),
      { numRuns: 150, seed: 332 },
    );
    console.log(`Conv2D backward vs direct reference: 150 runs, worst mixed error ${worst.toExponential(2)}`);
  });

  // ReLU and a 2×2 max-pool leave ≥ 75 % of the conv's dy exactly 0, and K = C·kh·kw ≥ 16 here: with the wasm
  // kernels dW takes the zero-skipping path (conv-weight-gradient-sparse.ts), checked by its run count.
  test('Conv2D → ReLU → MaxPool 2 → Affine passes gradCheck with a mostly-zero dy (the zero-skipping dW)', () => {
    const runsBefore = sparseWeightGradientRuns();
    let worst = 0, cases = 0;
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 3 }), channels: fc.integer({ min: 1, max: 3 }), size: fc.integer({ min: 8, max: 12 }),
          filters: fc.integer({ min: 1, max: 4 }), kernel: fc.integer({ min: 4, max: 5 }), stride: fc.integer({ min: 1, max: 2 }),
          padding: fc.integer({ min: 0, max: 2 }), seed: fc.integer({ min: 0, max: 0x7fffffff }),
        }),
        (c) => {
          const net = new Sequential(
            [
              new Conv2D({ filters: c.filters, kernelSize: c.kernel, stride: c.stride, padding: c.padding }),
              new ReLU(), new MaxPool({ size: 2 }), new Affine({ units: 3, init: 'xavier' }),
            ],
            { inputShape: [c.channels, c.size, c.size + 1], seed: c.seed },
          );
          const rng = new Rng(c.seed);
          net.params()[1].value.set(randomArray(c.filters, rng, -0.2, 0.2)); // conv bias off zero
          const x = tensor([c.batch, c.channels, c.size, c.size + 1], randomArray(c.batch * c.channels * c.size * (c.size + 1), rng));
          const labels = Int32Array.from({ length: c.batch }, () => rng.int(3));
          const result = gradCheck(net, x, { loss: new SoftmaxCrossEntropy(), labels, seed: c.seed, maxCoordinatesPerTensor: 8 });
          if (!result.passed) throw new Error(result.report);
          worst = Math.max(worst, result.maxError);
          cases++;
        },
      ),
      { numRuns: 40, seed: 1313 },
    );
    if (kernelBackend() === 'wasm') expect(sparseWeightGradientRuns() - runsBefore).toBeGreaterThanOrEqual(cases);
    console.log(`Conv2D-ReLU-MaxPool-Affine gradCheck, zero-skipping dW: ${cases} runs, worst relative error ${worst.toExponential(2)}`);
  });
});

describe('Conv2D scratch on demand', () => {
  const scratch = (layer: Conv2D) => ['cols', 'product', 'sampleCols'].filter((k) => (layer as any)[k] !== undefined);

  /** One training step and an inference forward, checked against the direct references; the scratch that exists then. */
  function trainAndCheck(channels: number, size: number, kernel: number, filters: number, batch: number) {
    const rng = new Rng(channels * 1000 + size);
    const layer = new Conv2D({ filters, kernelSize: kernel, padding: 'same' });
    layer.build([channels, size, size], rng);
    const [w, b] = layer.params();
    b.value.set(randomArray(filters, rng));
    const x = tensor([batch, channels, size, size], randomArray(batch * channels * size * size, rng));
    const g = windowGeometry('test', [channels, size, size], [kernel, kernel], [1, 1], 'same', batch);
    const y = layer.forward(x, true);
    expect(maxMixedError(y.data, conv2dReference(x.data, w.value, b.value, filters, g))).toBeLessThan(1e-5);
    const dy = tensor(y.shape, randomArray(y.data.length, rng));
    const dx = layer.backward(dy);
    const expected = conv2dBackwardReference(x.data, w.value, dy.data, filters, g);
    // dW and db sum N·P float32 terms (up to 45,000 here): rounding grows like √(N·P). A wrong or stale
    // buffer would be off by O(1).
    const sumBound = 2e-5 * Math.sqrt(Math.max(1, (batch * size * size) / 100));
    expect(maxMixedError(w.grad, expected.dWeights)).toBeLessThan(sumBound);
    expect(maxMixedError(b.grad, expected.dBias)).toBeLessThan(sumBound);
    expect(maxMixedError(dx.data, expected.dInput)).toBeLessThan(1e-5);
    const afterTraining = scratch(layer);
    expect(maxMixedError(layer.forward(x, false).data, conv2dReference(x.data, w.value, b.value, filters, g))).toBeLessThan(1e-5);
    return { layer, afterTraining, columnBytes: channels * kernel * kernel * batch * size * size * 4 };
  }

  test('with the wasm kernels an ordinary window (the default model\'s second conv) allocates no column matrix, [F × N·P] or sample scratch', () => {
    const { layer, afterTraining, columnBytes } = trainAndCheck(32, 14, 3, 64, 8);
    if (kernelBackend() === 'wasm') {
      expect(afterTraining).toEqual([]);
      expect(scratch(layer)).toEqual([]);
      // params, grads, the output and dx only: well below the one column matrix it used to hold.
      expect((layer as any).memory.bytes).toBeLessThan(columnBytes / 2);
    } else {
      expect(afterTraining).toEqual(['cols', 'product', 'sampleCols']); // the TypeScript kernels' batch-wide path
    }
    layer.dispose();
    expect((layer as any).memory.bytes).toBe(0);
    expect(() => layer.forward(tensor([1, 32, 14, 14], new Float32Array(32 * 196)), false)).toThrow(DisposedError);
  });

  test('a window too large for a thread\'s patch buffer (dW) takes the batch-wide path with its scratch, and gives the reference result', () => {
    // The padded sample (4·182·182 = 132,496 floats) and the patch rows (K·P, the same) both exceed the 131,072
    // of a patch buffer; one sample's dx still fits the workspace.
    const { layer, afterTraining } = trainAndCheck(4, 182, 1, 3, 2);
    expect(afterTraining).toEqual(kernelBackend() === 'wasm' ? ['cols', 'product'] : ['cols', 'product', 'sampleCols']);
    layer.dispose();
    expect((layer as any).memory.bytes).toBe(0);
  });

  test('a window too large for a thread\'s workspace (dW and dx) falls back for both, and gives the reference result', () => {
    // Two channels: the stride-1 scatter kernel declines half-empty 4-channel blocks, and the dcols kernel's
    // one sample needs K·P + F·P ≈ 1,300,000 floats > the 412,832 of a thread's GEMM workspace; dW's padded
    // sample (2·258·258 = 133,128 floats) and patch rows (K·P) exceed a patch buffer.
    const { layer, afterTraining } = trainAndCheck(2, 256, 3, 2, 2);
    expect(afterTraining).toEqual(['cols', 'product', 'sampleCols']);
    layer.dispose();
    expect((layer as any).memory.bytes).toBe(0);
  });
});

describe('Conv2D params and backward', () => {
  function setup(seed = 7) {
    const rng = new Rng(seed);
    const layer = new Conv2D({ filters: 4, kernelSize: [3, 2], stride: [1, 2], padding: [1, 0] });
    layer.build([3, 6, 5], rng);
    layer.params()[1].value.set(randomArray(4, rng));
    const x = tensor([2, 3, 6, 5], randomArray(2 * 90, rng));
    return { layer, rng, x };
  }

  test('weights [F, C, kh, kw] with decay, bias [F] without; He init with fanIn = C·kh·kw', () => {
    const layer = new Conv2D({ filters: 64, kernelSize: 3 });
    layer.build([3, 8, 8], new Rng(3));
    const [w, b] = layer.params();
    expect([w.name, w.shape, w.decay]).toEqual(['weights', [64, 3, 3, 3], true]);
    expect([b.name, b.shape, b.decay]).toEqual(['bias', [64], false]);
    expect(Array.from(b.value).every((v) => v === 0)).toBe(true);
    let sum = 0, squares = 0;
    for (const v of w.value) {
      sum += v;
      squares += v * v;
    }
    const n = w.value.length; // 1728
    const std = Math.sqrt(squares / n - (sum / n) ** 2);
    const expected = Math.sqrt(2 / 27);
    expect(Math.abs(std - expected)).toBeLessThan(0.1 * expected); // sampling error of the std ≈ 1.7%
    const xavier = new Conv2D({ filters: 64, kernelSize: 3, init: 'xavier', useBias: false });
    xavier.build([3, 8, 8], new Rng(3));
    const limit = Math.sqrt(6 / (27 + 64 * 9));
    expect(xavier.params().length).toBe(1);
    expect(Math.max(...xavier.params()[0].value.map(Math.abs))).toBeLessThanOrEqual(limit);
  });

  test('backward accumulates param grads, never changes params, and is repeatable', () => {
    const { layer, rng, x } = setup();
    const y = layer.forward(x, true);
    const dy = tensor(y.shape, randomArray(y.data.length, rng));
    const before = layer.params().map((p) => Float32Array.from(p.value));
    const dx1 = Float32Array.from(layer.backward(dy).data);
    const grads1 = layer.params().map((p) => Float32Array.from(p.grad));
    layer.params().forEach((p, i) => expect(Array.from(p.value)).toEqual(Array.from(before[i])));
    const dx2 = layer.backward(dy).data;
    expect(Array.from(dx2)).toEqual(Array.from(dx1));
    layer.params().forEach((p, i) => {
      const doubled = Array.from(grads1[i]).map((g) => g * 2);
      expect(maxMixedError(p.grad, doubled)).toBeLessThan(1e-6);
    });
    expect(grads1.every((g) => g.some((v) => v !== 0))).toBe(true);
  });

  test('a backward after an inference forward (which builds no column matrix) gives the training forward\'s gradients', () => {
    const { layer, rng, x } = setup();
    const other = tensor(x.shape, randomArray(x.data.length, rng));
    const yTrain = Float32Array.from(layer.forward(x, true).data);
    const dy = tensor(layer.forward(other, true).shape, randomArray(yTrain.length, rng)); // cols now hold `other`
    layer.params().forEach((p) => p.grad.fill(0));
    expect(Array.from(layer.forward(x, false).data)).toEqual(Array.from(yTrain));
    const dxInfer = Array.from(layer.backward(dy).data);
    const gradsInfer = layer.params().map((p) => Array.from(p.grad));
    layer.params().forEach((p) => p.grad.fill(0));
    layer.forward(x, true);
    expect(Array.from(layer.backward(dy).data)).toEqual(dxInfer);
    layer.params().forEach((p, i) => expect(Array.from(p.grad)).toEqual(gradsInfer[i]));
  });

  test('a zero upstream gradient gives zero gradients', () => {
    const { layer, x } = setup();
    const y = layer.forward(x, true);
    const dx = layer.backward(tensor(y.shape));
    expect(dx.shape).toEqual(x.shape);
    expect(dx.data.every((v) => v === 0)).toBe(true);
    expect(layer.params().every((p) => p.grad.every((v) => v === 0))).toBe(true);
  });

  test('config() returns the full options (defaults filled in) and rebuilds the same layer', () => {
    const layer = new Conv2D({ filters: 6, kernelSize: [3, 5] });
    expect(layer.config()).toEqual({ filters: 6, kernelSize: [3, 5], stride: 1, padding: 0, useBias: true, init: 'he' });
    const custom = new Conv2D({ filters: 2, kernelSize: 3, stride: [2, 1], padding: 'same', useBias: false, init: 'xavier' });
    const config = custom.config();
    expect(config).toEqual({ filters: 2, kernelSize: 3, stride: [2, 1], padding: 'same', useBias: false, init: 'xavier' });
    const rebuilt = new Conv2D(JSON.parse(JSON.stringify(config)));
    expect(rebuilt.build([1, 9, 8], new Rng(2))).toEqual(custom.build([1, 9, 8], new Rng(2)));
    expect(Array.from(rebuilt.params()[0].value)).toEqual(Array.from(custom.params()[0].value));
  });
});

describe('Conv2D bad input', () => {
  test('bad options name the layer, the option and the value', () => {
    expect(() => new Conv2D({ filters: 0, kernelSize: 3 })).toThrow(/Conv2D: option "filters" must be a positive integer, got 0/);
    expect(() => new Conv2D({ filters: 2.5, kernelSize: 3 })).toThrow(/filters" .* got 2.5/);
    expect(() => new Conv2D({ filters: 2 } as never)).toThrow(/Conv2D: option "kernelSize" is required/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 0 })).toThrow(/Conv2D: option "kernelSize" must be a positive integer .* got 0/);
    expect(() => new Conv2D({ filters: 2, kernelSize: [3, 1.5] })).toThrow(/kernelSize" .* got \[3,1.5\]/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, stride: 0 })).toThrow(/Conv2D: option "stride" must be a positive integer .* got 0/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, padding: -1 })).toThrow(/Conv2D: option "padding" must be a non-negative integer .* got -1/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, padding: [0, -2] })).toThrow(/padding" .* got \[0,-2\]/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, padding: 'full' as never })).toThrow(/Conv2D: option "padding" must be .*'same' or 'valid', got "full"/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, init: 'lecun' as never })).toThrow(/Conv2D: option "init" must be one of 'he', 'xavier', got "lecun"/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, useBias: 1 as never })).toThrow(/Conv2D: option "useBias" must be true or false, got 1/);
  });

  test('build: a kernel larger than the padded input, and a wrong rank, name the layer and the sizes', () => {
    expect(() => new Conv2D({ filters: 2, kernelSize: 5 }).build([1, 4, 9], new Rng(1))).toThrow(ShapeError);
    expect(() => new Conv2D({ filters: 2, kernelSize: 5 }).build([1, 4, 9], new Rng(1))).toThrow(
      /Conv2D: kernel 5×5 is larger than the padded input 4×9 \(input 4×9, padding 0\+0 × 0\+0\): the output would be empty/,
    );
    expect(new Conv2D({ filters: 2, kernelSize: 5, padding: 1 }).build([1, 3, 3], new Rng(1))).toEqual([2, 1, 1]); // just fits
    expect(() => new Conv2D({ filters: 2, kernelSize: 6, padding: 1 }).build([1, 3, 3], new Rng(1))).toThrow(/kernel 6×6 is larger than the padded input 5×5/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 3 }).build([28, 28], new Rng(1))).toThrow(/Conv2D needs a per-sample input \[channels, height, width\].*got \[28, 28\]/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 3 }).build([1, 2.5, 8], new Rng(1))).toThrow(/got \[1, 2.5, 8\]/);
  });

  test('forward: a channel or size mismatch names the built and the actual shape', () => {
    const layer = new Conv2D({ filters: 2, kernelSize: 3 });
    layer.build([3, 8, 8], new Rng(1));
    expect(() => layer.forward(tensor([2, 1, 8, 8]), true)).toThrow(/Conv2D was built for input \[N, 3, 8, 8\], got \[2, 1, 8, 8\]/);
    expect(() => layer.forward(tensor([2, 192]), true)).toThrow(ShapeError);
    expect(() => new Conv2D({ filters: 1, kernelSize: 1 }).forward(tensor([1, 1, 1, 1]), true)).toThrow(/Conv2D is not built: call build\(inputShape, rng\)/);
    const fresh = new Conv2D({ filters: 1, kernelSize: 1 });
    fresh.build([1, 2, 2], new Rng(1));
    expect(() => fresh.backward(tensor([1, 1, 2, 2]))).toThrow(/Conv2D.backward called before forward/);
    fresh.forward(tensor([1, 1, 2, 2]), true);
    expect(() => fresh.backward(tensor([1, 1, 3, 2]))).toThrow('Conv2D.backward: expected dy [1, 1, 2, 2], got [1, 1, 3, 2]');
  });
});
