import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kernelBackend, setKernelBackend, wasmStatus } from '../../src/kernels/backend';
import { matmul, matmulTransA, matmulTransB } from '../../src/kernels/gemm';
import { reluBackward, reluForward } from '../../src/kernels/activation';
import { windowGeometry } from '../../src/kernels/conv-geometry';
import { col2im, im2col } from '../../src/kernels/im2col';
import { batchToFilterRows, filterRowsToBatch } from '../../src/kernels/layout';
import { adamUpdate } from '../../src/kernels/optimizer';
import { maxPoolBackward, maxPoolForward } from '../../src/kernels/pooling';
import { getThreads, parallelBatchCount, setThreads, workerPartCount } from '../../src/kernels/wasm/threads';
import { Rng } from '../../src/random';
import { col2imReference, im2colReference, maxPoolReference } from '../../src/kernels/reference';
import { maxMixedError } from '../helpers/window-cases';
import { Affine } from '../../src/layers/affine';
import { Conv2D } from '../../src/layers/conv2d';
import { Flatten } from '../../src/layers/flatten';
import { MaxPool } from '../../src/layers/maxpool';
import { ReLU } from '../../src/layers/relu';
import { SoftmaxCrossEntropy } from '../../src/losses/softmax-cross-entropy';
import { Sequential } from '../../src/net/sequential';
import { Adam } from '../../src/optimizers/adam';
import { tensor } from '../../src/tensor';

describe('the WebAssembly kernels are the ones in use after a build', () => {
  test('kernels.wasm was built, inlined and loaded (run `npm run build` if this fails)', () => {
    const status = wasmStatus();
    // No silent fallback: a missing or broken module fails here, with the loader's reason.
    expect(status.reason).toBeNull();
    expect(status.available).toBe(true);
    // The inlined bytes are the module the build compiled (dist/ keeps the raw file too).
    const generated = fs.readFileSync(path.join(__dirname, '../../src/kernels/wasm/wasm-bytes.generated.ts'), 'utf8');
    const built = path.join(__dirname, '../../dist/src/kernels/wasm', status.file!);
    if (fs.existsSync(built)) expect(generated).toContain(fs.readFileSync(built).toString('base64'));
  });

  test('the fused multiply-add build is loaded where the engine has relaxed SIMD, unless NN_WASM_FMA=0 pins the plain one', () => {
    // The smallest relaxed-SIMD module (f32x4.relaxed_madd of three zero vectors). On Node 20 the loader
    // has enabled relaxed SIMD in V8 by now (see loader.ts), so this validates there too.
    const relaxedProbe = new Uint8Array([
      0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
      253, 12, ...new Array(16).fill(0), 253, 12, ...new Array(16).fill(0), 253, 12, ...new Array(16).fill(0), 253, 133, 2, 11,
    ]);
    const fma = process.env.NN_WASM_FMA !== '0' && WebAssembly.validate(relaxedProbe);
    expect(wasmStatus().file).toBe(fma ? 'kernels-fma.wasm' : 'kernels.wasm');
    expect(wasmStatus().fma!.used).toBe(fma);
  });

  test('the default backend is wasm unless NN_KERNELS asks for another', () => {
    const requested = process.env.NN_KERNELS;
    expect(kernelBackend()).toBe(requested === undefined || requested === '' ? 'wasm' : requested);
  });

  test('an unknown backend is refused with the allowed names', () => {
    expect(() => setKernelBackend('gpu' as never)).toThrow(/setKernelBackend must be one of reference, ts, wasm, got "gpu"/);
  });
});

describe('threads', () => {
  const previous = kernelBackend();
  beforeAll(() => setKernelBackend('wasm'));
  afterAll(() => {
    setThreads(1);
    setKernelBackend(previous);
  });

  test('setThreads validates its argument', () => {
    expect(() => setThreads(0)).toThrow(/setThreads: threads must be an integer from 1 to 64, got 0/);
    expect(() => setThreads(2.5)).toThrow(/got 2.5/);
  });

  const forms = [matmul, matmulTransA, matmulTransB];

  function product(form: number, m: number, k: number, n: number, accumulate: boolean, seed: number): Float32Array {
    const rng = new Rng(seed);
    const a = Float32Array.from({ length: m * k }, () => rng.uniform(-1, 1));
    const b = Float32Array.from({ length: k * n }, () => rng.uniform(-1, 1));
    const c = Float32Array.from({ length: m * n }, () => rng.uniform(-1, 1));
    forms[form](a, b, c, m, k, n, accumulate);
    return c;
  }

  test('2 and 3 threads give bit-identical products to 1 thread (random shapes large enough to split)', () => {
    // The same fast-check seed draws the same cases in each pass: pass 1 records the one-thread
    // products, the passes with 2 and 3 threads compare (starting workers once per pass, not per case).
    const property = (check: (key: string, c: Float32Array) => void) =>
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        // Tall, wide and square C: row and column splits both happen.
        fc.integer({ min: 1, max: 160 }), fc.integer({ min: 64, max: 256 }), fc.integer({ min: 1, max: 160 }),
        fc.boolean(), fc.integer({ min: 0, max: 2 ** 30 }),
        (form, m, k, n, accumulate, seed) => {
          check(`${form} ${m} ${k} ${n} ${accumulate} ${seed}`, product(form, m, k, n, accumulate, seed));
        },
      );
    const options = { numRuns: 100, seed: 66 };
    const workerParts = workerPartCount();
    const oneThread = new Map<string, Float32Array>();
    setThreads(1);
    fc.assert(property((key, c) => oneThread.set(key, c)), options);
    for (const threads of [2, 3]) {
      setThreads(threads);
      expect(getThreads()).toBe(threads);
      const before = parallelBatchCount();
      let compared = 0;
      fc.assert(
        property((key, c) => {
          const one = oneThread.get(key)!;
          compared++;
          expect(Buffer.from(c.buffer).equals(Buffer.from(one.buffer))).toBe(true);
        }),
        options,
      );
      expect(compared).toBe(oneThread.size);
      // The split path really ran (most drawn shapes are above the one-thread threshold).
      expect(parallelBatchCount() - before).toBeGreaterThan(40);
    }
    // Workers really computed parts (the caller takes back only parts no worker has claimed yet).
    expect(workerPartCount()).toBeGreaterThan(workerParts);
  });

  test('conv-shaped products (long C rows; long sums into a small C) split and still match bit for bit', () => {
    setThreads(1);
    const one = product(0, 30, 25, 5000, false, 1);
    const oneT = product(2, 30, 5000, 25, true, 2); // the tiled A·Bᵀ kernel (Conv2D's dW)
    const oneOdd = product(2, 7, 6001, 9, false, 3); // rows and columns past the last whole tile, a k mod 4 tail
    const oneSplitCols = product(2, 4, 20001, 26, false, 4); // fewer 3-row tiles than threads: split by columns
    setThreads(2);
    expect(Buffer.from(product(0, 30, 25, 5000, false, 1).buffer).equals(Buffer.from(one.buffer))).toBe(true);
    expect(Buffer.from(product(2, 30, 5000, 25, true, 2).buffer).equals(Buffer.from(oneT.buffer))).toBe(true);
    expect(Buffer.from(product(2, 7, 6001, 9, false, 3).buffer).equals(Buffer.from(oneOdd.buffer))).toBe(true);
    expect(Buffer.from(product(2, 4, 20001, 26, false, 4).buffer).equals(Buffer.from(oneSplitCols.buffer))).toBe(true);
  });

  test('the memory-bound kernels split over threads give bit-identical results (SimpleConvNet sizes)', () => {
    const rng = new Rng(9);
    const [batch, filters, side, k] = [40, 30, 24, 5];
    const input = Float32Array.from({ length: batch * 28 * 28 }, () => rng.uniform(-1, 1));
    const plane = side * side;
    const rows = Float32Array.from({ length: filters * batch * plane }, () => rng.uniform(-1, 1));
    const bias = Float32Array.from({ length: filters }, () => rng.uniform(-1, 1));
    const grad = Float32Array.from({ length: rows.length }, () => rng.uniform(-1, 1));
    const convWindow = windowGeometry('test', [1, 28, 28], [k, k], [1, 1], 0, batch);
    const poolWindow = windowGeometry('test', [filters, side, side], [2, 2], [2, 2], 0, batch);
    const run = () => {
      const cols = new Float32Array(k * k * batch * plane);
      im2col(input, cols, convWindow);
      const back = new Float32Array(input.length);
      col2im(cols, back, convWindow);
      const nchw = new Float32Array(rows.length);
      filterRowsToBatch(rows, nchw, filters, batch, plane, bias);
      const filterRows = new Float32Array(rows.length);
      const biasGrad = new Float32Array(filters);
      batchToFilterRows(nchw, filterRows, filters, batch, plane, biasGrad);
      const relu = new Float32Array(rows.length);
      reluForward(nchw, relu, relu.length);
      const dRelu = new Float32Array(rows.length);
      reluBackward(nchw, grad, dRelu, dRelu.length);
      const pooled = new Float32Array(relu.length / 4), argmax = new Int32Array(pooled.length);
      maxPoolForward(relu, pooled, argmax, poolWindow);
      const dPool = new Float32Array(relu.length);
      maxPoolBackward(pooled, argmax, dPool, dPool.length, pooled.length, batch * filters);
      const w = rows.slice(), m = new Float32Array(rows.length), v = new Float32Array(rows.length);
      adamUpdate(w, grad, m, v, w.length, 1e-3, 0.9, 0.999, 1e-8, 3, 1, 1e-4);
      return [cols, back, nchw, filterRows, biasGrad, relu, dRelu, pooled, argmax, dPool, w, m, v];
    };
    setThreads(1);
    const one = run();
    setThreads(2);
    const before = parallelBatchCount();
    const two = run();
    // Every kernel above split (im2col, col2im, both layouts, both ReLUs, pooling both ways, Adam).
    expect(parallelBatchCount() - before).toBe(9);
    one.forEach((a, i) => expect([i, Buffer.from(two[i].buffer).equals(Buffer.from(a.buffer))]).toEqual([i, true]));
  });

  test("the default model's window kernels ('same' 5×5 stride 1, 2×2 pooling of 14×14): the reference's values, the same bits on 2 threads", () => {
    const rng = new Rng(13);
    const [batch, channels, side] = [43, 16, 14]; // enough that every kernel splits (pooling: ≥ 2 × 335 planes)
    const input = Float32Array.from({ length: batch * channels * side * side }, () => rng.uniform(-1, 1));
    const convWindow = windowGeometry('test', [channels, side, side], [5, 5], [1, 1], 'same', batch);
    const poolWindow = windowGeometry('test', [channels, side, side], [2, 2], [2, 2], 0, batch);
    const dCols = Float32Array.from({ length: 25 * channels * batch * side * side }, () => rng.uniform(-1, 1));
    const run = () => {
      const cols = new Float32Array(dCols.length).fill(Number.NaN);
      im2col(input, cols, convWindow);
      const back = new Float32Array(input.length).fill(Number.NaN);
      col2im(dCols, back, convWindow);
      const pooled = new Float32Array(input.length / 4), argmax = new Int32Array(pooled.length);
      maxPoolForward(input, pooled, argmax, poolWindow);
      return [cols, back, pooled, argmax];
    };
    setThreads(1);
    const one = run();
    expect(Buffer.from(one[0].buffer).equals(Buffer.from(im2colReference(input, convWindow).buffer))).toBe(true);
    expect(maxMixedError(one[1] as Float32Array, col2imReference(dCols, convWindow))).toBeLessThanOrEqual(1e-5);
    const pool = maxPoolReference(input, poolWindow);
    expect(Buffer.from(one[2].buffer).equals(Buffer.from(pool.y.buffer))).toBe(true);
    expect(Buffer.from(one[3].buffer).equals(Buffer.from(pool.argmax.buffer))).toBe(true);
    setThreads(2);
    const before = parallelBatchCount();
    const two = run();
    expect(parallelBatchCount() - before).toBe(3);
    setThreads(1);
    one.forEach((a, i) => expect([i, Buffer.from(two[i].buffer).equals(Buffer.from(a.buffer))]).toEqual([i, true]));
  });

  test('training a small SimpleConvNet for a few steps: 2 threads give the same weights, bit for bit', () => {
    const train = () => {
      const net = new Sequential([
        new Conv2D({ filters: 6, kernelSize: 5 }), new ReLU(), new MaxPool({ size: 2 }), new Flatten(),
        new Affine({ units: 20 }), new ReLU(), new Affine({ units: 10 }),
      ], { inputShape: [1, 28, 28], seed: 7 });
      const loss = new SoftmaxCrossEntropy();
      const optimizer = new Adam({ lr: 1e-2 });
      const rng = new Rng(8);
      const x = tensor([64, 1, 28, 28], Float32Array.from({ length: 64 * 784 }, () => rng.uniform(0, 1)));
      const y = Int32Array.from({ length: 64 }, () => rng.int(10));
      for (let step = 0; step < 4; step++) {
        net.zeroGrad();
        loss.forward(net.forward(x, true), y);
        net.backward(loss.backward());
        optimizer.step(net.params());
      }
      return net.params().map((p) => p.value.slice());
    };
    setThreads(1);
    const one = train();
    setThreads(2);
    const before = parallelBatchCount();
    const two = train();
    expect(parallelBatchCount()).toBeGreaterThan(before);
    one.forEach((w, i) => expect([i, Buffer.from(two[i].buffer).equals(Buffer.from(w.buffer))]).toEqual([i, true]));
  });
});
