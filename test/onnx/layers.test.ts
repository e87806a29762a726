/** @jest-environment ./test/helpers/ort-environment.js */
/**
 * Every built-in layer kind, on random shapes and params: toOnnx's graph run by onnxruntime-node agrees with
 * our forward within 1e-5·max(1, |a|, |b|), and fromOnnx(toOnnx(net)) gives bit-identical outputs and params.
 */
import fc from 'fast-check';
import {
  Affine, AvgPool, BatchNorm, Conv2D, Dropout, Flatten, LocalContrastNorm, LocalResponseNorm, MaxPool, ReLU, Rng, Sequential, Sigmoid, Tanh,
  cloneTensor, tensor, type Layer, type Shape,
} from '../../src/index';
import { checkNet, reportWorst, tryNet } from './check-net';

const RUNS = 25;
afterAll(reportWorst);

const image = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }));
const pairOf = (min: number, max: number) => fc.oneof(fc.integer({ min, max }), fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })));
const batch = fc.integer({ min: 1, max: 3 });
const seed = fc.integer({ min: 1, max: 1_000_000 });

async function property<T>(arb: fc.Arbitrary<T>, make: (v: T) => { net: Sequential | undefined; batch: number; seed: number; opset?: number }): Promise<void> {
  let checked = 0;
  await fc.assert(fc.asyncProperty(arb, async (v) => {
    const { net, batch: n, seed: s, opset } = make(v);
    if (!net) return;
    checked++;
    await checkNet(net, n, s, opset);
  }), { numRuns: RUNS, seed: 12 });
  expect(checked).toBeGreaterThan(RUNS / 3);
}

describe('each layer kind against onnxruntime and back', () => {
  test('Affine (dense and image inputs, with and without bias) → Gemm', async () => {
    const shape = fc.oneof(fc.tuple(fc.integer({ min: 1, max: 20 })).map((t) => [t[0]] as Shape), image.map((t) => [...t] as Shape));
    await property(fc.record({ shape, units: fc.integer({ min: 1, max: 9 }), useBias: fc.boolean(), batch, seed }),
      (v) => ({ net: tryNet([new Affine({ units: v.units, useBias: v.useBias })], v.shape), batch: v.batch, seed: v.seed }));
  });

  test('ReLU, Sigmoid, Tanh, Flatten', async () => {
    const kinds = [() => new ReLU(), () => new Sigmoid(), () => new Tanh(), () => new Flatten()];
    await property(fc.record({ shape: image, kind: fc.integer({ min: 0, max: 3 }), batch, seed }),
      (v) => ({ net: tryNet([kinds[v.kind]()], [...v.shape]), batch: v.batch, seed: v.seed }));
  });

  test("Conv2D: kernels, strides, symmetric padding, 'same' (asymmetric), 'valid', bias or not", async () => {
    const padding = fc.oneof(pairOf(0, 2), fc.constantFrom('same' as const, 'valid' as const));
    await property(fc.record({ shape: image, filters: fc.integer({ min: 1, max: 4 }), kernelSize: pairOf(1, 4), stride: pairOf(1, 3), padding, useBias: fc.boolean(), batch, seed }),
      (v) => ({ net: tryNet([new Conv2D({ filters: v.filters, kernelSize: v.kernelSize, stride: v.stride, padding: v.padding, useBias: v.useBias })], [...v.shape]), batch: v.batch, seed: v.seed }));
  });

  test("MaxPool and AvgPool: windows, strides, padding, 'same', countIncludePad", async () => {
    const padding = fc.oneof(pairOf(0, 1), fc.constantFrom('same' as const, 'valid' as const));
    await property(fc.record({ shape: image, max: fc.boolean(), size: pairOf(1, 3), stride: pairOf(1, 3), padding, countIncludePad: fc.boolean(), batch, seed }),
      (v) => {
        let layer: Layer | undefined;
        try {
          layer = v.max ? new MaxPool({ size: v.size, stride: v.stride, padding: v.padding })
            : new AvgPool({ size: v.size, stride: v.stride, padding: v.padding, countIncludePad: v.countIncludePad });
        } catch {
          layer = undefined; // padding not smaller than the window: refused by the layer itself
        }
        return { net: layer && tryNet([layer], [...v.shape]), batch: v.batch, seed: v.seed };
      });
  });

  test('BatchNorm at inference, dense and spatial', async () => {
    const shape = fc.oneof(fc.tuple(fc.integer({ min: 1, max: 12 })).map((t) => [t[0]] as Shape), image.map((t) => [...t] as Shape));
    await property(fc.record({ shape, eps: fc.constantFrom(1e-5, 1e-3, 0.1), momentum: fc.constantFrom(0.9, 0.99), batch, seed }),
      (v) => ({ net: tryNet([new BatchNorm({ eps: v.eps, momentum: v.momentum })], v.shape), batch: v.batch, seed: v.seed }));
  });

  test('LocalResponseNorm with an odd window → LRN', async () => {
    const channels = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }));
    await property(fc.record({ shape: channels, size: fc.constantFrom(1, 3, 5, 7, 9), alpha: fc.constantFrom(1e-4, 0.01, 0.5), beta: fc.constantFrom(0.5, 0.75, 1.3), k: fc.constantFrom(1, 2, 0.5), batch, seed }),
      (v) => ({ net: tryNet([new LocalResponseNorm({ size: v.size, alpha: v.alpha, beta: v.beta, k: v.k })], [...v.shape]), batch: v.batch, seed: v.seed }));
  });

  test('LocalResponseNorm with an even window → a function: the window sum as a 3-D convolution', async () => {
    const channels = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }));
    await property(fc.record({ shape: channels, size: fc.constantFrom(2, 4, 6, 10), alpha: fc.constantFrom(1e-4, 0.01, 0.5), beta: fc.constantFrom(0.5, 0.75, 1.3), k: fc.constantFrom(1, 2, 0.5), batch, seed }),
      (v) => ({ net: tryNet([new LocalResponseNorm({ size: v.size, alpha: v.alpha, beta: v.beta, k: v.k })], [...v.shape]), batch: v.batch, seed: v.seed }));
  });

  test('LocalContrastNorm → a function of Conv, ReduceMean and elementwise ops (opsets 13 and 18)', async () => {
    const shape = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }));
    await property(fc.record({ shape, size: fc.integer({ min: 1, max: 9 }), sigma: fc.constantFrom(undefined, 0.7, 2), eps: fc.constantFrom(1e-4, 0.1), opset: fc.constantFrom(13, 18), batch, seed }),
      (v) => ({ net: tryNet([new LocalContrastNorm({ size: v.size, sigma: v.sigma, eps: v.eps })], [...v.shape]), batch: v.batch, seed: v.seed, opset: v.opset }));
  });

  test('Dropout is left out of the graph (the identity at inference) and the net around it still matches', async () => {
    const net = new Sequential([new Affine({ units: 6 }), new Dropout({ rate: 0.5 }), new ReLU(), new Affine({ units: 3 })], { inputShape: [5], seed: 1 });
    await checkNet(net, 4, 7);
  });
});
