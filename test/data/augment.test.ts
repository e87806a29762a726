import fc from 'fast-check';
import { randomShift } from '../../src/data/augment';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';

/** The obvious per-pixel definition, with the same draws as the implementation (dy then dx per image). */
function referenceShift(src: Float32Array, shape: number[], rng: Rng, maxShift: number, fill: number): Float32Array {
  const [n, c, h, w] = shape;
  const out = new Float32Array(src.length);
  for (let i = 0; i < n; i++) {
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const sy = y - dy;
          const sx = x - dx;
          const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
          out[((i * c + ch) * h + y) * w + x] = inside ? src[((i * c + ch) * h + sy) * w + sx] : fill;
        }
      }
    }
  }
  return out;
}

test('randomShift equals the per-pixel definition on random shapes (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 0, max: 3 }), fc.double({ min: -2, max: 2, noNaN: true }), fc.integer({ min: 0, max: 1e6 }),
      (n, c, h, w, maxShift, fill, seed) => {
        const shape = [n, c, h, w];
        const x = tensor(shape, Float32Array.from({ length: n * c * h * w }, (_, i) => i + 1));
        const got = randomShift({ maxShift, fill })(x, new Rng(seed));
        const want = referenceShift(x.data, shape, new Rng(seed), maxShift, Math.fround(fill));
        expect(Array.from(got.data)).toEqual(Array.from(want));
        expect(got.shape).toEqual(shape);
      },
    ),
    { numRuns: 200, seed: 42 },
  );
});

test('randomShift inPlace shifts the batch itself to the same bits as the per-pixel definition (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 0, max: 8 }), fc.double({ min: -2, max: 2, noNaN: true }), fc.integer({ min: 0, max: 1e6 }),
      (n, c, h, w, maxShift, fill, seed) => {
        const shape = [n, c, h, w];
        const x = tensor(shape, Float32Array.from({ length: n * c * h * w }, (_, i) => i + 1));
        const want = referenceShift(x.data, shape, new Rng(seed), maxShift, Math.fround(fill));
        const rng = new Rng(seed);
        const got = randomShift({ maxShift, fill, inPlace: true })(x, rng);
        expect(got).toBe(x);
        expect(Array.from(x.data)).toEqual(Array.from(want));
        // The same draws as the copying shift: the Rng ends in the same state.
        const copying = new Rng(seed);
        randomShift({ maxShift, fill })(tensor(shape), copying);
        expect(rng.state()).toEqual(copying.state());
      },
    ),
    { numRuns: 300, seed: 43 },
  );
});

test('maxShift 0 is the identity; the input is never modified', () => {
  const x = tensor([2, 1, 5, 5], Float32Array.from({ length: 50 }, (_, i) => i));
  const before = x.data.slice();
  expect(Array.from(randomShift({ maxShift: 0 })(x, new Rng(1)).data)).toEqual(Array.from(before));
  randomShift({ maxShift: 2 })(x, new Rng(1));
  expect(x.data).toEqual(before);
});

test('every shift in [−2, 2]² occurs, and the same seed gives the same batch', () => {
  const x = tensor([400, 1, 5, 5]);
  for (let i = 0; i < 400; i++) x.data[i * 25 + 12] = 1; // one lit pixel in the centre
  const shift = randomShift({ maxShift: 2 });
  const out = shift(x, new Rng(7));
  const seen = new Set<number>();
  for (let i = 0; i < 400; i++) seen.add(out.data.subarray(i * 25, i * 25 + 25).indexOf(1));
  expect(seen.size).toBe(25);
  const again = randomShift({ maxShift: 2 })(x, new Rng(7));
  expect(again.data).toEqual(out.data);
});

test('bad options and shapes', () => {
  expect(() => randomShift({ maxShift: -1 })).toThrow(/maxShift must be an integer ≥ 0, got -1/);
  expect(() => randomShift({ maxShift: 1.5 })).toThrow(/maxShift/);
  expect(() => randomShift({ fill: NaN })).toThrow(/fill/);
  expect(() => randomShift()(tensor([2, 784]), new Rng(0))).toThrow(/needs image batches \[N, C, H, W\], got \[2, 784\]/);
});
