/**
 * The layer contract (ARCHITECTURE §3) for the dense and local normalisation layers and for nets made of them, as properties
 * over random shapes and inputs:
 * - backward never changes a param value (bit-identical snapshot); an optimizer step afterwards does;
 * - backward twice after zeroGrad gives identical grads and dx; without zeroGrad grads add up;
 * - a zero upstream gradient gives zero param grads and a zero dx;
 * - forward is a function of its input (repeatable), returns [N, …outputShape], and reuses its buffers;
 * - config() rebuilds an equivalent layer.
 */
import fc from 'fast-check';
import { Affine } from '../../src/layers/affine';
import { Flatten } from '../../src/layers/flatten';
import type { Layer } from '../../src/layers/layer';
import { LocalContrastNorm } from '../../src/layers/local-contrast-norm';
import { LocalResponseNorm } from '../../src/layers/local-response-norm';
import { ReLU } from '../../src/layers/relu';
import { Sigmoid } from '../../src/layers/sigmoid';
import { Tanh } from '../../src/layers/tanh';
import { SoftmaxCrossEntropy } from '../../src/losses/softmax-cross-entropy';
import { Sequential } from '../../src/net/sequential';
import { SGD } from '../../src/optimizers/sgd';
import { Rng } from '../../src/random';
import { tensor, type Tensor } from '../../src/tensor';

const RUNS = 100;

type Factory = (config?: object) => Layer;
const factories: Record<string, Factory> = {
  Affine: (c) => new Affine((c as { units: number }) ?? { units: 5, init: 'xavier' }),
  AffineNoBias: (c) => new Affine((c as { units: number }) ?? { units: 3, useBias: false }),
  Sigmoid: () => new Sigmoid(),
  Tanh: () => new Tanh(),
  ReLU: () => new ReLU(),
  Flatten: () => new Flatten(),
  LocalResponseNorm: (c) => new LocalResponseNorm((c as { size: number }) ?? { size: 3, alpha: 0.5 }),
  LocalContrastNorm: (c) => new LocalContrastNorm(c ?? { size: 3 }),
};
/** Kinds that take [channels, height, width] samples only. */
const IMAGE_KINDS = new Set(['LocalResponseNorm', 'LocalContrastNorm']);

function randomTensor(shape: number[], rng: Rng): Tensor {
  return tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-2, 2)));
}

function bits(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

const arbitraryCase = fc.constantFrom(...Object.keys(factories)).chain((kind) => fc.record({
  kind: fc.constant(kind),
  n: fc.integer({ min: 1, max: 4 }),
  sampleShape: fc.array(fc.integer({ min: 1, max: 5 }), IMAGE_KINDS.has(kind) ? { minLength: 3, maxLength: 3 } : { minLength: 1, maxLength: 3 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
}));

describe('every dense and local normalisation layer keeps the contract', () => {
  test('backward never changes a param value, repeats exactly after zeroGrad, accumulates without it', () => {
    fc.assert(
      fc.property(arbitraryCase, ({ kind, n, sampleShape, seed }) => {
        const rng = new Rng(seed);
        const layer = factories[kind]();
        const outputShape = layer.build(sampleShape, rng);
        const x = randomTensor([n, ...sampleShape], rng);
        const y = layer.forward(x, true);
        expect(y.shape).toEqual([n, ...outputShape]);
        const dy = randomTensor([...y.shape], rng);
        const values = layer.params().map((p) => p.value.slice());

        const dx1 = layer.backward(dy).data.slice();
        const grads1 = layer.params().map((p) => p.grad.slice());
        layer.params().forEach((p, i) => expect(bits(p.value)).toEqual(bits(values[i])));

        layer.params().forEach((p) => p.grad.fill(0));
        const dx2 = layer.backward(dy).data.slice();
        expect(bits(dx2)).toEqual(bits(dx1));
        layer.params().forEach((p, i) => expect(bits(p.grad)).toEqual(bits(grads1[i])));

        layer.backward(dy); // no zeroGrad: grads add up to 2g (up to float32 rounding: GEMM accumulates term by term)
        layer.params().forEach((p, i) =>
          p.grad.forEach((v, j) => expect(Math.abs(v - 2 * grads1[i][j])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(2 * grads1[i][j])))),
        );
        layer.params().forEach((p, i) => expect(bits(p.value)).toEqual(bits(values[i])));
      }),
      { numRuns: RUNS, seed: 401 },
    );
  });

  test('a zero upstream gradient gives zero param grads and a zero dx', () => {
    fc.assert(
      fc.property(arbitraryCase, ({ kind, n, sampleShape, seed }) => {
        const rng = new Rng(seed);
        const layer = factories[kind]();
        layer.build(sampleShape, rng);
        const y = layer.forward(randomTensor([n, ...sampleShape], rng), true);
        const dx = layer.backward(tensor([...y.shape]));
        expect(dx.shape).toEqual([n, ...sampleShape]);
        expect(dx.data.every((v) => v === 0)).toBe(true);
        layer.params().forEach((p) => expect(p.grad.every((g) => g === 0)).toBe(true));
      }),
      { numRuns: RUNS, seed: 402 },
    );
  });

  test('forward is repeatable, reuses its output buffer per batch size, and config() rebuilds the same layer', () => {
    fc.assert(
      fc.property(arbitraryCase, ({ kind, n, sampleShape, seed }) => {
        const layer = factories[kind]();
        layer.build(sampleShape, new Rng(seed));
        const x = randomTensor([n, ...sampleShape], new Rng(seed + 1));
        const y1 = layer.forward(x, true);
        const first = y1.data.slice();
        layer.forward(randomTensor([n, ...sampleShape], new Rng(seed + 2)), false);
        const y3 = layer.forward(x, false);
        expect(bits(y3.data)).toEqual(bits(first));
        if (kind !== 'Flatten') expect(y3).toBe(y1); // Flatten returns a view of its input instead

        const twin = factories[kind](JSON.parse(JSON.stringify(layer.config())));
        twin.build(sampleShape, new Rng(seed));
        expect(twin.kind).toBe(layer.kind);
        expect(twin.config()).toEqual(layer.config());
        expect(bits(twin.forward(x, false).data)).toEqual(bits(first));
      }),
      { numRuns: RUNS, seed: 403 },
    );
  });
});

describe('layer separation in a whole net', () => {
  test('backward leaves every param bit-identical; only the optimizer step changes them; backward repeats exactly', () => {
    const activation = fc.constantFrom('ReLU', 'Sigmoid', 'Tanh');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 12 }), fc.array(fc.tuple(fc.integer({ min: 1, max: 12 }), activation), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 2, max: 6 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (n, inputWidth, hidden, classes, seed) => {
          const layers: Layer[] = [];
          for (const [units, act] of hidden) layers.push(new Affine({ units }), act === 'ReLU' ? new ReLU() : act === 'Sigmoid' ? new Sigmoid() : new Tanh());
          layers.push(new Affine({ units: classes }));
          const net = new Sequential(layers, { inputShape: [inputWidth], seed });
          const rng = new Rng(seed + 1);
          const x = randomTensor([n, inputWidth], rng);
          const labels = Int32Array.from({ length: n }, () => rng.int(classes));
          const loss = new SoftmaxCrossEntropy();
          const snapshot = net.params().map((p) => p.value.slice());

          net.zeroGrad();
          loss.forward(net.forward(x, true), labels);
          const dx1 = net.backward(loss.backward()).data.slice();
          net.params().forEach((p, i) => expect(bits(p.value)).toEqual(bits(snapshot[i])));
          const grads = net.params().map((p) => p.grad.slice());

          net.zeroGrad();
          loss.forward(net.forward(x, true), labels);
          expect(bits(net.backward(loss.backward()).data)).toEqual(bits(dx1));
          net.params().forEach((p, i) => expect(bits(p.grad)).toEqual(bits(grads[i])));

          new SGD({ lr: 0.1 }).step(net.params());
          const changed = net.params().some((p, i) => p.value.some((v, j) => v !== snapshot[i][j]));
          const anyGradient = grads.some((g) => g.some((v) => v !== 0));
          expect(changed).toBe(anyGradient);
        },
      ),
      { numRuns: RUNS, seed: 404 },
    );
  });
});
