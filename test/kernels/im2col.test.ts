/**
 * im2col / col2im against the one-entry-at-a-time references, and their adjointness
 * ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩ (summed in float64), on random shapes including padding,
 * 'same' (asymmetric) padding, strides and non-square images.
 */
import fc from 'fast-check';
import { col2im, im2col } from '../../src/kernels/im2col';
import { windowGeometry, type WindowGeometry } from '../../src/kernels/conv-geometry';
import { col2imReference, im2colReference } from '../../src/kernels/reference';
import { Rng } from '../../src/random';
import { maxMixedError, randomArray, windowCase, windowGeometryOf } from '../helpers/window-cases';


const colsLength = (s: WindowGeometry) => s.channels * s.kernelH * s.kernelW * s.batch * s.outH * s.outW;
const inputLength = (s: WindowGeometry) => s.batch * s.channels * s.inH * s.inW;

describe('im2col', () => {
  test('equals the reference exactly on random shapes (stale buffer contents are overwritten)', () => {
    fc.assert(
      fc.property(windowCase(), (c) => {
        const s = windowGeometryOf(c);
        const rng = new Rng(c.seed);
        const x = randomArray(inputLength(s), rng);
        const cols = new Float32Array(colsLength(s)).fill(Number.NaN); // must be fully written, zeros included
        im2col(x, cols, s);
        expect(Array.from(cols)).toEqual(Array.from(im2colReference(x, s)));
      }),
      { numRuns: 200, seed: 301 },
    );
  });

  test('a known 1×1×3×3 example with padding 1 and a 2×2 kernel, stride 2', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Padded 5×5 image; windows at rows/cols −1 and 1: outH = outW = ⌊(3 + 2 − 2)/2⌋ + 1 = 2.
    const s = windowGeometry('test', [1, 3, 3], [2, 2], [2, 2], 1);
    expect([s.outH, s.outW, s.padTop, s.padLeft]).toEqual([2, 2, 1, 1]);
    const cols = new Float32Array(4 * 4);
    im2col(x, cols, s);
    // rows = kernel cells (ky, kx) = (0,0), (0,1), (1,0), (1,1); columns = windows (0,0), (0,1), (1,0), (1,1)
    expect(Array.from(cols)).toEqual([
      0, 0, 0, 5,
      0, 0, 4, 6,
      0, 2, 0, 8,
      1, 3, 7, 9,
    ]);
  });
});

describe('col2im', () => {
  test('equals the reference on random shapes (and overwrites, not accumulates into, x)', () => {
    fc.assert(
      fc.property(windowCase(), (c) => {
        const s = windowGeometryOf(c);
        const rng = new Rng(c.seed);
        const cols = randomArray(colsLength(s), rng);
        const x = new Float32Array(inputLength(s)).fill(123);
        col2im(cols, x, s);
        const expected = col2imReference(cols, s);
        expect(maxMixedError(x, expected)).toBeLessThanOrEqual(1e-5);
      }),
      { numRuns: 200, seed: 302 },
    );
  });

  test('is the adjoint of im2col: ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩ in float64', () => {
    let worst = 0;
    fc.assert(
      fc.property(windowCase(), (c) => {
        const s = windowGeometryOf(c);
        const rng = new Rng(c.seed);
        const x = randomArray(inputLength(s), rng);
        const y = randomArray(colsLength(s), rng);
        const cols = new Float32Array(colsLength(s));
        im2col(x, cols, s);
        const back = new Float32Array(inputLength(s));
        col2im(y, back, s);
        let left = 0, right = 0, scale = 0;
        for (let i = 0; i < cols.length; i++) {
          left += cols[i] * y[i];
          scale += Math.abs(cols[i] * y[i]);
        }
        for (let i = 0; i < x.length; i++) right += x[i] * back[i];
        // im2col only copies, so the left side is exact in float64; col2im's float32 sums round.
        const error = Math.abs(left - right) / Math.max(1, scale);
        worst = Math.max(worst, error);
        expect(error).toBeLessThan(1e-6);
      }),
      { numRuns: 200, seed: 303 },
    );
    console.log(`im2col/col2im adjoint: worst |⟨im2col x, y⟩ − ⟨x, col2im y⟩| / Σ|terms| = ${worst.toExponential(2)}`);
  });
});
