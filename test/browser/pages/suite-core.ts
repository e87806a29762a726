/**
 * The checks the browser tests run inside a page and a Worker, written once against the core's public API:
 * jest imports this file from src/ (Node's results, the reference), and test/browser/library.test.ts bundles
 * it for the page with `millefeuille` resolved to the real browser bundle dist/browser/millefeuille.mjs —
 * so the page tests the bundle a user ships, not a second build of the sources.
 */
import fc from 'fast-check';
import {
  Affine, AvgPool, BatchNorm, Conv2D, Dropout, Flatten, MaxPool, ReLU, Rng, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh,
  Adam, fit, gradCheck, layerFromConfig, layerKinds, kernelBackend, setKernelBackend, serializeModel, setThreads, threadStatus, threadsReady,
  tensor, wasmStatus, type Layer, type Tensor,
} from '../../../src';

/** A random layer of `kind` and an input shape it takes, or undefined for a kind this table does not know. */
type Case = { layer: Layer; input: number[] };
const CASES: Record<string, (rng: Rng) => Case> = {
  Affine: (r) => ({ layer: new Affine({ units: 1 + r.int(4) }), input: [1 + r.int(3), 1 + r.int(6)] }),
  ReLU: (r) => ({ layer: new ReLU(), input: [1 + r.int(3), 1 + r.int(3), 1 + r.int(4)] }),
  Sigmoid: (r) => ({ layer: new Sigmoid(), input: [1 + r.int(3), 1 + r.int(6)] }),
  Tanh: (r) => ({ layer: new Tanh(), input: [1 + r.int(3), 1 + r.int(6)] }),
  Flatten: (r) => ({ layer: new Flatten(), input: [1 + r.int(3), 1 + r.int(3), 1 + r.int(3), 1 + r.int(3)] }),
  Conv2D: (r) => {
    const k = 1 + r.int(3);
    return {
      layer: new Conv2D({ filters: 1 + r.int(3), kernelSize: k, stride: 1 + r.int(2), padding: r.int(2) }),
      input: [1 + r.int(2), 1 + r.int(3), k + r.int(4), k + r.int(4)],
    };
  },
  MaxPool: (r) => {
    const size = 2 + r.int(2);
    return { layer: new MaxPool({ size, stride: 1 + r.int(size) }), input: [1 + r.int(2), 1 + r.int(3), size + r.int(4), size + r.int(4)] };
  },
  AvgPool: (r) => {
    const size = 2 + r.int(2);
    return { layer: new AvgPool({ size, stride: 1 + r.int(size) }), input: [1 + r.int(2), 1 + r.int(3), size + r.int(4), size + r.int(4)] };
  },
  BatchNorm: (r) => ({ layer: new BatchNorm(), input: r.int(2) === 0 ? [2 + r.int(3), 1 + r.int(5)] : [2 + r.int(2), 1 + r.int(3), 1 + r.int(4), 1 + r.int(4)] }),
  Dropout: (r) => ({ layer: new Dropout({ rate: 0.3 }), input: [1 + r.int(3), 2 + r.int(8)] }),
  LocalResponseNorm: (r) => ({ layer: layerFromConfig('LocalResponseNorm', { size: 1 + r.int(3), alpha: 0.5 }), input: [1 + r.int(2), 1 + r.int(4), 1 + r.int(4), 1 + r.int(4)] }),
  LocalContrastNorm: (r) => ({ layer: layerFromConfig('LocalContrastNorm', { size: 3 }), input: [1 + r.int(2), 1 + r.int(3), 2 + r.int(4), 2 + r.int(4)] }),
};

/** Distinct values 0.04 apart (four finite-difference steps), shuffled, never exactly 0: no ties, no kink at a step. */
function ladder(shape: number[], rng: Rng): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tensor(shape, rng.shuffle(Array.from({ length: size }, (_, i) => (i - size / 2 + 0.5) * 0.04)));
}

export interface GradCheckSummary {
  kinds: string[];
  runs: number;
  worstError: number;
  failures: string[];
}

/** Gradient checks of every registered layer kind on random shapes (fast-check), on the kernels in use. */
export function gradCheckEveryKind(runsPerKind: number, seed: number): GradCheckSummary {
  const kinds = layerKinds();
  const unknown = kinds.filter((k) => !(k in CASES));
  if (unknown.length > 0) return { kinds, runs: 0, worstError: NaN, failures: [`no browser gradient-check case for ${unknown.join(', ')} (test/browser/pages/suite-core.ts)`] };
  let runs = 0;
  let worstError = 0;
  const failures: string[] = [];
  for (const kind of kinds) {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (caseSeed) => {
        const rng = new Rng(caseSeed);
        const { layer, input } = CASES[kind](rng);
        layer.build(input.slice(1), rng);
        const result = gradCheck(layer, ladder(input, rng), { seed: caseSeed, maxCoordinatesPerTensor: 8 });
        runs++;
        worstError = Math.max(worstError, result.maxError);
        if (!result.passed) failures.push(`${kind} on [${input.join(', ')}] (seed ${caseSeed}): worst error ${result.maxError}`);
        return result.passed;
      }),
      { numRuns: runsPerKind, seed },
    );
  }
  return { kinds, runs, worstError, failures };
}

/** A conv net through most kinds, for the kernel comparison and the training runs. */
function convNet(seed: number): Sequential {
  return new Sequential(
    [
      // 16 filters: with batches of 32 the first convolution's product is large enough to be split over threads.
      new Conv2D({ filters: 16, kernelSize: 3, padding: 1 }), new BatchNorm(), new ReLU(), new MaxPool({ size: 2 }),
      new Conv2D({ filters: 6, kernelSize: 3, stride: 2, padding: 1 }), new Tanh(), new AvgPool({ size: 2 }),
      new Flatten(), new Dropout({ rate: 0.2 }), new Affine({ units: 12 }), new ReLU(), new Affine({ units: 3 }),
    ],
    { inputShape: [1, 12, 12], seed },
  );
}

/** Images whose class is where the bright blob sits (left, middle, right). */
function blobs(n: number, seed: number): { x: Tensor; y: Int32Array } {
  const rng = new Rng(seed);
  const x = tensor([n, 1, 12, 12]);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(3);
    for (let p = 0; p < 144; p++) x.data[i * 144 + p] = (Math.floor((p % 12) / 4) === y[i] ? 1 : 0) + rng.gaussian(0, 0.3);
  }
  return { x, y };
}

/**
 * The wasm kernels against the TypeScript ones on random batches through convNet: forward outputs, every
 * param gradient and the input gradient. Sums run in another order, so the bound is relative (mixed).
 */
export function wasmVersusTypeScript(runs: number, seed: number): { runs: number; worstError: number; backends: string[] } {
  const before = kernelBackend();
  let worstError = 0;
  const backends: string[] = [];
  try {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (batch, netSeed) => {
        const data = blobs(batch, netSeed);
        const results = (['wasm', 'ts'] as const).map((backend) => {
          setKernelBackend(backend);
          backends.push(kernelBackend());
          const net = convNet(netSeed);
          const out = net.forward(data.x, true);
          const loss = new SoftmaxCrossEntropy();
          loss.forward(out, data.y);
          const dInput = net.backward(loss.backward());
          return [out.data, ...net.params().map((p) => p.grad), dInput.data].map((a) => Float32Array.from(a));
        });
        results[0].forEach((a, t) =>
          a.forEach((v, i) => {
            const w = results[1][t][i];
            worstError = Math.max(worstError, Math.abs(v - w) / Math.max(1, Math.abs(v), Math.abs(w)));
          }),
        );
        return worstError <= 1e-4;
      }),
      { numRuns: runs, seed },
    );
  } finally {
    setKernelBackend(before);
  }
  return { runs, worstError, backends: [...new Set(backends)] };
}

export interface TrainingResult {
  /** weights.bin of the trained net, as 32-bit words (bit patterns, compared exactly). */
  words: number[];
  losses: number[];
  kernels: string;
  threads: { threads: number; host: string | null; partsRunByWorkers: number };
}

/**
 * A few epochs of Adam on blob images with `threads` threads, from a fixed seed: the weights must be the same
 * bits in Node, in a page, in a Worker, with one thread or several.
 */
export async function trainSteps(seed: number, threads: number): Promise<TrainingResult> {
  setThreads(threads);
  await threadsReady();
  try {
    const net = convNet(seed);
    const data = blobs(96, seed + 1);
    const history = await fit(net, new SoftmaxCrossEntropy(), new Adam({ lr: 3e-3 }), data, { epochs: 3, batchSize: 32, seed });
    const weights = serializeModel(net).weights;
    return {
      words: Array.from(new Uint32Array(weights.buffer, weights.byteOffset, weights.byteLength / 4)),
      losses: history.loss,
      kernels: `${kernelBackend()} ${wasmStatus().file ?? ''}`.trim(),
      threads: threadStatus(),
    };
  } finally {
    setThreads(1);
  }
}

/** setThreads(n) here: 'ok', or the error's name and message (the page shows what a user would see). */
export function trySetThreads(n: number): { ok: boolean; name?: string; message?: string; isolated: boolean } {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  try {
    setThreads(n);
    setThreads(1);
    return { ok: true, isolated };
  } catch (err) {
    return { ok: false, name: (err as Error).name, message: (err as Error).message, isolated };
  }
}
