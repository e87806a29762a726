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
import type { Param } from '../layers/layer';
import type { Loss, Targets } from '../losses/loss';
import type { Optimizer } from '../optimizers/optimizer';
import { scheduleFromConfig, type Schedule, type ScheduleConfig } from '../optimizers/schedules';
import { MemoryOwner } from '../memory';
import { yieldToEventLoop } from '../platform';
import { Rng, type RngState } from '../random';
import { ShapeError, formatShape, shapesEqual, sizeOf, type Tensor } from '../tensor';
import { BatchGatherer, RowReader, epochBatches, fillOrder, sampleCount, sliceTargets, splitTail, type Dataset, type EpochBatches, type Inputs } from '../data/batches';
import { assertFiniteDataset, assertFiniteInputs } from '../data/finite';
import { OptionError } from '../errors';
import { globalGradNorm, gradientsFinite } from '../optimizers/optimizer';
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
 *
 * The stages, each a function below: resolveFitOptions → prepareData → planBatches → startRun (fresh or
 * resumed) → bestWeights; then per epoch trainEpoch (the batches, one trainBatch each) → recordEpoch
 * (validation, history, best epoch) → announceEpoch (onEpoch) → stopsEarly.
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
    const settings = resolveFitOptions(options);
    const { train, validation, n } = prepareData(net, data, options, settings);
    const batches = planBatches(n, settings);
    const state = startRun(net, options, settings);
    const run: FitRun = {
      net, loss, optimizer, options, settings, train, validation, batches, state,
      params: net.params(),
      best: bestWeights(net, settings, state, options.resume, temporaries),
      gatherer: new BatchGatherer(train, temporaries),
      order: new Int32Array(n),
      lastYield: performance.now(),
    };
    for (let epoch = state.startEpoch; epoch < settings.epochs; epoch++) {
      const totals = await trainEpoch(run, epoch);
      if (totals === 'aborted') {
        state.history.stopReason = 'aborted';
        return state.history;
      }
      await announceEpoch(run, recordEpoch(run, epoch, totals));
      if (stopsEarly(run, epoch)) break;
    }
    return state.history;
  } finally {
    temporaries.dispose();
  }
}

// ---- fit's stages ----

/** fit's options, checked, with their defaults filled in. */
interface FitSettings {
  epochs: number;
  batchSize: number;
  seed: number;
  patience?: number;
  minDelta: number;
  shuffle: boolean;
  restoreBest: boolean;
  dropLast: boolean;
}

/** Where a run stands: what changes from update to update, and what a TrainingState records to resume it. */
interface RunState {
  readonly shuffleRng: Rng;
  readonly augmentRng: Rng;
  readonly schedule?: Schedule;
  /** Completed epochs when this fit call started (0, or the resumed epoch). */
  readonly startEpoch: number;
  /** Global update count. */
  step: number;
  bestValLoss: number;
  bestEpoch: number | undefined;
  epochsWithoutImprovement: number;
  readonly history: History;
}

/** Everything the epoch loop works with: the run's fixed parts, its state, and the reused buffers. */
interface FitRun {
  readonly net: Sequential;
  readonly loss: Loss;
  readonly optimizer: Optimizer;
  readonly options: FitOptions;
  readonly settings: FitSettings;
  readonly train: Dataset;
  readonly validation: Dataset | undefined;
  readonly batches: EpochBatches;
  readonly state: RunState;
  readonly params: Param[];
  /** With early stopping that restores: the best epoch's weights. */
  readonly best: WeightSnapshot | undefined;
  readonly gatherer: BatchGatherer;
  /** The epoch's sample order, refilled (and reshuffled) every epoch. */
  readonly order: Int32Array;
  /** performance.now() of the last yield to the event loop (kept across epochs). */
  lastYield: number;
}

/** An epoch's running sums over its batches. */
interface EpochTotals {
  /** performance.now() when the epoch began. */
  started: number;
  lossSum: number;
  correct: number;
  seen: number;
  /** The learning rate of the last update. */
  lr: number;
}

/** An epoch's results, as the history records them and onEpoch receives them. */
interface EpochRecord {
  /** Completed epochs, this one included (from 1). */
  completed: number;
  loss: number;
  accuracy: number;
  validation: { loss: number; accuracy: number } | undefined;
  lr: number;
  improved: boolean;
  /** performance.now() at the start, after the batches, after validation. */
  started: number;
  trained: number;
  ended: number;
  seconds: number;
}

/** Stage 1: check every option (unknown names, ranges) before touching the data, and fill in the defaults. */
function resolveFitOptions(options: FitOptions): FitSettings {
  checkOptionNames('fit', options, FIT_OPTIONS);
  const epochs = positiveIntegerOption('fit', 'epochs', options.epochs);
  const batchSize = positiveIntegerOption('fit', 'batchSize', options.batchSize);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new OptionError(`fit: option "seed" must be an integer, got ${String(seed)}`);
  const patience = options.patience === undefined ? undefined : nonNegativeIntegerOption('fit', 'patience', options.patience);
  const minDelta = nonNegativeOption('fit', 'minDelta', options.minDelta, 0);
  const shuffle = options.shuffle ?? true;
  const restoreBest = options.restoreBestWeights ?? true;
  return { epochs, batchSize, seed, patience, minDelta, shuffle, restoreBest, dropLast: options.dropLast ?? false };
}

/**
 * Stage 2: the training and validation sets (a validationSplit cuts the tail off the training data), each
 * checked once here — sample count, per-sample shape, finite values — so that the loop need not.
 */
function prepareData(
  net: Sequential,
  data: Dataset,
  options: FitOptions,
  settings: FitSettings,
): { train: Dataset; validation: Dataset | undefined; n: number } {
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
  if (settings.patience !== undefined && validation === undefined) {
    throw new OptionError('fit: "patience" (early stopping) watches the validation loss: give "validation" or "validationSplit"');
  }
  return { train, validation, n };
}

/** Stage 3: how each epoch is cut into batches (epochBatches); refuses a dropLast that leaves none. */
function planBatches(n: number, settings: FitSettings): EpochBatches {
  const batches = epochBatches(n, settings.batchSize, settings.dropLast);
  if (batches.count === 0) {
    throw new OptionError(`fit: dropLast with batchSize ${settings.batchSize} > ${n} training samples leaves no batch`);
  }
  return batches;
}

/**
 * Stage 4: the run's state at its start. The fit's Rngs are forked from `seed` (shuffle first, then
 * augmentation: the order fixes the bits); a resumed run then takes back every counter, Rng and the history.
 */
function startRun(net: Sequential, options: FitOptions, settings: FitSettings): RunState {
  const root = new Rng(settings.seed);
  const shuffleRng = root.fork();
  const augmentRng = root.fork();
  const resume = options.resume;
  const schedule = options.schedule ?? (resume?.schedule ? scheduleFromConfig(resume.schedule) : undefined);
  const history: History = { loss: [], accuracy: [], valLoss: [], valAccuracy: [], lr: [], seconds: [], stopReason: 'completed' };
  if (resume === undefined) {
    return { shuffleRng, augmentRng, schedule, startEpoch: 0, step: 0, bestValLoss: Infinity, bestEpoch: undefined, epochsWithoutImprovement: 0, history };
  }
  checkResume(resume, settings.epochs, settings.seed);
  shuffleRng.setState(resume.shuffleRng);
  augmentRng.setState(resume.augmentRng);
  net.rng.setState(resume.netRng);
  const bestEpoch = resume.bestEpoch ?? undefined;
  for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'lr', 'seconds'] as const) {
    history[key].push(...resume.history[key]);
  }
  if (bestEpoch !== undefined) history.bestEpoch = bestEpoch;
  return {
    shuffleRng, augmentRng, schedule, startEpoch: resume.epoch, step: resume.step, bestValLoss: resume.bestValLoss ?? Infinity,
    bestEpoch, epochsWithoutImprovement: resume.epochsWithoutImprovement, history,
  };
}

/** Stage 5: with early stopping that restores the best weights, the snapshot they are kept in. */
function bestWeights(
  net: Sequential,
  settings: FitSettings,
  state: RunState,
  resume: TrainingState | undefined,
  temporaries: MemoryOwner,
): WeightSnapshot | undefined {
  const best = settings.patience !== undefined && settings.restoreBest ? new WeightSnapshot(net, temporaries) : undefined;
  // A run resumed right after its best epoch holds the best weights now; an older best is not in the
  // checkpoint, so early stopping then keeps the last weights instead of restoring.
  if (resume !== undefined && state.bestEpoch === resume.epoch) best?.take();
  return best;
}

/**
 * Stage 6, per epoch: every batch once, in an order reshuffled by the fit's Rng, with onBatch after each
 * update. Between batches the loop lets the event loop run now and then, and stops when the signal is
 * aborted ('aborted': the caller returns the history so far).
 */
async function trainEpoch(run: FitRun, epoch: number): Promise<EpochTotals | 'aborted'> {
  const { options, settings, batches, state } = run;
  const totals: EpochTotals = { started: performance.now(), lossSum: 0, correct: 0, seen: 0, lr: NaN };
  fillOrder(run.order, state.shuffleRng, settings.shuffle);
  for (let b = 0; b < batches.count; b++) {
    const count = batches.size(b);
    const trained = trainBatch(run, epoch, b, count);
    totals.lr = trained.lr;
    totals.correct += trained.correct;
    totals.lossSum += trained.loss * count;
    totals.seen += count;
    options.onBatch?.({
      epoch: epoch + 1, epochs: settings.epochs, batch: b + 1, batchesPerEpoch: batches.count, loss: totals.lossSum / totals.seen,
      accuracy: totals.correct / totals.seen, samplesSeen: totals.seen, samplesPerEpoch: batches.samples, lr: totals.lr, step: state.step,
    });
    if (performance.now() - run.lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      run.lastYield = performance.now();
    }
    if (options.signal?.aborted) return 'aborted';
  }
  return totals;
}

/**
 * One update on batch `b` of the epoch (`count` samples), in the order of the rule of layer separation (file
 * comment). Refuses to step on a non-finite loss or gradient norm. Returns the batch's mean loss, its
 * correct classifications and the learning rate used.
 */
function trainBatch(run: FitRun, epoch: number, b: number, count: number): { loss: number; correct: number; lr: number } {
  const { net, loss, optimizer, state } = run;
  const batch = run.gatherer.gather(run.order, b * run.settings.batchSize, count);
  const x = augmentBatch(run.options.augment, batch.x, state.augmentRng);
  const lr = state.schedule ? state.schedule.lr(epoch, state.step) : optimizer.lr;

  net.zeroGrad();
  const scores = net.forward(x, true);
  const batchLoss = loss.forward(scores, batch.y);
  if (!Number.isFinite(batchLoss)) {
    throw new TrainingDivergedError(epoch + 1, b + 1, run.batches.count, batchLoss, lr);
  }
  const correct = countCorrect(scores, batch.y, count);
  net.backward(loss.backward(), false); // no dLoss/dInput needed: the first layer may skip it
  // A finite loss does not prove finite gradients (a ReLU maps NaN to 0 forward, not backward): one
  // non-finite gradient would make every weight it touches NaN. The global norm is finite exactly when
  // every gradient is; it is measured only when clipping needs it or for the error's message, else the
  // cheaper gradientsFinite answers (~0.1 ms a step on the MLP's 80k gradients → a few µs).
  const gradNorm = optimizer.clipNorm !== undefined || !gradientsFinite(run.params) ? globalGradNorm(run.params) : undefined;
  if (gradNorm !== undefined && !Number.isFinite(gradNorm)) {
    throw new TrainingDivergedError(epoch + 1, b + 1, run.batches.count, batchLoss, lr, gradNorm);
  }
  optimizer.step(run.params, lr, gradNorm);
  state.step++;
  return { loss: batchLoss, correct, lr };
}

/** The batch to train on: what `augment` returned (it must keep the shape), or `x`, possibly changed in place. */
function augmentBatch(augment: FitOptions['augment'], x: Tensor, rng: Rng): Tensor {
  if (!augment) return x;
  const augmented = augment(x, rng);
  if (!augmented) return x;
  if (!shapesEqual(augmented.shape, x.shape)) {
    throw new ShapeError(`fit: augment returned ${formatShape(augmented.shape)} for a batch of ${formatShape(x.shape)}`);
  }
  return augmented;
}

/**
 * Stage 7, per epoch: evaluate the validation data, append the epoch to the history, and keep track of
 * the best epoch (its weights too, for early stopping).
 */
function recordEpoch(run: FitRun, epoch: number, totals: EpochTotals): EpochRecord {
  const { history } = run.state;
  const loss = totals.lossSum / totals.seen;
  const accuracy = classAccuracy(totals.correct / totals.seen, run.train.y);
  const trained = performance.now();
  // In batches of the training size: the layers' buffers for it are there already, so validation costs no
  // second set of blocks (a sample's outputs do not depend on the batch it is in).
  const validation = run.validation !== undefined ? evaluateChecked(run.net, run.loss, run.validation, run.settings.batchSize) : undefined;
  const ended = run.validation !== undefined ? performance.now() : trained;
  const seconds = (ended - totals.started) / 1000;
  history.loss.push(loss);
  history.accuracy.push(accuracy);
  history.lr.push(totals.lr);
  history.seconds.push(seconds);
  const improved = validation === undefined || trackBestEpoch(run, epoch, validation);
  return { completed: epoch + 1, loss, accuracy, validation, lr: totals.lr, improved, started: totals.started, trained, ended, seconds };
}

/** Records the validation result; returns whether it beats the best so far by more than minDelta. */
function trackBestEpoch(run: FitRun, epoch: number, validation: { loss: number; accuracy: number }): boolean {
  const { state } = run;
  state.history.valLoss.push(validation.loss);
  state.history.valAccuracy.push(validation.accuracy);
  const improved = validation.loss < state.bestValLoss - run.settings.minDelta;
  if (improved) {
    state.bestValLoss = validation.loss;
    state.bestEpoch = epoch + 1;
    state.history.bestEpoch = state.bestEpoch;
    state.epochsWithoutImprovement = 0;
    run.best?.take();
  } else {
    state.epochsWithoutImprovement++;
  }
  return improved;
}

/** Stage 8, per epoch: hand the epoch to onEpoch (awaited: it may save a checkpoint asynchronously). */
async function announceEpoch(run: FitRun, record: EpochRecord): Promise<void> {
  // Taken now: the callback may save asynchronously while nothing else moves.
  const state = trainingStateAfter(run, record.completed);
  await run.options.onEpoch?.({
    epoch: record.completed, epochs: run.settings.epochs, loss: record.loss, accuracy: record.accuracy,
    valLoss: record.validation?.loss, valAccuracy: record.validation?.accuracy, lr: record.lr, seconds: record.seconds,
    trainSeconds: (record.trained - record.started) / 1000, validationSeconds: (record.ended - record.trained) / 1000,
    improved: record.improved, history: run.state.history,
    trainingState: () => structuredClone(state),
  });
}

/** Everything besides weights and optimizer state that `resume` needs to continue after `completed` epochs. */
function trainingStateAfter(run: FitRun, completed: number): TrainingState {
  const { state } = run;
  return {
    epoch: completed,
    step: state.step,
    seed: run.settings.seed,
    shuffleRng: state.shuffleRng.state(),
    augmentRng: state.augmentRng.state(),
    netRng: run.net.rng.state(),
    ...(state.schedule ? { schedule: { ...state.schedule.config } } : {}),
    bestValLoss: Number.isFinite(state.bestValLoss) ? state.bestValLoss : null,
    bestEpoch: state.bestEpoch ?? null,
    epochsWithoutImprovement: state.epochsWithoutImprovement,
    history: copyHistory(state.history),
  };
}

/**
 * Stage 9, per epoch: early stopping. When `patience` epochs passed without improvement (and this was not
 * the last epoch anyway), marks the history and puts back the best epoch's weights if they were kept.
 */
function stopsEarly(run: FitRun, epoch: number): boolean {
  const { patience, epochs } = run.settings;
  if (patience === undefined || run.state.epochsWithoutImprovement < patience || epoch + 1 >= epochs) return false;
  run.state.history.stopReason = 'early-stopping';
  if (run.best?.taken) run.best.restore();
  return true;
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
