/**
 * The layer contract (ARCHITECTURE §3) for every registered layer kind, built from its registration's example
 * (test/helpers/every-kind.ts), and for nets, as properties over random shapes and inputs:
 * - backward never changes a param or buffer value (bit-identical snapshot); an optimizer step afterwards does;
 * - backward twice after zeroGrad gives identical grads and dx; without zeroGrad grads add up;
 * - a zero upstream gradient gives zero param grads and a zero dx;
 * - forward returns [N, …outputShape], is a function of its input (repeatable in inference), and reuses its
 *   output buffer per batch size;
 * - config() rebuilds an equivalent layer (through the registry, as a model file does).
 */
import fc from 'fast-check';
import { Affine } from '../../src/layers/affine';
import type { Layer } from '../../src/layers/layer';
import { layerFromConfig } from '../../src/layers/registry';
import { ReLU } from '../../src/layers/relu';
import { Sigmoid } from '../../src/layers/sigmoid';
import { Tanh } from '../../src/layers/tanh';
import { SoftmaxCrossEntropy } from '../../src/losses/softmax-cross-entropy';
import { Sequential } from '../../src/net/sequential';
import { SGD } from '../../src/optimizers/sgd';
import { Rng } from '../../src/random';
import { tensor, type Tensor } from '../../src/tensor';
import { arbitraryKindSeed, kindCase, kindsWithoutExample } from '../helpers/every-kind';

const RUNS = 100;

function randomTensor(shape: number[], rng: Rng): Tensor {
  return tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-2, 2)));
}

function bits(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** The layer of a random example, built, with its batch shape. */
function builtCase(kind: string, seed: number): { layer: Layer; input: number[]; outputShape: number[]; rng: Rng } {
  const rng = new Rng(seed);
  const { layer, input } = kindCase(kind, rng);
  const outputShape = layer.build(input.slice(1), rng);
  return { layer, input, outputShape: [...outputShape], rng };
}

/** Params and buffers (running statistics), whose values backward must leave alone. */
function state(layer: Layer): { value: Float32Array }[] {
  return [...layer.params(), ...(layer.buffers?.() ?? [])];
}

describe('every registered layer kind keeps the contract', () => {
  test('every kind has an example to build it from', () => {
    expect(kindsWithoutExample()).toEqual([]);
  });

  test('backward never changes a param or buffer, repeats exactly after zeroGrad, accumulates without it', () => {
    fc.assert(
      fc.property(arbitraryKindSeed(), ({ kind, seed }) => {
        const { layer, input, outputShape, rng } = builtCase(kind, seed);
        const x = randomTensor(input, rng);
        const y = layer.forward(x, true);
        expect(y.shape).toEqual([input[0], ...outputShape]);
        const dy = randomTensor([...y.shape], rng);
        const values = state(layer).map((p) => p.value.slice());
        const unchanged = () => state(layer).forEach((p, i) => expect(bits(p.value)).toEqual(bits(values[i])));

        const dx1 = layer.backward(dy).data.slice();
        const grads1 = layer.params().map((p) => p.grad.slice());
        unchanged();

        layer.params().forEach((p) => p.grad.fill(0));
        const dx2 = layer.backward(dy).data.slice();
        expect(bits(dx2)).toEqual(bits(dx1));
        layer.params().forEach((p, i) => expect(bits(p.grad)).toEqual(bits(grads1[i])));

        layer.backward(dy); // no zeroGrad: grads add up to 2g (up to float32 rounding: GEMM accumulates term by term)
        layer.params().forEach((p, i) =>
          p.grad.forEach((v, j) => expect(Math.abs(v - 2 * grads1[i][j])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(2 * grads1[i][j])))),
        );
        unchanged();
      }),
      { numRuns: RUNS, seed: 401 },
    );
  });

  test('a zero upstream gradient gives zero param grads and a zero dx', () => {
    fc.assert(
      fc.property(arbitraryKindSeed(), ({ kind, seed }) => {
        const { layer, input, rng } = builtCase(kind, seed);
        const y = layer.forward(randomTensor(input, rng), true);
        const dx = layer.backward(tensor([...y.shape]));
        expect(dx.shape).toEqual(input);
        expect(dx.data.every((v) => v === 0)).toBe(true);
        layer.params().forEach((p) => expect(p.grad.every((g) => g === 0)).toBe(true));
      }),
      { numRuns: RUNS, seed: 402 },
    );
  });

  test('forward is repeatable in inference, reuses its output buffer per batch size, and config() rebuilds the same layer', () => {
    fc.assert(
      fc.property(arbitraryKindSeed(), ({ kind, seed }) => {
        const { layer, input } = builtCase(kind, seed);
        const x = randomTensor(input, new Rng(seed + 1));
        const y1 = layer.forward(x, false);
        const first = y1.data.slice();
        layer.forward(randomTensor(input, new Rng(seed + 2)), false);
        const y3 = layer.forward(x, false);
        expect(bits(y3.data)).toEqual(bits(first));
        // The same buffer again (a layer that passes its input through, or views it, returns x's own buffer).
        expect(y3.data.buffer).toBe(y1.data.buffer);
        expect(y3.data.byteOffset).toBe(y1.data.byteOffset);

        // A model file stores { kind, config }; the registry makes the layer again. Same seed, same init.
        const twin = layerFromConfig(kind, JSON.parse(JSON.stringify(layer.config())));
        const rebuilt = new Rng(seed);
        kindCase(kind, rebuilt); // the draws the original made before build
        twin.build(input.slice(1), rebuilt);
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
