/**
 * `nn train mnist|fashion-mnist|kmnist` and `nn train --data PATH`: load the data (train-data.ts), build a
 * model from the zoo or a JSON spec (train-model.ts) or resume a saved run, train it with a live progress
 * display, checkpoint after every epoch, and report the test accuracy.
 *
 * Data split (train-data.ts): for a named dataset the training images are the first
 * min(--limit, 60000 − --validation) of the training file and validation images the LAST --validation
 * (default 5,000) of it, whatever --limit is, so validation numbers are comparable between quick and full
 * runs; for the user's data test and validation rows are held out at random with --split-seed. The test set
 * is used only for the final report.
 */
import * as path from 'node:path';
import { Argument, Command, Option } from 'commander';
import { randomShift } from '../data/augment';
import { DATASET_NAMES } from '../data/datasets';
import { epochBatches } from '../data/batches';
import { SoftmaxCrossEntropy } from '../losses/softmax-cross-entropy';
import { MNIST_MODEL_NAMES, mnistModel } from '../models/mnist';
import { TrainingDivergedError, divergedQuantity } from '../net/errors';
import { save } from '../net/serialize';
import { fit, type BatchInfo, type EpochInfo, type History, type TrainingState } from '../net/train';
import type { Sequential } from '../net/sequential';
import { createOptimizer } from '../optimizers/factory';
import type { Optimizer } from '../optimizers/optimizer';
import { getThreads, setThreads } from '../kernels/wasm/threads';
import { CliError } from './errors';
import { evaluateWithConfusion } from './eval';
import { checkOutDir } from './out-dir';
import { loadModelDir, type DataChoice, type RunConfig, type TrainedMetadata } from './model-dir';
import { defaultThreadCount, integer, nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber, splitSize, threadCount } from './options';
import { EpochProgress, epochLine, formatDuration, formatPercent, formatRate } from './progress';
import { TrainReport, testSetLabel, trainReportFile } from './report';
import { SCHEDULE_HELP, scheduleFromSpec } from './schedule';
import { DATA_HELP, dataChoice, initialCounts, loadTrainingData, resumedDataChoice } from './train-data';
import { buildModel, modelChoice, modelName, type ModelChoice } from './train-model';

const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'rmsprop', 'adam', 'adagrad'] as const;

/** The options commander hands to the action (camelCased flags). */
export interface TrainFlags {
  model?: string;
  epochs?: number;
  batchSize?: number;
  optimizer?: string;
  lr?: number;
  schedule?: string;
  weightDecay?: number;
  shift?: number;
  normalize?: 'scale' | 'standardize';
  seed: number;
  dataDir?: string;
  limit?: number;
  validation?: number;
  testLimit?: number;
  data?: string;
  labelColumn?: string;
  test?: string;
  testSplit?: number;
  splitSeed: number;
  out?: string;
  overwrite?: boolean;
  save: boolean;
  report?: boolean;
  resume?: string;
  json?: boolean;
  threads?: number;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a model on a dataset or your own data, checkpointing after every epoch, and report its test accuracy')
    .addArgument(new Argument('[dataset]', 'a dataset by name (nn datasets lists them); or give --data PATH').choices(DATASET_NAMES))
    .option('-m, --model <name|file>', `the model: ${MNIST_MODEL_NAMES.join(', ')} (see below), or FILE.json with your own layer list [default: best]`)
    .option('-e, --epochs <n>', 'number of epochs (the whole run, also when resuming) [model default]', positiveInt)
    .option('-b, --batch-size <n>', 'mini-batch size [model default]', positiveInt)
    .addOption(new Option('--optimizer <name>', 'update rule [model default]').choices(OPTIMIZERS))
    .option('--lr <rate>', 'initial learning rate η₀ [model default]', positiveNumber)
    .option('--schedule <spec>', 'learning-rate schedule, see below [model default]')
    .option('--weight-decay <lambda>', 'L2 weight decay λ (biases and BatchNorm excluded) [model default]', nonNegativeNumber)
    .option('--shift <pixels>', 'augment: shift training images randomly by up to this many pixels [model default]', nonNegativeInt)
    .addOption(new Option('--normalize <mode>', 'input scaling: pixels/255, or standardised with the training mean/std [model default]').choices(['scale', 'standardize']))
    .option('--seed <n>', 'seed of the weights, shuffling, dropout and augmentation', integer, 1)
    .option('--data-dir <dir>', 'the named dataset\'s directory (default: its variable, e.g. $NN_DATA_DIR for MNIST, else the per-user cache; downloaded if missing)')
    .option('--data <path>', 'your own data: an IDX pair IMAGES,LABELS, a directory of IDX train/test pairs, or a CSV file (see below)')
    .option('--label-column <name>', 'CSV: the label column, by name or 1-based number (default: "label", else the last column)')
    .option('--test <path>', 'with --data: the test set, in the same format (default: the directory\'s test pair, else --test-split)')
    .option('--test-split <n>', 'with --data and no test set: hold out N rows, or this fraction (0.2), at random for the test', splitSize)
    .option('--split-seed <n>', 'with --data: the seed of the random test/validation split (kept apart from --seed)', integer, 0)
    .option('--limit <n>', 'train on the first N training samples only (quick runs)', positiveInt)
    .option('--validation <n>', 'validation samples: a count or a fraction (0: none) [5000 of a named dataset (its last images); 0.1 of --data, at random]', splitSize)
    .option('--test-limit <n>', 'report the accuracy on the first N test samples only (quick runs)', positiveInt)
    .option('-o, --out <dir>', 'save the model here, after every epoch (default: ./<dataset>-<model>, or the --resume directory); checked writable before training')
    .option('--overwrite', 'replace the model already in --out (without it, nn train refuses to)')
    .option('--no-save', 'do not save the model')
    .option('--report', 'write DIR/report.html, the charts of the run, after every epoch (the default when saving)')
    .option('--no-report', 'do not write the report page')
    .option('--resume <dir>', 'continue the run saved in this directory: its recipe and data split are reused; the schedule spans the new --epochs')
    .option('--json', 'print only JSON lines on stdout: one per epoch and a final "done" line')
    .option('--threads <n>', 'compute threads: 1 or 2 (default: 2 on a machine with 2 or more cores, else 1; the results are the same)', threadCount)
    .addHelpText('after', `
Models (defaults: epochs, batch size, optimizer, lr, schedule, shift):
${MNIST_MODEL_NAMES.map((name) => {
  const m = mnistModel(name);
  const r = m.recipe;
  return `  ${name.padEnd(5)} ${m.description}\n        ${r.epochs} epochs, batch ${r.batchSize}, ${r.optimizer} lr ${r.lr}, ${r.schedule}${r.shift ? `, shift ±${r.shift}px` : ''}${r.weightDecay ? `, weight decay ${r.weightDecay}` : ''}`;
}).join('\n')}
${SCHEDULE_HELP}
${DATA_HELP}

Output: on a terminal a progress bar per epoch; one summary line per epoch (train loss/accuracy,
validation loss/accuracy, lr, seconds of training + seconds of validation); at the end the test
accuracy, the training time and throughput (samples/s of the batches alone) and the total time.
With --json, stdout holds only JSON lines:
  {"event":"epoch","epoch","trainLoss","trainAccuracy","valLoss","valAccuracy","lr","seconds","trainSeconds","validationSeconds"}
  {"event":"done","model","epochs","testAccuracy","trainSeconds","samplesPerSecond","validationSeconds"}

Examples:
  nn train mnist                                   the best model, its own recipe
  nn train mnist --model cnn --epochs 5 --out my-cnn
  nn train mnist --model mlp --optimizer momentum --lr 0.05 --schedule step:every=2,gamma=0.5
  nn train mnist --model mlp --limit 2000 --epochs 1 --test-limit 1000   a run of a few seconds
  nn train mnist --resume mnist-best --epochs 15   train a saved run further
  nn train fashion-mnist --model cnn               another 28×28 dataset, downloaded like MNIST
  nn train --data iris.csv --label-column species --model spec.json   your CSV and your layer list`)
    .action(async (dataset: string | undefined, flags: TrainFlags, command: Command) => {
      await runTrain(flags, command, dataset);
    });
}

/** Flags that define a run; on --resume they come from the saved run and may not be changed. */
const RECIPE_FLAGS = ['model', 'batchSize', 'optimizer', 'lr', 'schedule', 'weightDecay', 'shift', 'normalize', 'seed', 'limit', 'validation'] as const;

interface Output {
  json: boolean;
  line(text: string): void;
  event(object: Record<string, unknown>): void;
}

/** A run as resolved before any data is loaded: its recipe, where its data and model come from, where it goes. */
interface ResolvedRun {
  run: RunConfig;
  choice: DataChoice;
  /** A fresh run's model (undefined on --resume: the net comes from the saved directory). */
  model: ModelChoice | undefined;
  resumed: ReturnType<typeof loadModelDir> | undefined;
  outDir: string | undefined;
  reportFile: string | undefined;
}

/**
 * `nn train`, as its stages: resolveRun (flags, or the saved run on --resume) → loadTrainingData →
 * prepareTraining (net, optimizer, schedule, augmentation) → announceRun → trainWithProgress → finishRun
 * (test, final save, report).
 */
export async function runTrain(flags: TrainFlags, command: Command, dataset?: string): Promise<void> {
  const started = performance.now();
  const out = outputFor(flags);
  applyThreads({ threads: flags.threads ?? defaultThreadCount() });
  const resolved = resolveRun(flags, command, dataset);
  const { run, choice, resumed } = resolved;
  // Data (a named dataset or the user's files; the split and the input scaling in train-data.ts).
  const data = await loadTrainingData(run, choice, {
    dataDir: flags.dataDir, testLimit: flags.testLimit, normalization: resumed?.trained?.normalization, features: resumed?.trained?.features,
  });
  const training = prepareTraining(flags, resolved, data);
  const report = announceRun(flags, out, resolved, data, training);
  const trained = await trainWithProgress(out, resolved, data, training, report);
  finishRun(out, resolved, data, training, trained, report, started);
}

/** stdout: human lines, or with --json only JSON events. */
function outputFor(flags: TrainFlags): Output {
  return {
    json: flags.json === true,
    line: (text) => {
      if (!flags.json) process.stdout.write(`${text}\n`);
    },
    event: (object) => process.stdout.write(`${JSON.stringify(object)}\n`),
  };
}

/**
 * Stage 1, the run: from the saved model (--resume) or from the zoo recipe and the flags; checked (schedule
 * syntax, output directory) now, before minutes of data loading.
 */
function resolveRun(flags: TrainFlags, command: Command, dataset: string | undefined): ResolvedRun {
  const resumed = flags.resume !== undefined ? loadModelDir(flags.resume) : undefined;
  let run: RunConfig;
  let choice: DataChoice;
  let model: ModelChoice | undefined;
  if (resumed) {
    ({ run, choice } = resumedRun(flags, command, dataset, resumed));
  } else {
    choice = dataChoice(dataset, flags);
    model = modelChoice(flags.model ?? 'best');
    run = freshRun(flags, model, choice);
  }
  // Check the schedule's syntax now, before minutes of data loading.
  scheduleFromSpec(run.schedule, run.lr, run.epochs, 1);
  const outDir = flags.save ? path.resolve(flags.out ?? flags.resume ?? defaultOutDir(choice, run.model)) : undefined;
  if (outDir !== undefined) {
    checkOutDir({ dir: outDir, overwrite: flags.overwrite === true, resumeDir: flags.resume !== undefined ? path.resolve(flags.resume) : undefined });
  }
  const reportFile = trainReportFile(flags.report, outDir);
  return { run, choice, model, resumed, outDir, reportFile };
}

/** A resumed run keeps its recipe: a recipe flag given again must match; only --epochs may grow. */
function resumedRun(
  flags: TrainFlags,
  command: Command,
  dataset: string | undefined,
  resumed: NonNullable<ResolvedRun['resumed']>,
): { run: RunConfig; choice: DataChoice } {
  const saved = resumed.trained;
  if (!saved?.run || !resumed.training || !resumed.optimizer) {
    throw new CliError(`${flags.resume} cannot be resumed: it holds no training state (it was not saved by nn train)`);
  }
  for (const flag of RECIPE_FLAGS) {
    const source = command.getOptionValueSource(flag);
    const value = (flags as unknown as Record<string, unknown>)[flag];
    const savedValue = flag === 'limit' ? saved.run.trainCount : (saved.run as unknown as Record<string, unknown>)[flag];
    if (source === 'cli' && value !== savedValue) {
      throw new CliError(`--${kebab(flag)} ${String(value)} differs from the resumed run's ${String(savedValue)}; a resumed run keeps its recipe (only --epochs may change)`);
    }
  }
  const run = { ...saved.run, epochs: flags.epochs ?? saved.run.epochs };
  const choice = resumedDataChoice(saved.run, dataset, flags, command, flags.resume!);
  if (resumed.training.epoch >= run.epochs) {
    throw new CliError(`${flags.resume} has already trained ${resumed.training.epoch} epochs; pass --epochs N with N > ${resumed.training.epoch} to train further`);
  }
  return { run, choice };
}

/** A fresh run: each flag given, else the model's recipe. */
function freshRun(flags: TrainFlags, model: ModelChoice, choice: DataChoice): RunConfig {
  const recipe = model.recipe;
  return {
    model: modelName(model),
    epochs: flags.epochs ?? recipe.epochs,
    batchSize: flags.batchSize ?? recipe.batchSize,
    optimizer: flags.optimizer ?? recipe.optimizer,
    lr: flags.lr ?? recipe.lr,
    schedule: flags.schedule ?? recipe.schedule,
    weightDecay: flags.weightDecay ?? recipe.weightDecay,
    shift: flags.shift ?? recipe.shift,
    normalize: flags.normalize ?? recipe.normalize,
    seed: flags.seed,
    ...initialCounts(choice, flags.validation, flags.limit),
    data: choice,
  };
}

type TrainingData = Awaited<ReturnType<typeof loadTrainingData>>;

/** What training needs besides the data: the net, loss, optimizer, schedule, augmentation and save metadata. */
interface Training {
  net: Sequential;
  loss: SoftmaxCrossEntropy;
  optimizer: Optimizer;
  batchesPerEpoch: number;
  lastBatch: number;
  schedule: ReturnType<typeof scheduleFromSpec>;
  metadata: TrainedMetadata;
  augment: ReturnType<typeof randomShift> | undefined;
  startEpoch: number;
}

/** Stage 3: net, loss, optimizer, schedule; the --shift augmentation, refused where it makes no sense. */
function prepareTraining(flags: TrainFlags, { run, model, resumed }: ResolvedRun, data: TrainingData): Training {
  const net: Sequential = resumed?.net ?? buildModel(model!, data.inputShape, data.classNames.length, run.seed);
  if (net.inputShape.join() !== data.inputShape.join()) {
    throw new CliError(`the model in ${flags.resume} takes inputs [${net.inputShape.join(', ')}]; the data gives [${data.inputShape.join(', ')}]`);
  }
  const loss = new SoftmaxCrossEntropy();
  const optimizer: Optimizer = resumed?.optimizer ?? createOptimizer(run.optimizer, { lr: run.lr, weightDecay: run.weightDecay });
  const batches = epochBatches(run.trainCount, run.batchSize);
  const batchesPerEpoch = batches.count;
  const lastBatch = batches.size(batchesPerEpoch - 1);
  const schedule = scheduleFromSpec(run.schedule, run.lr, run.epochs, batchesPerEpoch);
  const metadata: TrainedMetadata = {
    dataset: data.dataset, model: run.model, classNames: data.classNames, run,
    ...(data.normalization ? { normalization: data.normalization } : {}),
    ...(data.features ? { features: data.features } : {}),
    ...(model?.kind === 'spec' ? { spec: model.spec } : resumed?.trained?.spec ? { spec: resumed.trained.spec } : {}),
  };
  const normalization = data.normalization;
  if (run.shift > 0 && normalization === undefined) throw new CliError(`--shift ${run.shift} shifts images; ${data.title} holds feature columns, not images: use --shift 0`);
  // A shift as large as the image moves every pixel out: the net would train on blank images.
  const imageSide = Math.min(...data.inputShape.slice(-2));
  if (run.shift > 0 && data.inputShape.length >= 2 && run.shift >= imageSide) {
    throw new CliError(`--shift ${run.shift} would move the whole ${data.inputShape.slice(-2).join('×')} image out of view; use a shift below ${imageSide} (the models use 1 or 2)`);
  }
  // Shifted-in pixels are background: 0 before scaling, whatever that becomes after it. In place: fit's
  // gathered batch is a fresh copy every step, already in the kernels' memory (no heap copy to stage again).
  const fill = normalization ? (0 - normalization.mean) / normalization.std : 0;
  const augment = run.shift > 0 && normalization ? randomShift({ maxShift: run.shift, fill, inPlace: true }) : undefined;
  const startEpoch = resumed?.training?.epoch ?? 0;
  return { net, loss, optimizer, batchesPerEpoch, lastBatch, schedule, metadata, augment, startEpoch };
}

/** Stage 4: the report page (if any) and the two lines that say what is about to be trained on what. */
function announceRun(flags: TrainFlags, out: Output, { run, model, resumed, reportFile }: ResolvedRun, data: TrainingData, training: Training): TrainReport | undefined {
  const { net, startEpoch, batchesPerEpoch, lastBatch } = training;
  const testCount = data.test.y.length;
  const report = reportFile !== undefined
    ? new TrainReport({
      file: reportFile, run, net, startEpoch, resumedFrom: flags.resume, title: data.title, classNames: data.classNames,
      modelDescription: model?.description ?? resumed?.trained?.spec?.description,
      testImages: { ...data.testImages, label: testSetLabel(testCount, data.testTotal, data.testTitle, data.testImages ? 'images' : 'rows') },
    })
    : undefined;
  out.line(
    `${resumed ? `resuming ${flags.resume} after epoch ${startEpoch}: ` : ''}${run.model}: ${model?.description ?? describeSaved(run.model)}, ` +
      `${net.params().reduce((s, p) => s + p.value.length, 0).toLocaleString('en-US')} parameters`,
  );
  const noun = data.testImages ? 'images' : 'rows';
  out.line(
    `data: ${data.dataset === 'csv' || data.dataset === 'idx' ? shownPath(data.where) : `${data.title} in ${data.where}`}; ${run.trainCount.toLocaleString('en-US')} training, ${run.validation.toLocaleString('en-US')} validation, ` +
      `${testCount.toLocaleString('en-US')} test ${noun}${data.dataset === 'csv' || data.dataset === 'idx' ? ` (${data.testOrigin}), ${plural(data.classNames.length, 'class', 'classes')}` : ''}; ${plural(run.epochs, 'epoch')} of ${plural(batchesPerEpoch, 'batch', 'batches')} of ${run.batchSize}` +
      `${lastBatch !== run.batchSize ? ` (the last of ${lastBatch})` : ''}, ` +
      `${run.optimizer} lr ${run.lr} ${run.schedule}${run.shift ? `, shift ±${run.shift}px` : ''}`,
  );
  return report;
}

/** What the training stage leaves for the report: the history, the last checkpoint and the time spent. */
interface Trained {
  history: History;
  lastState: TrainingState | undefined;
  trainSeconds: number;
  /** The batches alone, and validation, summed over the epochs. */
  batchSeconds: number;
  validationSeconds: number;
}

/**
 * Stage 5, train: fit with a progress bar (stdout on a terminal; stderr with --json, if that is a terminal),
 * a line and a checkpoint after every epoch; Ctrl-C stops between batches (exit 130), a divergence is one line.
 */
async function trainWithProgress(out: Output, { run, resumed, outDir }: ResolvedRun, data: TrainingData, training: Training, report: TrainReport | undefined): Promise<Trained> {
  const { net, loss, optimizer, schedule, augment, metadata } = training;
  const progressStream = out.json ? (process.stderr.isTTY ? process.stderr : undefined) : process.stdout.isTTY ? process.stdout : undefined;
  let bar: EpochProgress | undefined;
  let savedEpoch: number | undefined;
  let lastState: TrainingState | undefined;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  let history: History;
  const trainStarted = performance.now();
  let epochStarted = trainStarted;
  let batchSeconds = 0;
  let validationSeconds = 0;
  try {
    history = await fit(net, loss, optimizer, data.train, {
      epochs: run.epochs,
      batchSize: run.batchSize,
      schedule,
      validation: data.validation,
      seed: run.seed,
      augment,
      signal: controller.signal,
      ...(resumed?.training ? { resume: resumed.training as TrainingState } : {}),
      onBatch: progressStream || report
        ? (info: BatchInfo) => {
            report?.onBatch(info);
            if (!progressStream) return;
            if (info.batch === 1) {
              bar = new EpochProgress(progressStream, `epoch ${info.epoch}/${info.epochs}`, info.batchesPerEpoch, undefined, epochStarted);
            }
            bar?.update(info.batch, info.samplesSeen, info.loss);
          }
        : undefined,
      onEpoch: (info: EpochInfo) => {
        bar?.clear();
        bar = undefined;
        batchSeconds += info.trainSeconds;
        validationSeconds += info.validationSeconds;
        printEpoch(out, info);
        lastState = info.trainingState();
        if (outDir !== undefined) {
          save(net, outDir, { optimizer, training: lastState, metadata: { ...metadata } });
          savedEpoch = info.epoch;
        }
        report?.epoch(info);
        epochStarted = performance.now();
      },
    });
  } catch (error) {
    bar?.clear();
    if (error instanceof TrainingDivergedError) throw divergedError(error, run, savedEpoch, outDir);
    throw error;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  if (history.stopReason === 'aborted') {
    bar?.clear();
    const where = savedEpoch !== undefined ? `; epoch ${savedEpoch} is saved in ${outDir} (continue with --resume ${outDir})` : '; nothing was saved';
    throw new CliError(`interrupted during epoch ${history.loss.length + 1}${where}`, 130);
  }
  return { history, lastState, trainSeconds, batchSeconds, validationSeconds };
}

/** The epoch's summary: a line, or with --json an "epoch" event. */
function printEpoch(out: Output, info: EpochInfo): void {
  const summary = {
    epoch: info.epoch,
    epochs: info.epochs,
    trainLoss: info.loss,
    trainAccuracy: info.accuracy,
    valLoss: info.valLoss ?? null,
    valAccuracy: info.valAccuracy ?? null,
    lr: info.lr,
    seconds: info.seconds,
    trainSeconds: info.trainSeconds,
    validationSeconds: info.validationSeconds,
  };
  if (out.json) {
    const { epochs: _epochs, ...fields } = summary;
    out.event({ event: 'epoch', ...fields });
  } else {
    out.line(epochLine(summary));
  }
}

/** A divergence as one line: where, a lower --lr to try, and what was kept. */
function divergedError(error: TrainingDivergedError, run: RunConfig, savedEpoch: number | undefined, outDir: string | undefined): CliError {
  const lower = Number((run.lr / 10).toPrecision(2));
  const kept = savedEpoch !== undefined
    ? `the checkpoint in ${outDir} is from epoch ${savedEpoch}, before the divergence`
    : 'nothing was saved';
  return new CliError(
    `training diverged: ${divergedQuantity(error.loss, error.gradNorm).replace(' is ', ' became ')} at epoch ${error.epoch}, batch ${error.batch} of ${error.batchesPerEpoch} ` +
      `(learning rate ${error.lr}). Try a lower --lr, e.g. --lr ${lower}; ${kept}.`,
  );
}

/**
 * Stage 6: test, save the final model with its test accuracy, report. The same pass as `nn eval` (same
 * argmax, same loss over all the scores at once), so that eval reproduces this number exactly; in
 * training-size batches, whose buffers the layers have already (a sample's scores do not depend on its batch).
 */
function finishRun(out: Output, { run, outDir, reportFile }: ResolvedRun, data: TrainingData, training: Training, trained: Trained, report: TrainReport | undefined, started: number): void {
  const { net, optimizer, metadata, startEpoch } = training;
  const { history, lastState, trainSeconds, batchSeconds, validationSeconds } = trained;
  const { test } = data;
  const testCount = test.y.length;
  const noun = data.testImages ? 'images' : 'rows';
  const epochsRun = history.loss.length - startEpoch;
  const result = evaluateWithConfusion(net, test.x, test.y, net.inputShape, run.batchSize);
  if (outDir !== undefined) {
    // fit has returned, so the last checkpoint holds these weights; add the test result to it.
    save(net, outDir, {
      optimizer,
      ...(lastState ? { training: lastState } : {}),
      metadata: { ...metadata, testAccuracy: result.accuracy, testSamples: testCount },
    });
  }
  report?.finish(history, result.scores, test.y, (performance.now() - started) / 1000);
  // Throughput of the batches alone: validation (and checkpointing) time is not training.
  const samplesPerSecond = batchSeconds > 0 ? (epochsRun * run.trainCount) / batchSeconds : 0;
  if (out.json) {
    out.event({ event: 'done', model: run.model, epochs: history.loss.length, testAccuracy: result.accuracy, trainSeconds, samplesPerSecond, validationSeconds });
  } else {
    out.line(
      `test accuracy ${formatPercent(result.accuracy)} (${testCount.toLocaleString('en-US')} ${noun}, loss ${result.loss.toFixed(4)}); ` +
        `trained ${plural(epochsRun, 'epoch')} in ${formatDuration(trainSeconds)} (${formatRate(samplesPerSecond)} samples/s` +
        `${run.validation > 0 ? `; validation ${validationSeconds < 10 ? `${validationSeconds.toFixed(1)}s` : formatDuration(validationSeconds)}` : ''}), ` +
        `total ${formatDuration((performance.now() - started) / 1000)}${outDir ? `; saved to ${path.relative(process.cwd(), outDir) || '.'}` : ''}` +
        `${reportFile ? `; report: ${path.relative(process.cwd(), reportFile)}` : ''}`,
    );
  }
}

/**
 * The number of compute threads for the kernels (the calling thread plus n − 1 workers over shared wasm
 * memory). Results are bit-identical for any count; more than one needs the WebAssembly kernels.
 */
export function applyThreads(options: { threads: number }): void {
  if (options.threads === getThreads()) return;
  try {
    setThreads(options.threads);
  } catch (e) {
    throw new CliError(`--threads ${options.threads}: ${(e as Error).message.replace(/^setThreads: /, '')}`);
  }
}

/** ./mnist-best, ./fashion-mnist-cnn, ./iris-spec: where a model is saved without --out. */
function defaultOutDir(choice: DataChoice, model: string): string {
  const data = choice.dataset ?? path.basename(choice.path ?? 'data').replace(/\.(csv|gz)$/i, '').replace(/[^A-Za-z0-9_.-]+/g, '-');
  return `${data}-${model.replace(/\.json$/i, '')}`;
}

/** A path (or a comma-separated pair) relative to the working directory when it lies below it. */
function shownPath(spec: string): string {
  return spec.split(',').map((p) => {
    const relative = path.relative(process.cwd(), p);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : p;
  }).join(',');
}

/** A saved run's model: the zoo description, or its name (a spec file). */
function describeSaved(model: string): string {
  return (MNIST_MODEL_NAMES as readonly string[]).includes(model) ? mnistModel(model).description : `the layers of ${model}`;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** "1 epoch", "5 epochs". */
function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
