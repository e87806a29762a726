import fc from 'fast-check';
import { kernelBackend, setKernelBackend, KernelBackend } from '../../src/kernels/backend';
import { matmul, matmulTransA, matmulTransB } from '../../src/kernels/gemm';
import { matmulReference, matmulTransAReference, matmulTransBReference } from '../../src/kernels/reference';
import { Rng } from '../../src/random';

type Kernel = (a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, acc: boolean) => void;

/** The three forms: the public kernel, its reference, and how A and B are indexed. */
const FORMS: { name: string; fast: Kernel; reference: Kernel; a: (i: number, p: number, m: number, k: number) => number; b: (p: number, j: number, k: number, n: number) => number }[] = [
  { name: 'matmul', fast: matmul, reference: matmulReference, a: (i, p, _m, k) => i * k + p, b: (p, j, _k, n) => p * n + j },
  { name: 'matmulTransA', fast: matmulTransA, reference: matmulTransAReference, a: (i, p, m) => p * m + i, b: (p, j, _k, n) => p * n + j },
  { name: 'matmulTransB', fast: matmulTransB, reference: matmulTransBReference, a: (i, p, _m, k) => i * k + p, b: (p, j, k) => j * k + p },
];

const EPS = 2 ** -23;

function randomArray(rng: Rng, length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform(-2, 2);
  return out;
}

/**
 * Runs `form` with the current backend and the reference on the same operands, and returns the
 * worst |fast − ref| / bound, where bound = (k + 2)·eps·(Σp |a||b| + |c0|): the float32 rounding of a
 * k-term sum (the fast kernel sums in float32, the reference in float64). ≤ 1 passes.
 */
function worstRatio(form: (typeof FORMS)[number], m: number, k: number, n: number, accumulate: boolean, seed: number): number {
  const rng = new Rng(seed);
  // Buffers longer than needed: the kernels must use only the first m·k, k·n, m·n elements.
  const a = randomArray(rng, m * k + 3);
  const b = randomArray(rng, k * n + 5);
  const c0 = randomArray(rng, m * n + 7);
  const fast = c0.slice();
  const ref = c0.slice();
  form.fast(a, b, fast, m, k, n, accumulate);
  form.reference(a, b, ref, m, k, n, accumulate);
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let magnitude = accumulate ? Math.abs(c0[i * n + j]) : 0;
      for (let p = 0; p < k; p++) magnitude += Math.abs(a[form.a(i, p, m, k)] * b[form.b(p, j, k, n)]);
      const bound = (k + 2) * EPS * magnitude + Number.MIN_VALUE;
      worst = Math.max(worst, Math.abs(fast[i * n + j] - ref[i * n + j]) / bound);
    }
  }
  // Past m·n, C is untouched.
  for (let i = m * n; i < c0.length; i++) if (fast[i] !== c0[i]) return Infinity;
  return worst;
}

/** Sizes that stress the 4×8 tile: 1, just below/above multiples of 4 and 8, and ordinary ones. */
const dim = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17), fc.integer({ min: 1, max: 48 }));

describe.each(['wasm', 'ts'] as KernelBackend[])('%s kernels equal the reference', (backend) => {
  const previous = kernelBackend();
  beforeAll(() => setKernelBackend(backend));
  afterAll(() => setKernelBackend(previous));
  let worstSeen = 0;
  afterAll(() => {
    // The worst error seen, as a fraction of the float32 bound (reported, not asserted beyond ≤ 1).
    console.log(`${backend}: worst |fast − reference| = ${worstSeen.toFixed(4)} × (k+2)·eps·Σ|a||b|`);
  });

  for (const form of FORMS) {
    for (const accumulate of [false, true]) {
      test(`${form.name}, accumulate=${accumulate}: random shapes, tails of the tile, 1×1, 1×N, N×1`, () => {
        fc.assert(
          fc.property(dim, dim, dim, fc.integer({ min: 0, max: 2 ** 30 }), (m, k, n, seed) => {
            const ratio = worstRatio(form, m, k, n, accumulate, seed);
            worstSeen = Math.max(worstSeen, ratio);
            return ratio <= 1;
          }),
          { numRuns: 100, seed: 6 + (accumulate ? 1 : 0) + FORMS.indexOf(form) * 2 },
        );
      });
    }
  }

  test('edge shapes: 1×1×1, 1×N, N×1, row and column vectors, long sums (k blocks, the tiled A·Bᵀ kernel), wide C (column blocks)', () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1], [1, 1, 37], [37, 1, 1], [1, 37, 1], [1, 50, 33], [33, 50, 1],
      [6, 1000, 9], [5, 769, 3], [3, 7, 1030], [9, 2, 2049],
      // Long sums into a small C: matmulTransB takes the tiled A·Bᵀ kernel (k ≥ 1024 and m·n ≤ 2048),
      // with k-blocks of 1024, rows and columns past the last whole tile (3×3, or 2×4 in the plain build;
      // edges of 6, 3 and 1 lines) and a k mod 4 tail.
      [1, 1030, 1], [3, 2051, 5], [9, 1500, 7], [14, 2051, 9], [7, 1027, 5],
      [16, 2049, 25], [31, 1030, 26], [2, 1500, 1], [35, 3075, 8], [4, 1025, 13], [65, 1024, 31], [1, 1024, 2048],
    ];
    for (const form of FORMS) {
      for (const accumulate of [false, true]) {
        for (const [m, k, n] of shapes) {
          const ratio = worstRatio(form, m, k, n, accumulate, m * 1000 + k + n);
          worstSeen = Math.max(worstSeen, ratio);
          if (!(ratio <= 1)) throw new Error(`${form.name} ${m}×${k}×${n} accumulate=${accumulate}: error ${ratio} × bound`);
        }
      }
    }
  });

  test('k = 0: C becomes 0, or is left as it was when accumulating', () => {
    for (const form of FORMS) {
      const c = new Float32Array([1, 2, 3, 4, 5, 6]);
      form.fast(new Float32Array(0), new Float32Array(0), c, 2, 0, 3, true);
      expect(Array.from(c)).toEqual([1, 2, 3, 4, 5, 6]);
      form.fast(new Float32Array(0), new Float32Array(0), c, 2, 0, 3, false);
      expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
    }
  });
});

describe('bad arguments name the product, the operand and the sizes', () => {
  test.each(FORMS.map((f) => [f.name, f.fast] as const))('%s', (name, fast) => {
    const x = new Float32Array(6);
    expect(() => fast(new Float32Array(5), x, x, 2, 3, 2, false)).toThrow(new RegExp(`${name}: A has 5 elements, needs m·k = 2·3 = 6`));
    expect(() => fast(x, new Float32Array(5), x, 2, 3, 2, false)).toThrow(new RegExp(`${name}: B has 5 elements, needs k·n = 3·2 = 6`));
    expect(() => fast(x, x, new Float32Array(3), 2, 3, 2, false)).toThrow(new RegExp(`${name}: C has 3 elements, needs m·n = 2·2 = 4`));
    expect(() => fast(x, x, x, 2, 1.5, 2, false)).toThrow(/non-negative integers, got m=2 k=1.5 n=2/);
  });
});
