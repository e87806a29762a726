/**
 * The drawing pad's preprocessing (src/demo/page/preprocess.ts): a drawing becomes an MNIST-like 28×28
 * digit — larger side scaled to 20 px, centre of mass at the centre — wherever and however large it was
 * drawn. Checked by hand on a square, by properties on random drawings, and on real MNIST digits, which
 * already have that form and must come out nearly unchanged.
 */
import * as path from 'node:path';
import fc from 'fast-check';
import { readMnist } from '../../src/data/mnist';
import { DIGIT_BOX, MNIST_SIDE, inkFromRgba, toMnistPixels } from '../../src/demo/page/preprocess';

const SHARED_MNIST = path.resolve(__dirname, '../../../shared/data/mnist');

/** Centre of mass (pixel centres at +0.5) and the bounding box of pixels ≥ threshold. */
function measure(pixels: Uint8Array, side = MNIST_SIDE, threshold = 128) {
  let mass = 0, mx = 0, my = 0, x0 = side, x1 = -1, y0 = side, y1 = -1;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = pixels[y * side + x];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
      if (v >= threshold) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  return { mass, cx: mx / mass, cy: my / mass, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

function canvas(width: number, height: number, fill: (x: number, y: number) => number): Uint8Array {
  const ink = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) ink[y * width + x] = fill(x, y);
  return ink;
}

test('nothing drawn: no image; a faint smudge below the ink threshold counts as nothing', () => {
  expect(toMnistPixels(new Uint8Array(280 * 280), 280, 280)).toBeUndefined();
  expect(toMnistPixels(canvas(50, 50, () => 10), 50, 50)).toBeUndefined();
  expect(() => toMnistPixels(new Uint8Array(10), 5, 5)).toThrow(RangeError);
});

test('a filled 100×100 square anywhere on a 280 pad becomes a 20×20 square centred in 28×28, full ink', () => {
  for (const [left, top] of [[0, 0], [180, 10], [90, 170]]) {
    const ink = canvas(280, 280, (x, y) => (x >= left && x < left + 100 && y >= top && y < top + 100 ? 255 : 0));
    const out = toMnistPixels(ink, 280, 280)!;
    // Scale 0.2: the square covers output pixels 4..23 exactly (centre 14), each fully inked.
    for (let y = 0; y < MNIST_SIDE; y++) {
      for (let x = 0; x < MNIST_SIDE; x++) {
        const inside = x >= 4 && x < 24 && y >= 4 && y < 24;
        expect([x, y, out[y * MNIST_SIDE + x]]).toEqual([x, y, inside ? 255 : 0]);
      }
    }
  }
});

test('a tall bar keeps its aspect ratio: 20 px high, 4 px wide, centred', () => {
  const ink = canvas(280, 280, (x, y) => (x >= 100 && x < 140 && y >= 40 && y < 240 ? 255 : 0));
  const m = measure(toMnistPixels(ink, 280, 280)!);
  expect(m.height).toBe(DIGIT_BOX);
  expect(m.width).toBe(4);
  expect(m.cx).toBeCloseTo(14, 6);
  expect(m.cy).toBeCloseTo(14, 6);
});

test('property: moving a drawing on the pad changes nothing; its centre of mass lands at (14, 14)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 29 }), fc.integer({ min: 0, max: 29 }), fc.integer({ min: 16, max: 255 })), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }),
      (dots, dx, dy) => {
        const at = (ox: number, oy: number) => {
          const ink = new Uint8Array(60 * 60);
          for (const [x, y, v] of dots) ink[(y + oy) * 60 + x + ox] = Math.max(ink[(y + oy) * 60 + x + ox], v);
          return toMnistPixels(ink, 60, 60)!;
        };
        const here = at(0, 0);
        expect(at(dx, dy)).toEqual(here);
        // Resampling keeps the mass (× scale²) and the centre of mass, unless ink was pushed past the border
        // (a lopsided drawing centred by its mass) or rounding to bytes dominates (very little ink).
        const ink = at(0, 0);
        const m = measure(ink, MNIST_SIDE, 1);
        const xs = dots.map((d) => d[0]), ys = dots.map((d) => d[1]);
        const scale = DIGIT_BOX / Math.max(Math.max(...xs) - Math.min(...xs) + 1, Math.max(...ys) - Math.min(...ys) + 1);
        const unique = new Map(dots.map(([x, y, v]) => [`${x},${y}`, 0]));
        for (const [x, y, v] of dots) unique.set(`${x},${y}`, Math.max(unique.get(`${x},${y}`)!, v));
        const expectedMass = [...unique.values()].reduce((a, b) => a + b, 0) * scale * scale;
        if (expectedMass > 2000 && Math.abs(m.mass - expectedMass) < 0.01 * expectedMass) {
          expect(Math.abs(m.cx - 14)).toBeLessThan(0.25);
          expect(Math.abs(m.cy - 14)).toBeLessThan(0.25);
        }
      },
    ),
    { numRuns: 100 },
  );
});

test('real MNIST test digits, already in this form, come out nearly unchanged', () => {
  const { test: split } = readMnist(SHARED_MNIST);
  let totalDiff = 0;
  let totalInk = 0;
  for (let i = 0; i < 200; i++) {
    const image = split.images.subarray(i * 784, (i + 1) * 784);
    const out = toMnistPixels(image, 28, 28)!;
    for (let p = 0; p < 784; p++) {
      totalDiff += Math.abs(out[p] - image[p]);
      totalInk += image[p];
    }
  }
  // MNIST's own centring used the anti-aliased box and integer shifts; ours is sub-pixel: a small difference remains.
  expect(totalDiff / totalInk).toBeLessThan(0.6);
});

test('inkFromRgba reads the red channel', () => {
  expect([...inkFromRgba(new Uint8ClampedArray([10, 0, 0, 255, 200, 1, 2, 255]))]).toEqual([10, 200]);
});
