/** Pooling kernels against the padded-grid references, forward and adjoint backward. */
import fc from 'fast-check';
import { avgPoolBackward, avgPoolForward, maxPoolBackward, maxPoolForward } from '../../src/kernels/pooling';
import { windowGeometry } from '../../src/kernels/conv-geometry';
import { avgPoolReference, maxPoolReference } from '../../src/kernels/reference';
import { Rng } from '../../src/random';
import { maxMixedError, randomArray, windowCase, windowGeometryOf } from '../helpers/window-cases';


/** Values with many exact ties (a few levels), so the first-in-window rule is exercised. */
function tiedArray(length: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.int(4) - 2;
  return out;
}

const poolCase = windowCase({ padBelowWindow: true });

describe('max pooling kernel', () => {
  test('equals the reference (values and argmax, ties included) on random shapes', () => {
    fc.assert(
      fc.property(poolCase, fc.boolean(), (c, ties) => {
        const s = windowGeometryOf(c);
        const rng = new Rng(c.seed);
        const planes = s.batch * s.channels;
        const x = ties ? tiedArray(planes * s.inH * s.inW, rng) : randomArray(planes * s.inH * s.inW, rng);
        const y = new Float32Array(planes * s.outH * s.outW);
        const argmax = new Int32Array(y.length);
        maxPoolForward(x, y, argmax, s);
        const expected = maxPoolReference(x, s);
        expect(Array.from(y)).toEqual(Array.from(expected.y));
        expect(Array.from(argmax)).toEqual(Array.from(expected.argmax));
        // Backward: each output's gradient lands on its argmax.
        const dy = randomArray(y.length, rng);
        const dx = new Float32Array(x.length).fill(7);
        maxPoolBackward(dy, argmax, dx, dx.length, dy.length);
        const expectedDx = new Float64Array(x.length);
        expected.argmax.forEach((index, o) => (expectedDx[index] += dy[o]));
        expect(maxMixedError(dx, expectedDx)).toBeLessThan(1e-6);
      }),
      { numRuns: 200, seed: 321 },
    );
  });

  test('an all −∞ window still routes to a real cell; NaN propagates', () => {
    const x = Float32Array.from([-Infinity, -Infinity, -Infinity, -Infinity]);
    const y = new Float32Array(1);
    const argmax = new Int32Array(1);
    const g = windowGeometry('test', [1, 2, 2], [2, 2], [2, 2], 0);
    maxPoolForward(x, y, argmax, g);
    expect(y[0]).toBe(-Infinity);
    expect(argmax[0]).toBe(0);
    maxPoolForward(Float32Array.from([1, Number.NaN, 3, 2]), y, argmax, g);
    expect(y[0]).toBeNaN();
    expect(argmax[0]).toBe(1);
  });
});

describe('average pooling kernel', () => {
  test('equals the reference, both padding conventions; backward is the adjoint', () => {
    fc.assert(
      fc.property(poolCase, fc.boolean(), (c, countIncludePad) => {
        const s = windowGeometryOf(c);
        const rng = new Rng(c.seed);
        const planes = s.batch * s.channels;
        const x = randomArray(planes * s.inH * s.inW, rng);
        const y = new Float32Array(planes * s.outH * s.outW);
        avgPoolForward(x, y, s, countIncludePad);
        expect(maxMixedError(y, avgPoolReference(x, s, countIncludePad))).toBeLessThan(1e-6);
        const dy = randomArray(y.length, rng);
        const dx = new Float32Array(x.length).fill(7);
        avgPoolBackward(dy, dx, s, countIncludePad);
        let left = 0, right = 0, scale = 0;
        for (let i = 0; i < y.length; i++) {
          left += y[i] * dy[i];
          scale += Math.abs(y[i] * dy[i]);
        }
        for (let i = 0; i < x.length; i++) right += x[i] * dx[i];
        expect(Math.abs(left - right) / Math.max(1, scale)).toBeLessThan(1e-5);
      }),
      { numRuns: 200, seed: 322 },
    );
  });
});
