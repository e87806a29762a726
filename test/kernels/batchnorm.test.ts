import fc from 'fast-check';
import { kernelBackend, setKernelBackend } from '../../src/kernels/backend';
import { batchNormBackward, batchNormBackwardPlain, batchNormForward, batchNormForwardPlain } from '../../src/kernels/batchnorm';
import { parallelBatchCount, setThreads } from '../../src/kernels/wasm/threads';
import { Rng } from '../../src/random';

interface Case { batch: number; channels: number; spatial: number; seed: number; training: boolean }

const caseArb = fc.record({
  batch: fc.integer({ min: 1, max: 9 }),
  channels: fc.integer({ min: 1, max: 13 }),
  // 1 ([N, D] data), odd sizes (the scalar tails) and conv planes.
  spatial: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 37 }), fc.constantFrom(64, 196)),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
  training: fc.boolean(),
}).filter((c) => !c.training || c.batch * c.spatial >= 2);

function fill(rng: Rng, n: number, offset: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = offset + scale * rng.gaussian(0, 1);
  return a;
}

/** Runs forward then backward with the given kernels; returns every output. */
function run(c: Case, forward: typeof batchNormForward, backward: typeof batchNormBackward) {
  const rng = new Rng(c.seed);
  const n = c.batch * c.channels * c.spatial;
  // A large offset relative to the spread: the case where a careless variance cancels.
  const x = fill(rng, n, 3, 0.5);
  const dy = fill(rng, n, 0, 1);
  const gamma = fill(rng, c.channels, 1, 0.3);
  const beta = fill(rng, c.channels, 0, 0.3);
  const mean = fill(rng, c.channels, 0, 1);
  const variance = new Float32Array(c.channels).map(() => 0.2 + rng.next());
  const invStd = new Float32Array(c.channels);
  const y = new Float32Array(n), dx = new Float32Array(n);
  const sumDy = new Float32Array(c.channels), sumDyXhat = new Float32Array(c.channels);
  forward(x, y, gamma, beta, mean, variance, invStd, c.batch, c.channels, c.spatial, 1e-5, c.training);
  // x̂ is not stored: the backward recomputes it from x and the forward's float32 mean and invStd.
  backward(dy, x, mean, dx, gamma, invStd, sumDy, sumDyXhat, c.batch, c.channels, c.spatial, c.training);
  const xhat = x.map((v, i) => (v - mean[Math.floor(i / c.spatial) % c.channels]) * invStd[Math.floor(i / c.spatial) % c.channels]);
  return { xhat, y, mean, variance, invStd, dx, sumDy, sumDyXhat, dy, gamma };
}

let worst = 0;
/** |actual − expected| relative to max(1, |expected|, scale). */
function expectClose(actual: Float32Array, expected: Float32Array, scale: number): void {
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]), scale);
    worst = Math.max(worst, err);
    if (!(err < 2e-5)) throw new Error(`element ${i}: ${actual[i]} vs ${expected[i]} (relative error ${err})`);
  }
}

describe('BatchNorm kernels', () => {
  const previous = kernelBackend();
  afterAll(() => {
    setKernelBackend(previous);
    setThreads(1);
    // eslint-disable-next-line no-console
    console.log(`BatchNorm kernels: worst relative error vs the plain loops ${worst.toExponential(2)}`);
  });

  test('the wasm kernels match the plain float64 loops (forward stats, y; backward sums, dx)', () => {
    setKernelBackend('wasm');
    fc.assert(fc.property(caseArb, (c) => {
      const fast = run(c, batchNormForward, batchNormBackward);
      const plain = run(c, batchNormForwardPlain, batchNormBackwardPlain);
      const m = c.batch * c.spatial;
      expectClose(fast.mean, plain.mean, 1);
      expectClose(fast.variance, plain.variance, 1);
      expectClose(fast.invStd, plain.invStd, 1);
      // Both centre x on the same float32 mean and scale by the same float32 invStd (the stored
      // statistics, which the backward reads back): y differs only by float32 arithmetic.
      const S = c.spatial, C = c.channels;
      expectClose(fast.y, plain.y, 1);
      // Sums of m terms of size ~1: compare relative to √m·max, their natural error scale.
      expectClose(fast.sumDy, plain.sumDy, Math.sqrt(m) * 4);
      expectClose(fast.sumDyXhat, plain.sumDyXhat, Math.sqrt(m) * 4);
      // dx = γ·invStd·(dy − Σdy/m − x̂·Σdy·x̂/m) is a difference of terms that may cancel (exactly, for
      // m = 2): its error scale is the size of those terms.
      for (let i = 0; i < plain.dx.length; i++) {
        const ch = Math.floor(i / S) % C;
        const terms = Math.abs(plain.gamma[ch] * plain.invStd[ch]) *
          (Math.abs(plain.dy[i]) + Math.abs(plain.sumDy[ch]) / m + Math.abs(plain.xhat[i] * plain.sumDyXhat[ch]) / m);
        const err = Math.abs(fast.dx[i] - plain.dx[i]) / Math.max(1, terms);
        worst = Math.max(worst, err);
        if (!(err < 2e-5)) throw new Error(`dx[${i}]: ${fast.dx[i]} vs ${plain.dx[i]} (relative error ${err})`);
      }
    }), { numRuns: 150, seed: 7 });
  });

  test.each([
    // Large enough that the channel split really happens (≥ 64K floats per part).
    { batch: 64, channels: 16, spatial: 28 * 28, seed: 3, training: true },
    // [N, D] data (the loops across features): 300 features split at 150, so features 148 and 149 are a
    // group of four on one thread and the scalar tail on two.
    { batch: 512, channels: 300, spatial: 1, seed: 4, training: true },
    { batch: 512, channels: 300, spatial: 1, seed: 5, training: false },
  ])('two threads give the same bits as one (channels split between threads): %o', (c: Case) => {
    setKernelBackend('wasm');
    setThreads(1);
    const one = run(c, batchNormForward, batchNormBackward);
    setThreads(2);
    const splits = parallelBatchCount();
    const two = run(c, batchNormForward, batchNormBackward);
    expect(parallelBatchCount()).toBe(splits + 2); // the forward and the backward were split
    setThreads(1);
    for (const key of Object.keys(one) as (keyof typeof one)[]) {
      expect(Buffer.from(two[key].buffer).equals(Buffer.from(one[key].buffer))).toBe(true);
    }
  });

  test('the ts backend runs the plain loops', () => {
    setKernelBackend('ts');
    const c: Case = { batch: 3, channels: 2, spatial: 5, seed: 1, training: true };
    const a = run(c, batchNormForward, batchNormBackward);
    const b = run(c, batchNormForwardPlain, batchNormBackwardPlain);
    expect(a).toEqual(b);
  });
});
