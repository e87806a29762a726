/**
 * Property: on random convex quadratics f(w) = ½(w − c)ᵀA(w − c), A = BᵀB + 0.1·I (positive definite),
 * every optimizer lowers the loss over a few hundred steps from a start well away from the minimum.
 */
import fc from 'fast-check';
import { makeParam } from '../../src/layers/layer';
import { AdaGrad, Adam, Momentum, Nesterov, RMSprop, SGD, type Optimizer } from '../../src';

interface Quadratic {
  d: number;
  a: number[][]; // A, symmetric positive definite
  c: number[];
  start: number[];
}

const quadratic: fc.Arbitrary<Quadratic> = fc.integer({ min: 1, max: 6 }).chain((d) =>
  fc.record({
    d: fc.constant(d),
    b: fc.array(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: d, maxLength: d }), { minLength: d, maxLength: d }),
    c: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: d, maxLength: d }),
    offset: fc.array(fc.double({ min: 1, max: 3, noNaN: true }), { minLength: d, maxLength: d }),
    signs: fc.array(fc.boolean(), { minLength: d, maxLength: d }),
  }).map(({ b, c, offset, signs }) => {
    const a = b.map((_, i) => b.map((__, j) => b.reduce((sum, row) => sum + row[i] * row[j], 0) + (i === j ? 0.1 : 0)));
    return { d, a, c, start: c.map((ci, i) => ci + (signs[i] ? offset[i] : -offset[i])) };
  }),
);

function loss(q: Quadratic, w: ArrayLike<number>): number {
  let f = 0;
  for (let i = 0; i < q.d; i++) for (let j = 0; j < q.d; j++) f += 0.5 * (w[i] - q.c[i]) * q.a[i][j] * (w[j] - q.c[j]);
  return f;
}

/** Safe rates for the first-order rules scale with the curvature: 1/trace(A) ≤ 1/λ_max. */
const makers: Record<string, (q: Quadratic) => Optimizer> = {
  SGD: (q) => new SGD({ lr: 1 / trace(q) }),
  Momentum: (q) => new Momentum({ lr: 0.2 / trace(q), momentum: 0.9 }),
  Nesterov: (q) => new Nesterov({ lr: 0.2 / trace(q), momentum: 0.9 }),
  RMSprop: () => new RMSprop({ lr: 0.01 }),
  Adam: () => new Adam({ lr: 0.05 }),
  AdaGrad: () => new AdaGrad({ lr: 0.5 }),
};

function trace(q: Quadratic): number {
  return q.a.reduce((sum, row, i) => sum + row[i], 0);
}

test.each(Object.keys(makers))('%s lowers the loss of random convex quadratics over 300 steps', (name) => {
  fc.assert(
    fc.property(quadratic, (q) => {
      const optimizer = makers[name](q);
      const w = makeParam('weights', [q.d], Float32Array.from(q.start), true);
      const initial = loss(q, w.value);
      for (let step = 0; step < 300; step++) {
        for (let i = 0; i < q.d; i++) {
          let g = 0;
          for (let j = 0; j < q.d; j++) g += q.a[i][j] * (w.value[j] - q.c[j]);
          w.grad[i] = g;
        }
        optimizer.step([w]);
      }
      const final = loss(q, w.value);
      return Number.isFinite(final) && final < initial * 0.9;
    }),
    { numRuns: 100, seed: 42 },
  );
});
