/**
 * The checks the browser tests run inside a page and a Worker, written once against the core's public API:
 * jest imports this file from src/ (Node's results, the reference), and test/browser/library.test.ts bundles
 * it for the page with `millefeuille` resolved to the real browser bundle dist/browser/millefeuille.mjs —
 * so the page tests the bundle a user ships, not a second build of the sources.
 */
import fc from 'fast-check';
import {
  Affine, AvgPool, BatchNorm, Conv2D, Dropout, Flatten, MaxPool, ReLU, Rng, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh,
  Adam, fit, kernelBackend, setKernelBackend, serializeModel, setThreads, threadStatus, threadsReady,
  tensor, wasmStatus, type Layer, type Tensor,
} from '../../../src';

// Gradient checks of every registered kind, from the registry's examples: the same function the Node suite runs.
export { gradCheckEveryKind, type GradCheckSummary } from '../../helpers/every-kind';

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
