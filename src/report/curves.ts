/**
 * The curves of a training run, as [x, y] points for the charts: per epoch from a `History` (train and
 * validation loss and accuracy, the learning rate), and per batch from a `TrainingRecorder` fed by `fit`'s
 * `onBatch` (the loss of every batch and the learning rate of every update).
 *
 * Every curve's x is in epochs, so batch curves and epoch curves share an axis: the end of epoch e is x = e,
 * batch b of B in epoch e sits at x = e − 1 + b/B.
 */
import type { BatchInfo, History } from '../net/train';
import type { Point } from './chart';

export interface EpochCurves {
  trainLoss: Point[];
  valLoss: Point[];
  trainAccuracy: Point[];
  valAccuracy: Point[];
  /** The learning rate of each epoch's last update. */
  lr: Point[];
  /** Seconds each epoch took. */
  seconds: Point[];
}

/** The per-epoch curves of a history (index 0 is epoch 1); non-finite values are kept (a chart breaks there). */
export function epochCurves(history: History): EpochCurves {
  const at = (values: readonly number[]): Point[] => values.map((v, i) => [i + 1, v] as const);
  return {
    trainLoss: at(history.loss),
    valLoss: at(history.valLoss),
    trainAccuracy: at(history.accuracy),
    valAccuracy: at(history.valAccuracy),
    lr: at(history.lr),
    seconds: at(history.seconds),
  };
}

/** The per-batch records of a run: plain arrays, so a report can be built from them anywhere. */
export interface BatchRecords {
  /** Position in epochs: epoch − 1 + batch / batchesPerEpoch. */
  x: number[];
  /** The loss of that batch alone (mean over its samples). */
  loss: number[];
  /** The learning rate of that update. */
  lr: number[];
}

/**
 * Collects the loss and learning rate of every batch from `fit`'s `onBatch`:
 *
 *     const recorder = new TrainingRecorder();
 *     await fit(net, loss, optimizer, data, { ..., onBatch: recorder.onBatch });
 *
 * `onBatch` hands out the epoch's running mean loss; the loss of batch b alone follows from two running
 * means: (mean_b · seen_b − mean_{b−1} · seen_{b−1}) / (seen_b − seen_{b−1}).
 */
export class TrainingRecorder {
  readonly records: BatchRecords = { x: [], loss: [], lr: [] };
  private previousSum = 0;
  private previousSeen = 0;

  /** A bound function: pass it as `onBatch` (or call it from your own). */
  readonly onBatch = (info: BatchInfo): void => {
    if (info.batch === 1) {
      this.previousSum = 0;
      this.previousSeen = 0;
    }
    const sum = info.loss * info.samplesSeen;
    const count = info.samplesSeen - this.previousSeen;
    const batchLoss = count > 0 ? (sum - this.previousSum) / count : info.loss;
    this.previousSum = sum;
    this.previousSeen = info.samplesSeen;
    this.records.x.push(info.epoch - 1 + info.batch / info.batchesPerEpoch);
    this.records.loss.push(batchLoss);
    this.records.lr.push(info.lr);
  };
}

export interface BatchCurves {
  /** Batch losses averaged over buckets of consecutive batches (at most `maxPoints` points). */
  loss: Point[];
  /** An exponential moving average of the batch losses, sampled like `loss`: the trend through the noise. */
  smoothed: Point[];
  /** The learning rate of the updates, sampled like `loss`. */
  lr: Point[];
  /** Batches per point of `loss`. */
  bucket: number;
}

/**
 * The batch curves, thinned to at most `maxPoints` points (a 10-epoch run has thousands of batches; a chart
 * 500 px wide shows no more). Bucket means keep every batch's weight; the moving average (factor `smoothing`
 * per batch, by default 1 − 25/n capped to [0, 0.99], bias-corrected like Adam's moments so the first points are not pulled toward 0) runs over every batch.
 */
export function batchCurves(records: BatchRecords, maxPoints = 400, smoothing?: number): BatchCurves {
  const n = records.loss.length;
  // Default: an average over about n/25 batches (3 in a 90-batch run, 100 at most), so a short run's trend
  // does not lag behind its data and a long run's is smooth.
  const factor = smoothing ?? 1 - 1 / Math.min(100, Math.max(1, n / 25));
  const bucket = Math.max(1, Math.ceil(n / Math.max(1, maxPoints)));
  const loss: Point[] = [];
  const smoothed: Point[] = [];
  const lr: Point[] = [];
  let average = 0;
  let weight = 0;
  for (let start = 0; start < n; start += bucket) {
    const end = Math.min(n, start + bucket);
    let sum = 0;
    let finite = 0;
    for (let i = start; i < end; i++) {
      const v = records.loss[i];
      if (Number.isFinite(v)) {
        sum += v;
        finite++;
        average = factor * average + (1 - factor) * v;
        weight = factor * weight + (1 - factor);
      }
    }
    const x = records.x[end - 1];
    loss.push([x, finite > 0 ? sum / finite : NaN]);
    smoothed.push([x, weight > 0 ? average / weight : NaN]);
    lr.push([x, records.lr[end - 1]]);
  }
  return { loss, smoothed, lr, bucket };
}
