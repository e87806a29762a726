// The one PRNG: same seed ⇒ same stream (the basis of bit-identical training), sound distributions,
// and a state that can be saved and restored mid-stream.
import fc from 'fast-check';
import { Rng } from '../src/random';

describe('Rng', () => {
  test('the same seed gives the same stream; nearby seeds give unrelated ones', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        const a = new Rng(seed), b = new Rng(seed), c = new Rng(seed + 1);
        let sameAsNeighbour = 0;
        for (let i = 0; i < 32; i++) {
          const x = a.nextUint32();
          expect(b.nextUint32()).toBe(x);
          if (c.nextUint32() === x) sameAsNeighbour++;
        }
        expect(sameAsNeighbour).toBeLessThan(2);
      }),
      { numRuns: 100, seed: 11 },
    );
  });

  test('the stream is pinned: seed 42 starts with these values on every platform', () => {
    // Only 32-bit integer arithmetic is used, so these exact numbers hold everywhere; a change to the
    // generator or its seeding (which would change every trained model) fails here.
    const rng = new Rng(42);
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([2837322924, 544945897, 479756282]);
  });

  test('next() is in [0, 1) with mean ≈ 1/2; int(n) covers [0, n) evenly', () => {
    const rng = new Rng(3);
    const n = 200_000;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    // σ of the mean of n uniforms is √(1/12n) ≈ 6.5e-4; allow 5σ.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / (12 * n)));
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[rng.int(7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(5 * Math.sqrt(10_000 * (6 / 7)));
  });

  test('gaussian() has the asked mean and standard deviation', () => {
    const rng = new Rng(5);
    const n = 100_000;
    let sum = 0, sumSq = 0;
    for (let i = 0; i < n; i++) {
      const g = rng.gaussian(2, 3);
      sum += g;
      sumSq += g * g;
    }
    const mean = sum / n, std = Math.sqrt(sumSq / n - mean * mean);
    expect(Math.abs(mean - 2)).toBeLessThan(5 * 3 / Math.sqrt(n));
    expect(Math.abs(std - 3)).toBeLessThan(0.05);
  });

  test('shuffle is a permutation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 50 }), (seed, length) => {
        const values = Int32Array.from({ length }, (_, i) => i);
        new Rng(seed).shuffle(values);
        expect(Array.from(values).sort((a, b) => a - b)).toEqual(Array.from({ length }, (_, i) => i));
      }),
      { numRuns: 100, seed: 12 },
    );
  });

  test('state() / setState() resume the exact sequence, including a pending gaussian', () => {
    const rng = new Rng(9);
    rng.gaussian();
    const saved = JSON.parse(JSON.stringify(rng.state()));
    const expected = [rng.gaussian(), rng.next(), rng.int(10), rng.gaussian()];
    const resumed = new Rng(0);
    resumed.setState(saved);
    expect([resumed.gaussian(), resumed.next(), resumed.int(10), resumed.gaussian()]).toEqual(expected);
  });

  test('fillMask makes the same draws as a next() per value, and leaves the same state', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 << 30 }), fc.integer({ min: 0, max: 300 }),
        fc.constantFrom(0, 0.3, 0.5, 0.999), (seed, n, rate) => {
          const a = new Rng(seed), b = new Rng(seed);
          const mask = new Float32Array(n);
          a.fillMask(mask, n, rate, 2.5);
          const expected = Float32Array.from({ length: n }, () => (b.next() >= rate ? 2.5 : 0));
          expect(Buffer.from(mask.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
          expect(a.state()).toEqual(b.state());
          expect(a.nextUint32()).toBe(b.nextUint32());
        }),
      { numRuns: 100, seed: 13 },
    );
  });

  test('state() gives the words as unsigned 32-bit integers', () => {
    const s = new Rng(5).state().s;
    expect(s.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)).toBe(true);
  });

  test('bad arguments are named', () => {
    expect(() => new Rng(NaN)).toThrow(/seed must be a finite number, got NaN/);
    expect(() => new Rng(1).int(0)).toThrow(/positive integer bound, got 0/);
    expect(() => new Rng(1).setState({ s: [1, 2], spareGaussian: null })).toThrow(/Rng.setState/);
  });
});
