/**
 * Both wasm builds — the plain SIMD128 one and the relaxed-SIMD one with fused multiply-adds — equal the
 * reference, and each is bit-identical on 1 and 2 threads. Each build is loaded in its own module registry
 * (jest.isolateModules with NN_WASM_FMA pinned), so one test run proves both whichever is the default here.
 */
import { Rng } from '../../src/random';

type Kernel = (a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, acc: boolean) => void;
type Form = { fast: Kernel; reference: Kernel };

interface Build {
  file: string | null;
  fma: { used: boolean; relaxedSimd: boolean; pinned: string } | null;
  forms: Form[];
  convForwardProduct: (w: Float32Array, cols: Float32Array, y: Float32Array, bias: Float32Array | undefined,
    filters: number, k: number, plane: number, batch: number) => void;
  setThreads: (n: number) => void;
}

/** Loads the kernels afresh with NN_WASM_FMA = pin. */
function loadBuild(pin: '0' | '1'): Build {
  const saved = process.env.NN_WASM_FMA;
  process.env.NN_WASM_FMA = pin;
  let build: Build | undefined;
  try {
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const backend = require('../../src/kernels/backend');
      const gemm = require('../../src/kernels/gemm');
      const reference = require('../../src/kernels/reference');
      const threads = require('../../src/kernels/wasm/threads');
      const conv = require('../../src/kernels/conv-product');
      const status = backend.wasmStatus();
      build = {
        file: status.file,
        fma: status.fma,
        setThreads: threads.setThreads,
        convForwardProduct: conv.convForwardProduct,
        forms: [
          { fast: gemm.matmul, reference: reference.matmulReference },
          { fast: gemm.matmulTransA, reference: reference.matmulTransAReference },
          { fast: gemm.matmulTransB, reference: reference.matmulTransBReference },
        ],
      };
    });
  } finally {
    if (saved === undefined) delete process.env.NN_WASM_FMA;
    else process.env.NN_WASM_FMA = saved;
  }
  return build!;
}

const EPS = 2 ** -23;

function operands(m: number, k: number, n: number, seed: number): { a: Float32Array; b: Float32Array; c: Float32Array } {
  const rng = new Rng(seed);
  const fill = (len: number) => Float32Array.from({ length: len }, () => rng.uniform(-2, 2));
  return { a: fill(m * k), b: fill(k * n), c: fill(m * n) };
}

/** Worst |fast − reference| relative to the float32 bound of a k-term sum (≤ 1 passes). */
function worstRatio(form: Form, m: number, k: number, n: number, accumulate: boolean, seed: number): number {
  const { a, b, c } = operands(m, k, n, seed);
  const fast = c.slice(), ref = c.slice();
  form.fast(a, b, fast, m, k, n, accumulate);
  form.reference(a, b, ref, m, k, n, accumulate);
  // Σp |a||b| (+ |c0|): the reference product of the absolute values.
  const magnitude = c.map(Math.abs);
  form.reference(a.map(Math.abs), b.map(Math.abs), magnitude, m, k, n, accumulate);
  let worst = 0;
  for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs(fast[i] - ref[i]) / ((k + 2) * EPS * magnitude[i] + Number.MIN_VALUE));
  return worst;
}

/** Ragged shapes (1, around multiples of 4 and 8) and conv-like ones (long sums into a small C: the tiled A·Bᵀ kernel, its edges). */
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 7, 5], [4, 8, 8], [5, 9, 17], [13, 31, 23], [30, 25, 601], [33, 130, 9], [7, 2051, 9], [20, 1100, 12], [16, 200, 37],
  [16, 2049, 25], [31, 1030, 26], [64, 1027, 11], [5, 3077, 62],
];

/** Conv2D's forward product against its definition in float64: worst error over the float32 bound (≤ 1 passes). */
function convWorstRatio(build: Build, filters: number, k: number, plane: number, batch: number, withBias: boolean, seed: number): number {
  const rng = new Rng(seed);
  const fill = (len: number) => Float32Array.from({ length: len }, () => rng.uniform(-2, 2));
  const w = fill(filters * k), cols = fill(k * batch * plane), bias = withBias ? fill(filters) : undefined;
  const y = fill(batch * filters * plane + 3); // longer than needed, and not zero: every element must be written
  const tail = y.slice(batch * filters * plane);
  build.convForwardProduct(w, cols, y, bias, filters, k, plane, batch);
  let worst = 0;
  for (let n = 0; n < batch; n++) {
    for (let f = 0; f < filters; f++) {
      for (let j = 0; j < plane; j++) {
        let exact = bias ? bias[f] : 0, magnitude = Math.abs(exact);
        for (let p = 0; p < k; p++) {
          const t = w[f * k + p] * cols[p * batch * plane + n * plane + j];
          exact += t;
          magnitude += Math.abs(t);
        }
        const got = y[(n * filters + f) * plane + j];
        worst = Math.max(worst, Math.abs(got - exact) / ((k + 2) * EPS * magnitude + Number.MIN_VALUE));
      }
    }
  }
  // Past the output, nothing is written.
  for (let i = 0; i < tail.length; i++) if (y[batch * filters * plane + i] !== tail[i]) return Infinity;
  return worst;
}

const builds: Record<string, Build> = { plain: loadBuild('0'), fma: loadBuild('1') };
const relaxed = builds.fma.fma!.relaxedSimd;

describe.each(['plain', 'fma'])('the %s build', (name) => {
  const build = builds[name];
  afterAll(() => build.setThreads(1));

  test('is the build NN_WASM_FMA pins (fma only where the engine has relaxed SIMD)', () => {
    if (name === 'plain') expect(build.file).toBe('kernels.wasm');
    else expect(build.file).toBe(relaxed ? 'kernels-fma.wasm' : 'kernels.wasm');
    expect(build.fma!.pinned).toBe(name === 'plain' ? '0' : '1');
  });

  test('equals the reference in the three GEMM forms on ragged and conv-like shapes', () => {
    build.setThreads(1);
    let seed = 1;
    for (const [m, k, n] of SHAPES) {
      for (const form of build.forms) {
        for (const accumulate of [false, true]) expect(worstRatio(form, m, k, n, accumulate, seed++)).toBeLessThanOrEqual(1);
      }
    }
  });

  test("Conv2D's forward product (bias + W·cols per sample, into NCHW) equals its definition on ragged shapes", () => {
    build.setThreads(1);
    const rng = new Rng(5);
    for (let i = 0; i < 24; i++) {
      const filters = 1 + Math.floor(rng.uniform(0, 34)), k = 1 + Math.floor(rng.uniform(0, 60));
      const plane = 1 + Math.floor(rng.uniform(0, 70)), batch = 1 + Math.floor(rng.uniform(0, 4));
      expect(convWorstRatio(build, filters, k, plane, batch, i % 3 !== 0, 1000 + i)).toBeLessThanOrEqual(1);
    }
    expect(convWorstRatio(build, 30, 25, 576, 2, true, 7)).toBeLessThanOrEqual(1); // SimpleConvNet's layer
  });

  test("Conv2D's forward product gives the same bits on 1 and 2 threads", () => {
    const rng = new Rng(11);
    const [filters, k, plane, batch] = [30, 25, 121, 13];
    const w = Float32Array.from({ length: filters * k }, () => rng.uniform(-1, 1));
    const cols = Float32Array.from({ length: k * batch * plane }, () => rng.uniform(-1, 1));
    const bias = Float32Array.from({ length: filters }, () => rng.uniform(-1, 1));
    const run = () => {
      const y = new Float32Array(batch * filters * plane);
      build.convForwardProduct(w, cols, y, bias, filters, k, plane, batch);
      return Buffer.from(y.buffer);
    };
    build.setThreads(1);
    const one = run();
    build.setThreads(2);
    const two = run();
    build.setThreads(1);
    expect(two.equals(one)).toBe(true);
  });

  test('gives the same bits on 1 and 2 threads', () => {
    const run = () => SHAPES.flatMap(([m, k, n], s) => build.forms.map((form) => {
      const { a, b, c } = operands(m, k, n, 100 + s);
      form.fast(a, b, c, m, k, n, true);
      return Buffer.from(c.buffer);
    }));
    build.setThreads(1);
    const one = run();
    build.setThreads(2);
    const two = run();
    build.setThreads(1);
    two.forEach((c, i) => expect(c.equals(one[i])).toBe(true));
  });
});

// (They need not differ: relaxed_madd may be an unfused multiply and add on a CPU without FMA.)
test('the two builds agree to float32 rounding', () => {
  builds.plain.setThreads(1);
  builds.fma.setThreads(1);
  const [m, k, n] = [30, 400, 196];
  const { a, b, c } = operands(m, k, n, 7);
  const plain = c.slice(), fma = c.slice();
  builds.plain.forms[0].fast(a, b, plain, m, k, n, false);
  builds.fma.forms[0].fast(a, b, fma, m, k, n, false);
  let worst = 0;
  for (let i = 0; i < plain.length; i++) worst = Math.max(worst, Math.abs(plain[i] - fma[i]));
  // Each is within (k + 2)·eps·Σ|a||b| of the exact sum, and Σ|a||b| ≤ 4k here.
  expect(worst).toBeLessThanOrEqual(2 * (k + 2) * EPS * 4 * k);
});
