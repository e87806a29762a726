/**
 * The training loop: `fit`, and `evaluate` / `predict` in inference mode (ARCHITECTURE §8).
 *
 * One training step, always in this order (the rule of layer separation — the optimizer touches the
 * weights only after backward has finished for the whole net, since the chain rule assumed the weights
 * of the forward pass):
 *
 *     zeroGrad → net.forward(x, training = true) → loss.forward → loss.backward → net.backward → optimizer.step
 *
 * Conventions:
 * - epochs in callbacks, history and errors count from 1 ("epoch 3 of 10"); a schedule receives the number
 *   of completed epochs (from 0) and the global step count (updates done before this one), so the first
 *   update uses the schedule's η₀;
 * - every epoch visits every training sample once, in an order shuffled by the fit's own Rng (derived from
 *   `seed`, independent of the net's Rng that initialises weights and draws Dropout masks); the last partial
 *   batch (N mod batchSize samples) is KEPT unless `dropLast` is set — a last batch of one sample is merged
 *   into the one before it (epochBatches: BatchNorm cannot train on a batch of one);
 * - the same net seed, fit seed and data give bit-identical weights.
 */
import type { Loss, Targets } from '../losses/loss';
import type { Optimizer } from '../optimizers/optimizer';
import { scheduleFromConfig, type Schedule, type ScheduleConfig } from '../optimizers/schedules';
import { MemoryOwner } from '../memory';
import { yieldToEventLoop } from '../platform';
import { Rng, type RngState } from '../random';
import { ShapeError, formatShape, shapesEqual, sizeOf, type Tensor } from '../tensor';
import { BatchGatherer, RowReader, epochBatches, fillOrder, sampleCount, sliceTargets, splitTail, type Dataset, type Inputs } from '../data/batches';
import { assertFiniteDataset, assertFiniteInputs } from '../data/finite';
import { OptionError } from '../errors';
import { globalGradNorm } from '../optimizers/optimizer';
import { checkOptionNames, nonNegativeIntegerOption, nonNegativeOption, positiveIntegerOption } from '../options';
import { TrainingDivergedError } from './errors';
import type { Sequential } from './sequential';

export interface FitOptions {
  /** Total number of epochs to train (a resumed run continues until this count). */
  epochs: number;
  batchSize: number;
  /** Learning rate per update; default: the optimizer's own `lr` throughout. */
  schedule?: Schedule;
  /** Held-out data evaluated after every epoch (inference mode). */
  validation?: Dataset;
  /** Or: use the last ⌈fraction·N⌉ training samples as validation (a fixed tail, not a random draw). */
  validationSplit?: number;
  /** Shuffle the training order every epoch (default true). */
  shuffle?: boolean;
  /** Seed of the fit's Rngs (shuffle order, augmentation); default 0. */
  seed?: number;
  /** Drop the last partial batch of each epoch (default false: it is trained on; a last batch of one joins the one before). */
  dropLast?: boolean;
  /** Called after every update; enough for a progress bar. */
  onBatch?: (info: BatchInfo) => void;
  /** Called after every epoch (after validation); may return a promise (an async checkpoint save), awaited. */
  onEpoch?: (info: EpochInfo) => void | Promise<void>;
  /** Stop when the validation loss has not improved by more than `minDelta` for this many epochs. */
  patience?: number;
  /** Smallest decrease of the validation loss that counts as an improvement (default 0). */
  minDelta?: number;
  /**
   * On early stopping, put back the weights (and buffers) of the best epoch (default true). After a resume
   * this works when the best epoch is the resumed one or a later one (earlier weights are not saved).
   */
  restoreBestWeights?: boolean;
  /**
   * Training-time augmentation of each gathered batch, drawing from the fit's augmentation Rng. It may change
   * `batchX` in place, or return a tensor of the same shape to train on instead (it may reuse that tensor).
   */
  augment?: (batchX: Tensor, rng: Rng) => Tensor | void;
  /** Checked between batches: once aborted, fit stops and returns the history so far (`stopReason: 'aborted'`). */
  signal?: AbortSignal;
  /** Continue a run from the state an `onEpoch` handed out (restore the optimizer with `loadState` too). */
  resume?: TrainingState;
}

export interface BatchInfo {
  /** From 1. */
  epoch: number;
  epochs: number;
  /** From 1. */
  batch: number;
  batchesPerEpoch: number;
  /** Sample-weighted mean loss of this epoch's batches so far. */
  loss: number;
  /** Fraction of this epoch's samples so far classified right (NaN when the targets are not classes). */
  accuracy: number;
  samplesSeen: number;
  samplesPerEpoch: number;
  /** The learning rate of this update. */
  lr: number;
  /** Global number of updates done, this one included. */
  step: number;
}

export interface EpochInfo {
  /** From 1. */
  epoch: number;
  epochs: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  lr: number;
  /** The whole epoch: trainSeconds + validationSeconds. */
  seconds: number;
  /** The batches alone (what a throughput in samples/s should divide by). */
  trainSeconds: number;
  /** Evaluating the validation data after the batches (0 without validation). */
  validationSeconds: number;
  /** Whether this epoch's validation loss is the best so far (true without validation). */
  improved: boolean;
  history: History;
  /** Everything besides weights and optimizer state needed to resume after this epoch. */
  trainingState(): TrainingState;
}

/** Per-epoch records, index 0 = epoch 1; the val arrays are empty without validation. */
export interface History {
  loss: number[];
  accuracy: number[];
  valLoss: number[];
  valAccuracy: number[];
  /** The learning rate of the epoch's last update. */
  lr: number[];
  seconds: number[];
  /** Why training ended. */
  stopReason: 'completed' | 'early-stopping' | 'aborted';
  /** With validation: the epoch (from 1) of the lowest validation loss. */
  bestEpoch?: number;
}

/** Plain JSON: where a run stands after an epoch, so that `resume` continues it exactly. */
export interface TrainingState {
  /** Completed epochs. */
  epoch: number;
  /** Global update count. */
  step: number;
  seed: number;
  shuffleRng: RngState;
  augmentRng: RngState;
  /** The net's Rng (Dropout masks). */
  netRng: RngState;
  schedule?: ScheduleConfig;
  bestValLoss: number | null;
  bestEpoch: number | null;
  epochsWithoutImprovement: number;
  history: History;
}

const FIT_OPTIONS = [
  'epochs', 'batchSize', 'schedule', 'validation', 'validationSplit', 'shuffle', 'seed', 'dropLast', 'onBatch',
  'onEpoch', 'patience', 'minDelta', 'restoreBestWeights', 'augment', 'signal', 'resume',
];

/** The loop yields to the event loop this often, so that a signal (Ctrl-C) can be handled mid-epoch. */
const YIELD_EVERY_MS = 50;

/**
 * Train `net` on `data` and return the per-epoch history. Refuses data holding NaN or ±Infinity
 * (NonFiniteDataError naming the first bad sample). Throws `TrainingDivergedError` (naming epoch and batch)
 * as soon as a batch's loss or gradient norm is NaN or infinite, before that batch's update.
 */
export async function fit(
  net: Sequential,
  loss: Loss,
  optimizer: Optimizer,
  data: Dataset,
  options: FitOptions,
): Promise<History> {
  // fit's temporaries (the batch buffers, the best epoch's weights) are one owner's blocks, given back
  // however the run ends (docs/memory.md).
  const temporaries = new MemoryOwner('fit');
  try {
    return await fitWith(temporaries, net, loss, optimizer, data, options);
  } finally {
    temporaries.dispose();
  }
}

async function fitWith(
  temporaries: MemoryOwner,
  net: Sequential,
  loss: Loss,
  optimizer: Optimizer,
  data: Dataset,
  options: FitOptions,
): Promise<History> {
  checkOptionNames('fit', options, FIT_OPTIONS);
  const epochs = positiveIntegerOption('fit', 'epochs', options.epochs);
  const batchSize = positiveIntegerOption('fit', 'batchSize', options.batchSize);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new OptionError(`fit: option "seed" must be an integer, got ${String(seed)}`);
  const patience = options.patience === undefined ? undefined : nonNegativeIntegerOption('fit', 'patience', options.patience);
  const minDelta = nonNegativeOption('fit', 'minDelta', options.minDelta, 0);
  const shuffle = options.shuffle ?? true;
  const restoreBest = options.restoreBestWeights ?? true;

  let train = data;
  let validation = options.validation;
  if (options.validationSplit !== undefined) {
    if (validation !== undefined) throw new OptionError('fit: give either "validation" or "validationSplit", not both');
    ({ train, validation } = splitTail(data, options.validationSplit));
  }
  const n = sampleCount(train, 'training data');
  checkInputShape(net, train.x, 'training data');
  assertFiniteDataset(train, 'training data');
  if (validation !== undefined) {
    sampleCount(validation, 'validation data');
    checkInputShape(net, validation.x, 'validation data');
    assertFiniteDataset(validation, 'validation data');
  }
  if (patience !== undefined && validation === undefined) {
    throw new OptionError('fit: "patience" (early stopping) watches the validation loss: give "validation" or "validationSplit"');
  }
  const dropLast = options.dropLast ?? false;
  const batches = epochBatches(n, batchSize, dropLast);
  const batchesPerEpoch = batches.count;
  const samplesPerEpoch = batches.samples;
  if (batchesPerEpoch === 0) {
    throw new OptionError(`fit: dropLast with batchSize ${batchSize} > ${n} training samples leaves no batch`);
  }

  const root = new Rng(seed);
  const shuffleRng = root.fork();
  const augmentRng = root.fork();
  const resume = options.resume;
  const schedule = options.schedule ?? (resume?.schedule ? scheduleFromConfig(resume.schedule) : undefined);
  let step = 0;
  let startEpoch = 0;
  let bestValLoss = Infinity;
  let bestEpoch: number | undefined;
  let epochsWithoutImprovement = 0;
  const history: History = { loss: [], accuracy: [], valLoss: [], valAccuracy: [], lr: [], seconds: [], stopReason: 'completed' };
  if (resume !== undefined) {
    checkResume(resume, epochs, seed);
    startEpoch = resume.epoch;
    step = resume.step;
    shuffleRng.setState(resume.shuffleRng);
    augmentRng.setState(resume.augmentRng);
    net.rng.setState(resume.netRng);
    bestValLoss = resume.bestValLoss ?? Infinity;
    bestEpoch = resume.bestEpoch ?? undefined;
    epochsWithoutImprovement = resume.epochsWithoutImprovement;
    for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'lr', 'seconds'] as const) {
      history[key].push(...resume.history[key]);
    }
    if (bestEpoch !== undefined) history.bestEpoch = bestEpoch;
  }

  const params = net.params();
  const best = patience !== undefined && restoreBest ? new WeightSnapshot(net, temporaries) : undefined;
  // A run resumed right after its best epoch holds the best weights now; an older best is not in the
  // checkpoint, so early stopping then keeps the last weights instead of restoring.
  if (resume !== undefined && bestEpoch === resume.epoch) best?.take();
  const gatherer = new BatchGatherer(train, temporaries);
  const order = new Int32Array(n);
  let lastYield = performance.now();

  for (let epoch = startEpoch; epoch < epochs; epoch++) {
    const started = performance.now();
    fillOrder(order, shuffleRng, shuffle);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let lr = NaN;
    for (let b = 0; b < batchesPerEpoch; b++) {
      const start = b * batchSize;
      const count = batches.size(b);
      const batch = gatherer.gather(order, start, count);
      let x = batch.x;
      if (options.augment) {
        const augmented = options.augment(x, augmentRng);
        if (augmented) {
          if (!shapesEqual(augmented.shape, x.shape)) {
            throw new ShapeError(`fit: augment returned ${formatShape(augmented.shape)} for a batch of ${formatShape(x.shape)}`);
          }
          x = augmented;
        }
      }
      lr = schedule ? schedule.lr(epoch, step) : optimizer.lr;

      net.zeroGrad();
      const scores = net.forward(x, true);
      const batchLoss = loss.forward(scores, batch.y);
      if (!Number.isFinite(batchLoss)) {
        throw new TrainingDivergedError(epoch + 1, b + 1, batchesPerEpoch, batchLoss, lr);
      }
      correct += countCorrect(scores, batch.y, count);
      net.backward(loss.backward(), false); // no dLoss/dInput needed: the first layer may skip it
      // A finite loss does not prove finite gradients (a ReLU maps NaN to 0 forward, not backward): one
      // non-finite gradient would make every weight it touches NaN. The global norm (also what clipping
      // needs) is finite exactly when every gradient is.
      const gradNorm = globalGradNorm(params);
      if (!Number.isFinite(gradNorm)) {
        throw new TrainingDivergedError(epoch + 1, b + 1, batchesPerEpoch, batchLoss, lr, gradNorm);
      }
      optimizer.step(params, lr, gradNorm);
      step++;

      lossSum += batchLoss * count;
      seen += count;
      options.onBatch?.({
        epoch: epoch + 1, epochs, batch: b + 1, batchesPerEpoch, loss: lossSum / seen, accuracy: correct / seen,
        samplesSeen: seen, samplesPerEpoch, lr, step,
      });
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
      if (options.signal?.aborted) {
        history.stopReason = 'aborted';
        return history;
      }
    }

    const epochLoss = lossSum / seen;
    const epochAccuracy = correct / seen;
    const trained = performance.now();
    let valResult: { loss: number; accuracy: number } | undefined;
    // In batches of the training size: the layers' buffers for it are there already, so validation costs no
    // second set of blocks (a sample's outputs do not depend on the batch it is in).
    if (validation !== undefined) valResult = evaluateChecked(net, loss, validation, batchSize);
    const ended = validation !== undefined ? performance.now() : trained;
    const seconds = (ended - started) / 1000;
    history.loss.push(epochLoss);
    history.accuracy.push(classAccuracy(epochAccuracy, train.y));
    history.lr.push(lr);
    history.seconds.push(seconds);
    let improved = true;
    if (valResult !== undefined) {
      history.valLoss.push(valResult.loss);
      history.valAccuracy.push(valResult.accuracy);
      improved = valResult.loss < bestValLoss - minDelta;
      if (improved) {
        bestValLoss = valResult.loss;
        bestEpoch = epoch + 1;
        history.bestEpoch = bestEpoch;
        epochsWithoutImprovement = 0;
        best?.take();
      } else {
        epochsWithoutImprovement++;
      }
    }
    const completed = epoch + 1;
    const trainingState = (): TrainingState => ({
      epoch: completed,
      step,
      seed,
      shuffleRng: shuffleRng.state(),
      augmentRng: augmentRng.state(),
      netRng: net.rng.state(),
      ...(schedule ? { schedule: { ...schedule.config } } : {}),
      bestValLoss: Number.isFinite(bestValLoss) ? bestValLoss : null,
      bestEpoch: bestEpoch ?? null,
      epochsWithoutImprovement,
      history: copyHistory(history),
    });
    // Taken now: the callback may save asynchronously while nothing else moves.
    const state = trainingState();
    await options.onEpoch?.({
      epoch: completed, epochs, loss: epochLoss, accuracy: classAccuracy(epochAccuracy, train.y),
      valLoss: valResult?.loss, valAccuracy: valResult?.accuracy, lr, seconds,
      trainSeconds: (trained - started) / 1000, validationSeconds: (ended - trained) / 1000, improved, history,
      trainingState: () => structuredClone(state),
    });
    if (patience !== undefined && epochsWithoutImprovement >= patience && epoch + 1 < epochs) {
      history.stopReason = 'early-stopping';
      if (best?.taken) best.restore();
      break;
    }
  }
  return history;
}

/** Mean loss and accuracy over a dataset, in inference mode, in batches of contiguous rows. */
export function evaluate(net: Sequential, loss: Loss, data: Dataset, batchSize = 256): { loss: number; accuracy: number } {
  sampleCount(data, 'evaluation data');
  positiveIntegerOption('evaluate', 'batchSize', batchSize);
  checkInputShape(net, data.x, 'evaluation data');
  assertFiniteDataset(data, 'evaluation data');
  return evaluateChecked(net, loss, data, batchSize);
}

/** evaluate on data already checked (fit's validation set, once per epoch). */
function evaluateChecked(net: Sequential, loss: Loss, data: Dataset, batchSize: number): { loss: number; accuracy: number } {
  const n = data.x.shape[0];
  let lossSum = 0;
  let correct = 0;
  // Byte inputs are decoded a batch at a time into a buffer of evaluate's own, given back at the end.
  const memory = new MemoryOwner('evaluate');
  const reader = new RowReader(data.x, memory);
  try {
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      const y = sliceTargets(data.y, start, count);
      const scores = net.forward(reader.rows(start, count), false);
      lossSum += loss.forward(scores, y) * count;
      correct += countCorrect(scores, y, count);
    }
  } finally {
    memory.dispose();
  }
  return { loss: lossSum / n, accuracy: classAccuracy(correct / n, data.y) };
}

/**
 * The net's outputs for every sample of `x` [N, …], in inference mode, in batches: raw scores (for a
 * classifier trained with SoftmaxCrossEntropy these are logits — the softmax lives in the loss; their
 * argmax is the predicted class). A new tensor [N, …outputShape].
 */
export function predict(net: Sequential, x: Inputs, batchSize = 256): Tensor {
  positiveIntegerOption('predict', 'batchSize', batchSize);
  checkInputShape(net, x, 'predict input');
  assertFiniteInputs(x, 'predict input');
  const n = x.shape[0];
  // A heap array: the caller keeps it, and the garbage collector (not the kernels' arena) takes it back.
  const out: Tensor = { shape: [n, ...net.outputShape], data: new Float32Array(n * sizeOf(net.outputShape)) };
  const rowSize = out.data.length / n;
  const memory = new MemoryOwner('predict');
  const reader = new RowReader(x, memory);
  try {
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      const scores = net.forward(reader.rows(start, count), false);
      out.data.set(scores.data, start * rowSize);
    }
  } finally {
    memory.dispose();
  }
  return out;
}

/** The predicted class of every row of [N, K] scores (the argmax; the first on ties). */
export function argmaxRows(scores: Tensor): Int32Array {
  const n = scores.shape[0];
  const k = scores.data.length / n;
  const classes = new Int32Array(n);
  for (let i = 0; i < n; i++) classes[i] = argmaxRow(scores.data, i * k, k);
  return classes;
}

// ---- helpers ----

/** Correct classifications in a batch: argmax of the scores vs the class index or the target's argmax. */
function countCorrect(scores: Tensor, y: Targets, count: number): number {
  const k = scores.data.length / count;
  const s = scores.data;
  let correct = 0;
  if (y instanceof Int32Array) {
    for (let i = 0; i < count; i++) if (argmaxRow(s, i * k, k) === y[i]) correct++;
  } else {
    const targetK = y.data.length / count;
    if (targetK !== k || k < 2) return 0; // not a classification: accuracy is reported as NaN
    for (let i = 0; i < count; i++) if (argmaxRow(s, i * k, k) === argmaxRow(y.data, i * k, k)) correct++;
  }
  return correct;
}

/** Accuracy only means something for class targets (indices, or rows of ≥ 2 scores); NaN otherwise. */
function classAccuracy(accuracy: number, y: Targets): number {
  if (y instanceof Int32Array) return accuracy;
  const k = y.data.length / y.shape[0];
  return k >= 2 ? accuracy : NaN;
}

function argmaxRow(data: Float32Array, offset: number, k: number): number {
  let best = 0;
  let bestValue = data[offset];
  for (let j = 1; j < k; j++) {
    if (data[offset + j] > bestValue) {
      bestValue = data[offset + j];
      best = j;
    }
  }
  return best;
}

/** Copies of every param value and buffer, allocated once: the best epoch's weights for early stopping. */
class WeightSnapshot {
  taken = false;
  private readonly sources: Float32Array[];
  private readonly copies: Float32Array[];

  constructor(net: Sequential, memory: MemoryOwner) {
    this.sources = [...net.params().map((p) => p.value), ...net.buffers().map((b) => b.value)];
    this.copies = this.sources.map((s) => memory.float32(s.length));
  }

  take(): void {
    this.sources.forEach((s, i) => this.copies[i].set(s));
    this.taken = true;
  }

  restore(): void {
    this.sources.forEach((s, i) => s.set(this.copies[i]));
  }
}

function checkInputShape(net: Sequential, x: Inputs, what: string): void {
  const perSample = x.shape.slice(1);
  if (!shapesEqual(perSample, net.inputShape)) {
    throw new ShapeError(
      `${what} has samples of shape ${formatShape(perSample)} (x is ${formatShape(x.shape)}) but the net's inputShape is ${formatShape(net.inputShape)}`,
    );
  }
}

function checkResume(resume: TrainingState, epochs: number, seed: number): void {
  if (!resume || typeof resume !== 'object' || !Number.isInteger(resume.epoch) || !Number.isInteger(resume.step) || !resume.history) {
    throw new OptionError('fit: "resume" must be the TrainingState handed out by onEpoch (or saved with the model)');
  }
  if (resume.epoch > epochs) {
    throw new OptionError(`fit: cannot resume after epoch ${resume.epoch} when "epochs" is ${epochs} (epochs counts the whole run)`);
  }
  if (resume.seed !== seed) {
    throw new OptionError(`fit: resuming a run seeded ${resume.seed} with seed ${seed}; pass seed: ${resume.seed}`);
  }
}

function copyHistory(h: History): History {
  return {
    loss: [...h.loss], accuracy: [...h.accuracy], valLoss: [...h.valLoss], valAccuracy: [...h.valAccuracy], lr: [...h.lr],
    seconds: [...h.seconds], stopReason: h.stopReason, ...(h.bestEpoch !== undefined ? { bestEpoch: h.bestEpoch } : {}),
  };
}
