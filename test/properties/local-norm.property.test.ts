/**
 * Gradient-check properties for LocalResponseNorm and LocalContrastNorm on random shapes: batches 1–4,
 * channels 1–8, H, W 1–7 (1×1 images included), window sizes 1–7 odd and even (so often larger than the
 * image or the channel count), random α, β, k / σ, ε. Every coordinate of dInput is a smooth function
 * of x (LRN: k > 0; LCN: the smooth max and ε), so nothing may be skipped as a kink unless the ±ε
 * window of the checker really crosses a near-flat spot; each property logs its worst error.
 */
import fc from 'fast-check';
import type { Layer } from '../../src/layers/layer';
import { LocalContrastNorm } from '../../src/layers/local-contrast-norm';
import { LocalResponseNorm } from '../../src/layers/local-response-norm';
import { gradCheck } from '../../src/net/gradcheck';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';
import { randomArray } from '../helpers/window-cases';

const RUNS = 100;
/** Always checked besides the random cases: a 1×1 image, and windows larger than the image and the channels. */
const EDGE_SHAPES = [
  { batch: 2, channels: 3, height: 1, width: 1, size: 7, seed: 1 },
  { batch: 1, channels: 1, height: 1, width: 1, size: 1, seed: 2 },
  { batch: 3, channels: 8, height: 2, width: 5, size: 6, seed: 3 },
];
const shapeArb = fc.record({
  batch: fc.integer({ min: 1, max: 4 }),
  channels: fc.integer({ min: 1, max: 8 }),
  height: fc.integer({ min: 1, max: 7 }),
  width: fc.integer({ min: 1, max: 7 }),
  size: fc.integer({ min: 1, max: 7 }),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
});

interface Tally { runs: number; worst: number; checked: number; skipped: number; rechecked: number }

function checkLayer(layer: Layer, c: { batch: number; channels: number; height: number; width: number; seed: number }, tally: Tally, range: number): void {
  const rng = new Rng(c.seed);
  layer.build([c.channels, c.height, c.width], rng);
  const x = tensor([c.batch, c.channels, c.height, c.width], randomArray(c.batch * c.channels * c.height * c.width, rng, -range, range));
  const result = gradCheck(layer, x, { seed: c.seed, maxCoordinatesPerTensor: 10 });
  if (!result.passed) throw new Error(`${layer.kind} ${JSON.stringify(layer.config())} on ${JSON.stringify(c)}:\n${result.report}`);
  expect(result.tensors.map((t) => t.name)).toEqual(['input']);
  tally.runs++;
  tally.worst = Math.max(tally.worst, result.maxError);
  tally.checked += result.checked;
  tally.skipped += result.skippedKinks;
  tally.rechecked += result.recheckedKinks;
}

function print(name: string, t: Tally): void {
  console.log(`${name}: ${t.runs} runs, ${t.checked} coordinates, worst relative error ${t.worst.toExponential(2)}, ` +
    `${t.skipped} kinks skipped, ${t.rechecked} rechecked with a smaller step`);
}

describe('gradient checks (local normalisation)', () => {
  test(`LocalResponseNorm on random shapes, sizes and constants (${RUNS} runs)`, () => {
    const tally: Tally = { runs: 0, worst: 0, checked: 0, skipped: 0, rechecked: 0 };
    fc.assert(
      fc.property(shapeArb, fc.double({ min: 1e-4, max: 2, noNaN: true }), fc.constantFrom(0.75, 0.5, 1, 0.3, 1.6),
        fc.double({ min: 0.5, max: 2, noNaN: true }), (c, alpha, beta, k) => {
          checkLayer(new LocalResponseNorm({ size: c.size, alpha, beta, k }), c, tally, 2);
        }),
      { numRuns: RUNS, seed: 1411, examples: EDGE_SHAPES.map((c): [typeof c, number, number, number] => [c, 0.7, 0.75, 1]) },
    );
    print('LocalResponseNorm', tally);
    expect(tally.skipped).toBe(0);
  });

  test(`LocalContrastNorm on random shapes, sizes, σ and ε (${RUNS} runs)`, () => {
    const tally: Tally = { runs: 0, worst: 0, checked: 0, skipped: 0, rechecked: 0 };
    fc.assert(
      fc.property(shapeArb, fc.option(fc.double({ min: 0.3, max: 4, noNaN: true }), { nil: undefined }),
        fc.constantFrom(undefined, 1e-3, 0.1), (c, sigma, eps) => {
          checkLayer(new LocalContrastNorm({ size: c.size, sigma, eps }), c, tally, 2);
        }),
      { numRuns: RUNS, seed: 1412, examples: EDGE_SHAPES.map((c): [typeof c, number | undefined, number | undefined] => [c, undefined, undefined]) },
    );
    print('LocalContrastNorm', tally);
    expect(tally.skipped).toBe(0); // smooth everywhere (smooth max, ε): nothing to excuse as a kink
  });
});
