/**
 * The local normalisation kernels against their plain float64 references (fast-check, random shapes):
 * LRN's sliding channel sums vs the formula summed afresh per output; LCN's separable, self-normalising
 * blur (and its adjoint) vs the size×size window added up directly with the border sum Z counted cell
 * by cell. Both forward and backward, sizes 1…7 odd and even, windows larger than the image or the
 * channel count, 1×1 images, batches 1…4.
 */
import fc from 'fast-check';
import {
  LcnWorkspace, lcnBackward, lcnBackwardReference, lcnForward, lcnForwardReference,
} from '../../src/kernels/local-contrast-norm';
import {
  lrnBackward, lrnBackwardReference, lrnForward, lrnForwardReference, type LrnConstants,
} from '../../src/kernels/local-response-norm';
import { Rng } from '../../src/random';
import { randomArray } from '../helpers/window-cases';

const RUNS = 150;
const shapeArb = fc.record({
  batch: fc.integer({ min: 1, max: 4 }),
  channels: fc.integer({ min: 1, max: 8 }),
  height: fc.integer({ min: 1, max: 7 }),
  width: fc.integer({ min: 1, max: 7 }),
  size: fc.integer({ min: 1, max: 7 }),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
});

let worstLrn = 0, worstLcn = 0;
/** max |a − b| / max(1, |b|); fails above 1e-5 (float32 outputs of float64-accurate sums). */
function compare(fast: Float32Array, reference: Float64Array, what: string): number {
  let worst = 0;
  for (let i = 0; i < reference.length; i++) {
    const err = Math.abs(fast[i] - reference[i]) / Math.max(1, Math.abs(reference[i]));
    if (!(err <= 1e-5)) throw new Error(`${what}[${i}]: fast ${fast[i]} vs reference ${reference[i]} (error ${err})`);
    worst = Math.max(worst, err);
  }
  return worst;
}

afterAll(() => {
  console.log(`local normalisation kernels vs float64 references: worst relative error LRN ${worstLrn.toExponential(2)}, LCN ${worstLcn.toExponential(2)}`);
});

test(`LRN: sliding channel sums match the formula, forward and backward (${RUNS} runs)`, () => {
  fc.assert(
    fc.property(shapeArb, fc.constantFrom(0.75, 0.5, 1, 0.3, 2), fc.double({ min: 1e-4, max: 3, noNaN: true }),
      fc.double({ min: 0.1, max: 2, noNaN: true }), (c, beta, alpha, k) => {
        const rng = new Rng(c.seed);
        const p: LrnConstants = { size: c.size, alpha, beta, k };
        const S = c.height * c.width, n = c.batch * c.channels * S;
        const x = randomArray(n, rng, -3, 3), dy = randomArray(n, rng);
        const y = new Float32Array(n), den = new Float32Array(n), scale = new Float32Array(n), dx = new Float32Array(n);
        lrnForward(x, y, den, scale, new Float64Array(S), c.batch, c.channels, S, p);
        lrnBackward(x, y, den, scale, dy, dx, new Float64Array(c.channels * S), new Float64Array(S), c.batch, c.channels, S, p);
        worstLrn = Math.max(worstLrn, compare(y, lrnForwardReference(x, c.batch, c.channels, S, p), 'y'));
        worstLrn = Math.max(worstLrn, compare(dx, lrnBackwardReference(x, dy, c.batch, c.channels, S, p), 'dx'));
      }),
    { numRuns: RUNS, seed: 1401 },
  );
});

test(`LCN: the separable blur matches the direct window, forward and backward (${RUNS} runs)`, () => {
  fc.assert(
    fc.property(shapeArb, fc.double({ min: 0.3, max: 4, noNaN: true }), fc.constantFrom(1e-4, 1e-2, 0.5), (c, sigma, eps) => {
      const rng = new Rng(c.seed);
      const S = c.height * c.width, n = c.batch * c.channels * S;
      const x = randomArray(n, rng, -2, 2), dy = randomArray(n, rng);
      const ws = new LcnWorkspace(c.channels, c.height, c.width, c.size, sigma, eps);
      const y = new Float32Array(n), v = new Float32Array(n), dx = new Float32Array(n);
      const s = new Float64Array(c.batch * S), d = new Float64Array(c.batch * S), cn = new Float64Array(c.batch);
      lcnForward(x, y, v, s, d, cn, c.batch, ws, new Float64Array(S));
      lcnBackward(dy, dx, v, s, d, cn, c.batch, ws, new Float64Array(S), new Float64Array(S));
      const shape = { ...c, sigma, eps };
      worstLcn = Math.max(worstLcn, compare(y, lcnForwardReference(x, shape), 'y'));
      worstLcn = Math.max(worstLcn, compare(dx, lcnBackwardReference(x, dy, shape), 'dx'));
    }),
    { numRuns: RUNS, seed: 1402 },
  );
});
