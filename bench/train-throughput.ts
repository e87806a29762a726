/**
 * SimpleConvNet training throughput, measured the same way wherever the core runs: in Node, on a page's main
 * thread and in a Web Worker (`npm run bench -- --browser` runs this very function in all of them). It imports
 * only the core (`src/index.ts`), so the browser benchmark bundles it with the library's one-file build in
 * place of that import.
 *
 * fit() trains the model zoo's SimpleConvNet (conv 30@5×5 → ReLU → MaxPool 2 → Affine 100 → ReLU →
 * Affine 10, softmax cross-entropy) with Adam, batches of 100, for `warmupBatches + windowBatches · windows`
 * updates; every update is time-stamped, and each window of `windowBatches` updates after the warm-up gives one
 * samples/s figure. The median of the windows is the result (a shared machine disturbs single windows).
 */
import { Adam, SoftmaxCrossEntropy, buildMnistModel, fit, getThreads, sliceRows, type Tensor } from '../src/index';

export const BATCH = 100;

export interface Stat {
  median: number;
  min: number;
  max: number;
  windows: number;
}

export function stat(values: number[]): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], windows: sorted.length };
}

export interface ThroughputPlan {
  warmupBatches: number;
  windowBatches: number;
  windows: number;
}

/** The plan of one measurement in a full run (the browser benchmark runs three rounds of it) and in a smoke run (`--quick`). */
export function throughputPlan(quick: boolean): ThroughputPlan {
  return quick ? { warmupBatches: 5, windowBatches: 5, windows: 3 } : { warmupBatches: 10, windowBatches: 20, windows: 3 };
}

/** How many training images a plan needs. */
export function imagesNeeded(plan: ThroughputPlan): number {
  return (plan.warmupBatches + plan.windowBatches * plan.windows) * BATCH;
}

export interface ThroughputResult {
  /** Training samples per second (wall clock), over the windows. */
  train: Stat;
  /** The samples/s of each window, in order. */
  rates: number[];
  /** The kernel threads in use (getThreads()). */
  threads: number;
  /** The mean training loss of the run's last batches: a sanity check that the net learned. */
  loss: number;
}

/** Trains a fresh SimpleConvNet (seed 1) on `train` and times it; `train` must hold imagesNeeded(plan) rows. */
export async function simpleConvNetThroughput(train: { x: Tensor; y: Int32Array }, plan: ThroughputPlan, now: () => number = () => performance.now()): Promise<ThroughputResult> {
  const count = imagesNeeded(plan);
  if (train.x.shape[0] < count) throw new RangeError(`the benchmark needs ${count} training images, got ${train.x.shape[0]}`);
  const net = buildMnistModel('cnn', 1);
  const stamps: number[] = [];
  let loss = NaN;
  await fit(net, new SoftmaxCrossEntropy(), new Adam({ lr: 1e-3 }), { x: sliceRows(train.x, 0, count), y: train.y.subarray(0, count) }, {
    epochs: 1, batchSize: BATCH, seed: 1, shuffle: true,
    onBatch: (info) => {
      stamps.push(now());
      loss = info.loss;
    },
  });
  const rates: number[] = [];
  for (let w = 0; w < plan.windows; w++) {
    // stamps[i] ends update i + 1: a window runs from the end of its first update's predecessor.
    const start = plan.warmupBatches - 1 + w * plan.windowBatches;
    const end = start + plan.windowBatches;
    rates.push((plan.windowBatches * BATCH) / ((stamps[end] - stamps[start]) / 1000));
  }
  return { train: stat(rates), rates, threads: getThreads(), loss };
}
