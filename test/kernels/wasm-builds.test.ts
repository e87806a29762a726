/**
 * Both wasm builds — the plain SIMD128 one and the relaxed-SIMD one with fused multiply-adds — equal the
 * reference, and each is bit-identical on 1 and 2 threads. Each build is loaded in its own module registry
 * (jest.isolateModules with NN_WASM_FMA pinned), so one test run proves both whichever is the default here.
 */
import { Rng } from '../../src/random';
import { windowGeometry, withBatch, type WindowGeometry } from '../../src/kernels/conv-geometry';
import { conv2dBackwardReference, im2colReference } from '../../src/kernels/reference';

type Kernel = (a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, acc: boolean) => void;
type Form = { fast: Kernel; reference: Kernel };

interface Build {
  file: string | null;
  /** The kernel backend in use (NN_KERNELS): "wasm", or "ts"/"reference" when pinned. */
  backend: string;
  fma: { used: boolean; relaxedSimd: boolean; pinned: string } | null;
  forms: Form[];
  convForwardProduct: (w: Float32Array, x: Float32Array, cols: Float32Array, y: Float32Array, bias: Float32Array | undefined,
    filters: number, g: WindowGeometry) => void;
  convInputGradient: (w: Float32Array, dy: Float32Array, dx: Float32Array, filters: number, g: WindowGeometry, sampleCols: Float32Array) => void;
  convWeightGradient: (dy: Float32Array, x: Float32Array, dw: Float32Array, biasGrad: Float32Array | undefined, filters: number,
    g: WindowGeometry, cols: Float32Array, colsFilled: boolean, dyRows: Float32Array) => void;
  /** Whether the per-sample wasm dW kernel takes this window (it then reads x, never cols). */
  weightGradientReadsInput: (g: WindowGeometry) => boolean;
  /** Calls the zero-skipping dW kernel has run so far (conv-weight-gradient-sparse.ts). */
  sparseRuns: () => number;
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
      const inputGradient = require('../../src/kernels/conv-input-gradient');
      const weightGradient = require('../../src/kernels/conv-weight-gradient');
      const sparse = require('../../src/kernels/wasm/conv-weight-gradient-sparse');
      const status = backend.wasmStatus();
      build = {
        file: status.file,
        backend: backend.kernelBackend(),
        fma: status.fma,
        setThreads: threads.setThreads,
        convForwardProduct: conv.convForwardProduct,
        convInputGradient: inputGradient.convInputGradient,
        convWeightGradient: weightGradient.convWeightGradient,
        weightGradientReadsInput: weightGradient.weightGradientReadsInput,
        sparseRuns: sparse.sparseWeightGradientRuns,
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

/** A convolution window: `channels`×h×w input, k×k kernel, the stride and padding given. */
function convWindow(batch: number, channels: number, h: number, w: number, kernel: number, stride: number, padding: number): WindowGeometry {
  return withBatch(windowGeometry('test', [channels, h, w], [kernel, kernel], [stride, stride], padding), batch);
}

/**
 * Conv2D's forward product (built from x by the wasm kernel, from cols = im2col(x) by the definition here)
 * against its definition in float64: worst error over the float32 bound (≤ 1 passes).
 */
function convWorstRatio(build: Build, filters: number, g: WindowGeometry, withBias: boolean, seed: number): number {
  const rng = new Rng(seed);
  const fill = (len: number) => Float32Array.from({ length: len }, () => rng.uniform(-2, 2));
  const k = g.channels * g.kernelH * g.kernelW, plane = g.outH * g.outW, batch = g.batch;
  const x = fill(batch * g.channels * g.inH * g.inW), cols = im2colReference(x, g);
  const w = fill(filters * k), bias = withBias ? fill(filters) : undefined;
  const y = fill(batch * filters * plane + 3); // longer than needed, and not zero: every element must be written
  const tail = y.slice(batch * filters * plane);
  build.convForwardProduct(w, x, cols, y, bias, filters, g);
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

/**
 * Conv2D's input gradient (col2im(Wᵀ·dy_n) per sample) against the float64 definition: worst error over the
 * float32 bound of an F-term sum then a kh·kw-term one (≤ 1 passes). Also returns dx's bytes.
 */
function inputGradientWorstRatio(build: Build, filters: number, g: WindowGeometry, seed: number): { worst: number; bytes: Buffer } {
  const rng = new Rng(seed);
  const fill = (len: number) => Float32Array.from({ length: len }, () => rng.uniform(-2, 2));
  const k = g.channels * g.kernelH * g.kernelW, plane = g.outH * g.outW;
  const xLength = g.batch * g.channels * g.inH * g.inW;
  const w = fill(filters * k), dy = fill(g.batch * filters * plane);
  const dx = fill(xLength + 3); // not zero: every element must be written; past dx, nothing is
  const tail = dx.slice(xLength);
  build.convInputGradient(w, dy, dx, filters, g, new Float32Array(k * plane));
  const exact = conv2dBackwardReference(new Float32Array(xLength), w, dy, filters, g).dInput;
  const magnitude = conv2dBackwardReference(new Float32Array(xLength), w.map(Math.abs), dy.map(Math.abs), filters, g).dInput;
  let worst = 0;
  for (let i = 0; i < xLength; i++) {
    worst = Math.max(worst, Math.abs(dx[i] - exact[i]) / ((filters + g.kernelH * g.kernelW + 2) * EPS * magnitude[i] + Number.MIN_VALUE));
  }
  for (let i = 0; i < tail.length; i++) if (dx[xLength + i] !== tail[i]) worst = Infinity;
  return { worst, bytes: Buffer.from(dx.buffer, 0, xLength * 4) };
}

/** Input-gradient cases: random windows (ragged K and P, strides, paddings, batch 1) and the MNIST models' shapes. */
function inputGradientCases(): [number, WindowGeometry][] {
  const rng = new Rng(21);
  const int = (lo: number, hi: number) => lo + Math.floor(rng.uniform(0, hi - lo + 1));
  const cases: [number, WindowGeometry][] = [];
  for (let i = 0; i < 24; i++) {
    const kernel = int(1, 5), stride = int(1, 3), padding = int(0, kernel - 1);
    cases.push([int(1, 34), convWindow(i % 4 === 0 ? 1 : int(2, 5), int(1, 6), int(kernel, 17), int(kernel, 19), kernel, stride, padding)]);
  }
  cases.push([32, convWindow(3, 16, 14, 14, 5, 1, 2)]); // the default model's second Conv2D
  cases.push([16, convWindow(2, 1, 28, 28, 5, 1, 2)]); // its first
  cases.push([7, withBatch(windowGeometry('test', [3, 9, 11], [4, 4], [1, 1], 'same'), 2)]); // even kernel, 'same'
  cases.push([6, withBatch(windowGeometry('test', [2, 15, 10], [3, 5], [2, 1], [1, 2]), 3)]); // stride [2, 1]
  cases.push([3, convWindow(2, 20, 50, 50, 3, 1, 1)]); // K·P = 450,000 floats: past the workspace, the per-sample fallback
  return cases;
}

/**
 * Stride-1 windows for the scatter kernel (assembly/conv-input-gradient-scatter.ts): channels in whole or
 * nearly whole 4-channel blocks (4, 7, 8, 12, 15, 16), kernels 1..7 both ways and non-square, paddings from 0
 * to past the kernel, odd sizes (panels crossing output rows at every lane, a last partial panel or none),
 * 'same' with even kernels (more padding after than before); a few it declines (outW < 8, C = 5) go to the
 * dcols + col2im kernel.
 */
function scatterCases(): [number, WindowGeometry][] {
  const rng = new Rng(23);
  const int = (lo: number, hi: number) => lo + Math.floor(rng.uniform(0, hi - lo + 1));
  const cases: [number, WindowGeometry][] = [];
  const channels = [4, 7, 8, 12, 15, 16];
  for (let i = 0; i < 18; i++) {
    const kh = int(1, 7), kw = int(1, 7), ph = int(0, kh), pw = int(0, kw);
    const h = int(Math.max(1, kh - 2 * ph), 17), w = int(Math.max(8, kw - 2 * pw + 7), 21);
    const g = windowGeometry('test', [channels[i % channels.length], h, w], [kh, kw], [1, 1], [ph, pw]);
    cases.push([int(1, 37), withBatch(g, int(1, 3))]);
  }
  cases.push([9, withBatch(windowGeometry('test', [8, 12, 13], [4, 6], [1, 1], 'same'), 2)]); // even kernels, 'same'
  cases.push([5, withBatch(windowGeometry('test', [4, 9, 8], [2, 2], [1, 1], 'same'), 3)]); // P = 72: no partial panel
  cases.push([6, withBatch(windowGeometry('test', [12, 6, 6], [3, 3], [1, 1], 1), 2)]); // outW = 6: declined
  cases.push([6, withBatch(windowGeometry('test', [5, 10, 11], [3, 3], [1, 1], 1), 2)]); // C = 5: declined
  cases.push([7, withBatch(windowGeometry('test', [6, 8, 8], [3, 3], [1, 1], 'same'), 2)]); // C = 6: the FMA build's 5×8 tile, P = 64
  return cases;
}

/**
 * Conv2D's weight and bias gradients (dW += Σ_n dy_n·patches_nᵀ, db += Σ dy; accumulated onto non-zero
 * gradients) against the float64 definition: worst error over the float32 bound of an (N·P + 2)-term sum
 * (≤ 1 passes). Where the per-sample wasm kernel must run (one sample's patches fit its buffer), cols is
 * NaN and claimed filled, so the batch-wide fallback would fail; past the buffer that fallback runs. Also
 * returns dW's and db's bytes.
 */
function weightGradientWorstRatio(
  build: Build, filters: number, g: WindowGeometry, seed: number, zeros = 0, poison?: (x: Float32Array, dy: Float32Array) => void,
): { worst: number; bytes: Buffer } {
  const rng = new Rng(seed);
  const fill = (len: number) => Float32Array.from({ length: len }, () => rng.uniform(-2, 2));
  const k = g.channels * g.kernelH * g.kernelW, plane = g.outH * g.outW;
  const x = fill(g.batch * g.channels * g.inH * g.inW), dy = fill(g.batch * filters * plane);
  // A fraction `zeros` of dy set to 0 (half of them −0), as ReLU + MaxPool's backward leave it; then poison's NaN/±Inf.
  for (let i = 0; i < dy.length; i++) if (rng.uniform(0, 1) < zeros) dy[i] = i % 2 === 0 ? 0 : -0;
  poison?.(x, dy);
  const dw = fill(filters * k), db = fill(filters), dw0 = dw.slice(), db0 = db.slice();
  // NN_KERNELS=ts|reference runs the batch-wide path whatever the window, so cols must hold real numbers there.
  const perSample = build.weightGradientReadsInput(g);
  expect(perSample).toBe(build.backend === 'wasm' && !pastThePatchBuffer(g));
  const cols = new Float32Array(k * g.batch * plane).fill(perSample ? NaN : 0);
  build.convWeightGradient(dy, x, dw, db, filters, g, cols, perSample, new Float32Array(filters * g.batch * plane));
  const exact = conv2dBackwardReference(x, new Float32Array(filters * k), dy, filters, g);
  const magnitude = conv2dBackwardReference(x.map(Math.abs), new Float32Array(filters * k), dy.map(Math.abs), filters, g);
  const bound = (g.batch * plane + 2) * EPS;
  let worst = 0;
  const check = (got: Float32Array, start: Float32Array, sum: Float64Array, mag: Float64Array) => {
    for (let i = 0; i < got.length; i++) {
      const want = start[i] + sum[i];
      // A NaN or ±Inf of the definition must come out as the same NaN or infinity (float32 rounding aside).
      if (!Number.isFinite(want) || !Number.isFinite(got[i])) worst = Object.is(got[i], want) || (Number.isNaN(got[i]) && Number.isNaN(want)) ? worst : Infinity;
      else worst = Math.max(worst, Math.abs(got[i] - want) / (bound * (Math.abs(start[i]) + mag[i]) + Number.MIN_VALUE));
    }
  };
  check(dw, dw0, exact.dWeights, magnitude.dWeights);
  check(db, db0, exact.dBias, magnitude.dBias);
  return { worst, bytes: Buffer.concat([Buffer.from(dw.buffer), Buffer.from(db.buffer)]) };
}

/**
 * The one weight-gradient case whose padded sample (2 × 262 × 262 floats) and patch rows both exceed a thread's
 * patch buffer (128 Ki floats): the batch-wide fallback runs.
 */
function pastThePatchBuffer(g: WindowGeometry): boolean {
  return g.inH === 260;
}

/**
 * Weight-gradient cases: the input-gradient ones (the in-place GEMM, K·P = 450,000 in blocks of P) plus the
 * dot kernel's (small dW, long sum: P mod 4 = 0 and ≠ 0, patch rows from the padded copy and, stride 2, from
 * x), the kw = 5 runs' (filters off the 8-filter panel, split by panels and by runs, stride 2), a short one
 * and one past the patch buffer.
 */
function weightGradientCases(): [number, WindowGeometry][] {
  return [
    ...inputGradientCases(),
    [30, convWindow(2, 1, 28, 28, 5, 1, 0)], // SimpleConvNet's layer: the kw = 5 runs (FMA build; plain: the dot kernel), 2 threads
    [12, convWindow(4, 6, 19, 18, 5, 1, 2)], // runs: 2 panels (the second half empty), P mod 4 = 2, split by panels
    [5, convWindow(6, 3, 17, 19, 5, 1, 1)], // runs: 1 panel of 5 filters, split by whole runs (15 runs), P mod 4 = 3
    [10, convWindow(12, 2, 19, 17, 5, 2, 2)], // runs, stride 2
    [7, convWindow(3, 2, 20, 23, 3, 1, 1)], // dot kernel, K = 18, P = 460
    [9, convWindow(3, 2, 21, 23, 3, 1, 1)], // dot kernel, P = 483: a P mod 4 tail every sample
    [6, convWindow(8, 1, 28, 27, 3, 2, 0)], // dot kernel, stride 2 (patch rows from x), P = 169
    [5, convWindow(1, 3, 9, 8, 2, 2, 1)], // batch 1, stride 2
    [13, convWindow(3, 7, 12, 11, 3, 1, 1)], // in-place GEMM, K = 63: 2 threads split a window row (j0 = 32)
    [2, convWindow(1, 2, 260, 260, 3, 1, 1)], // past the patch buffer: the batch-wide fallback
  ];
}

/**
 * Zero-skipping dW cases (K = C·kh·kw from 16 up, the rule's range): SimpleConvNet's layer, ragged planes (P mod 4
 * ≠ 0), strides and paddings, K = 64, 75 and 100 (more than one block of accumulators), P past one block of patchesᵀ
 * rows (P = 1,681: several blocks, the last not a multiple of 4), batch 1 (one sample group) to 8 (four, of 1–2
 * samples); the batch-8 and batch-7 cases have enough nonzeros to split over 2 threads (whole sample groups).
 */
function sparseWeightGradientCases(): [number, WindowGeometry][] {
  return [
    [30, convWindow(2, 1, 28, 28, 5, 1, 0)],
    [13, convWindow(3, 1, 13, 11, 4, 1, 1)],
    [7, convWindow(2, 2, 15, 17, 3, 2, 1)],
    [5, convWindow(1, 3, 9, 10, 5, 2, 2)],
    [1, convWindow(4, 4, 10, 9, 4, 1, 0)],
    [9, convWindow(2, 4, 12, 12, 5, 1, 2)],
    [6, convWindow(2, 1, 41, 41, 5, 1, 2)],
    [3, withBatch(windowGeometry('test', [2, 11, 9], [4, 3], [2, 1], [1, 2]), 3)],
    [30, convWindow(8, 1, 28, 28, 5, 1, 0)],
    [16, convWindow(7, 3, 20, 20, 5, 1, 2)],
  ];
}

const builds: Record<string, Build> = { plain: loadBuild('0'), fma: loadBuild('1') };
const relaxed = builds.fma.fma!.relaxedSimd;

/** `run` on 1 and then on 2 kernel threads (back to 1 afterwards): the bit-identity tests compare the two. */
function onOneAndTwoThreads<T>(build: Build, run: () => T): { one: T; two: T } {
  build.setThreads(1);
  const one = run();
  build.setThreads(2);
  const two = run();
  build.setThreads(1);
  return { one, two };
}

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

  test("Conv2D's forward product (bias + W·patches per sample, into NCHW) equals its definition on ragged shapes", () => {
    build.setThreads(1);
    const rng = new Rng(5);
    const int = (lo: number, hi: number) => lo + Math.floor(rng.uniform(0, hi - lo + 1));
    for (let i = 0; i < 32; i++) {
      // Filters and planes off the 4×8 tile, sums not a multiple of 4, strides and paddings of both signs of fit.
      const kernel = int(1, 5), stride = int(1, 3), padding = int(0, kernel - 1);
      const g = convWindow(int(1, 4), int(1, 6), int(kernel, 17), int(kernel, 19), kernel, stride, padding);
      expect(convWorstRatio(build, int(1, 34), g, i % 3 !== 0, 1000 + i)).toBeLessThanOrEqual(1);
    }
    expect(convWorstRatio(build, 30, convWindow(2, 1, 28, 28, 5, 1, 0), true, 7)).toBeLessThanOrEqual(1); // SimpleConvNet's layer
    expect(convWorstRatio(build, 32, convWindow(2, 16, 14, 14, 5, 1, 2), false, 8)).toBeLessThanOrEqual(1); // the default model's second
    expect(convWorstRatio(build, 9, convWindow(1, 37, 7, 6, 5, 1, 2), true, 9)).toBeLessThanOrEqual(1); // K = 925: two sum blocks
    expect(convWorstRatio(build, 5, convWindow(1, 2, 40, 33, 3, 1, 1), true, 10)).toBeLessThanOrEqual(1); // P = 1320: two column blocks
    expect(convWorstRatio(build, 300, convWindow(1, 1, 6, 6, 3, 1, 0), true, 11)).toBeLessThanOrEqual(1); // F > 256: two row chunks
    // 'same' with an even kernel (padding 1 before, 2 after), and stride 2 down but 1 across (the padded-copy path).
    const same = withBatch(windowGeometry('test', [3, 9, 11], [4, 4], [1, 1], 'same'), 2);
    expect(convWorstRatio(build, 7, same, true, 12)).toBeLessThanOrEqual(1);
    const tall = withBatch(windowGeometry('test', [2, 15, 10], [3, 5], [2, 1], [1, 2]), 3);
    expect(convWorstRatio(build, 6, tall, false, 13)).toBeLessThanOrEqual(1);
  });

  test("Conv2D's forward product from the padded copy equals its definition for every window width up to 36, odd and even heights", () => {
    // The padded-copy path unrolls window rows per width (outW ≤ 32), writes two rows at a time for
    // outW = 4q + 2, and zeroes the padding once per call: widths 1..36, heights of both parities, kernels
    // 1..7 (not square), strides 1 and 2 down, paddings up to kernel − 1, odd channels and filters.
    build.setThreads(1);
    const rng = new Rng(6);
    const int = (lo: number, hi: number) => lo + Math.floor(rng.uniform(0, hi - lo + 1));
    for (let outW = 1; outW <= 36; outW++) {
      for (const parity of [0, 1]) {
        const kh = int(1, 7), kw = int(1, 7), strideH = int(1, 2);
        const padH = int(0, kh - 1), padW = Math.min(int(0, kw - 1), Math.floor((outW + kw - 2) / 2));
        const outH = 2 * int(1, 4) - parity;
        const inH = Math.max(1, (outH - 1) * strideH + kh - 2 * padH), inW = outW - 1 + kw - 2 * padW;
        const g = withBatch(windowGeometry('test', [int(1, 5), inH, inW], [kh, kw], [strideH, 1], [padH, padW]), int(1, 3));
        expect(g.outW).toBe(outW);
        expect(convWorstRatio(build, int(1, 13), g, parity === 0, 2000 + 2 * outW + parity)).toBeLessThanOrEqual(1);
      }
    }
  });

  test("Conv2D's forward product pairs two samples' last ≤ 4 columns into one panel: every plane mod 8, two sum blocks, odd batches", () => {
    // Planes 3·outW for outW 1..8 end on panels of every width; K = 33·25 = 825 accumulates through y in two
    // sum blocks; 30 and 31 filters end on 2- and 3-row blocks; 3 samples leave the last one unpaired.
    build.setThreads(1);
    for (let outW = 1; outW <= 8; outW++) {
      const g = withBatch(windowGeometry('test', [33, 3, outW], [5, 5], [1, 1], 2), 3);
      expect(convWorstRatio(build, 30 + (outW & 1), g, outW % 3 !== 0, 3000 + outW)).toBeLessThanOrEqual(1);
    }
  });

  test("Conv2D's forward product gives the same bits on 1 and 2 threads", () => {
    const rng = new Rng(11);
    const filters = 30, g = convWindow(13, 3, 13, 13, 3, 1, 1);
    const k = g.channels * g.kernelH * g.kernelW;
    const w = Float32Array.from({ length: filters * k }, () => rng.uniform(-1, 1));
    const x = Float32Array.from({ length: g.batch * g.channels * g.inH * g.inW }, () => rng.uniform(-1, 1));
    const cols = im2colReference(x, g);
    const bias = Float32Array.from({ length: filters }, () => rng.uniform(-1, 1));
    const run = () => {
      const y = new Float32Array(g.batch * filters * g.outH * g.outW);
      build.convForwardProduct(w, x, cols, y, bias, filters, g);
      return Buffer.from(y.buffer);
    };
    const { one, two } = onOneAndTwoThreads(build, run);
    expect(two.equals(one)).toBe(true);
  });

  test("Conv2D's input gradient (col2im(Wᵀ·dy_n) per sample) equals its definition, the same bits on 1 and 2 threads", () => {
    const run = () => inputGradientCases().map(([filters, g], i) => inputGradientWorstRatio(build, filters, g, 300 + i));
    const { one, two } = onOneAndTwoThreads(build, run);
    one.forEach((r, i) => {
      expect(r.worst).toBeLessThanOrEqual(1);
      expect(two[i].bytes.equals(r.bytes)).toBe(true);
    });
  });

  test("Conv2D's input gradient on stride-1 windows (tiles added straight into dx) equals its definition, the same bits on 1 and 2 threads", () => {
    const run = () => scatterCases().map(([filters, g], i) => inputGradientWorstRatio(build, filters, g, 400 + i));
    const { one, two } = onOneAndTwoThreads(build, run);
    one.forEach((r, i) => {
      expect(r.worst).toBeLessThanOrEqual(1);
      expect(two[i].bytes.equals(r.bytes)).toBe(true);
    });
  });

  test("Conv2D's dW and db from a mostly-zero dy (the zero-skipping kernel) equal their definition, the same bits on 1 and 2 threads", () => {
    for (const zeros of [0.75, 0.9, 0.99, 1]) {
      const before = build.sparseRuns();
      const run = () => sparseWeightGradientCases().map(([filters, g], i) => weightGradientWorstRatio(build, filters, g, 700 + i, zeros));
      const { one, two } = onOneAndTwoThreads(build, run);
      one.forEach((r, i) => {
        expect(r.worst).toBeLessThanOrEqual(1);
        expect(two[i].bytes.equals(r.bytes)).toBe(true);
      });
      if (build.backend === 'wasm') expect(build.sparseRuns() - before).toBe(2 * sparseWeightGradientCases().length);
    }
    // A dense dy keeps the dense paths.
    const before = build.sparseRuns();
    sparseWeightGradientCases().forEach(([filters, g], i) => expect(weightGradientWorstRatio(build, filters, g, 800 + i, 0.5).worst).toBeLessThanOrEqual(1));
    expect(build.sparseRuns()).toBe(before);
  });

  // Unpadded: the definition skips the padding, the kernels (dense and sparse alike) multiply its zeros, so a NaN in dy
  // next to the padding gives NaN in the kernels' dW where the definition has a number.
  test("Conv2D's dW from a mostly-zero dy: NaN and ±Inf propagate as in the definition (in dy: the sparse kernel; in x: the dense one, for 0·Inf)", () => {
    const [filters, g] = sparseWeightGradientCases()[0];
    const plane = g.outH * g.outW;
    const inDy = (x: Float32Array, dy: Float32Array) => { dy[5] = NaN; dy[plane + 7] = Infinity; dy[2 * plane + 3] = -Infinity; };
    const inX = (x: Float32Array) => { x[17] = Infinity; x[40] = NaN; };
    for (const poison of [inDy, inX]) {
      const before = build.sparseRuns();
      const { one, two } = onOneAndTwoThreads(build, () => weightGradientWorstRatio(build, filters, g, 900, 0.9, poison));
      expect(one.worst).toBeLessThanOrEqual(1);
      expect(two.bytes.equals(one.bytes)).toBe(true);
      if (build.backend === 'wasm') expect(build.sparseRuns() - before).toBe(poison === inDy ? 2 : 0);
    }
  });

  test("Conv2D's weight and bias gradients (per sample from x) equal their definition, the same bits on 1 and 2 threads", () => {
    const run = () => weightGradientCases().map(([filters, g], i) => weightGradientWorstRatio(build, filters, g, 500 + i));
    const { one, two } = onOneAndTwoThreads(build, run);
    one.forEach((r, i) => {
      expect(r.worst).toBeLessThanOrEqual(1);
      expect(two[i].bytes.equals(r.bytes)).toBe(true);
    });
  });

  test('gives the same bits on 1 and 2 threads', () => {
    const run = () => SHAPES.flatMap(([m, k, n], s) => build.forms.map((form) => {
      const { a, b, c } = operands(m, k, n, 100 + s);
      form.fast(a, b, c, m, k, n, true);
      return Buffer.from(c.buffer);
    }));
    const { one, two } = onOneAndTwoThreads(build, run);
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
