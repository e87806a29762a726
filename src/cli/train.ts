/**
 * `nn train mnist`: load (or download) MNIST, build a model from the zoo (or resume a saved run),
 * train it with a live progress display, checkpoint after every epoch, and report the test accuracy.
 *
 * Data split: training images are the first min(--limit, 60000 − --validation) of the training file;
 * validation images are the LAST --validation (default 5,000) of it, whatever --limit is, so validation
 * numbers are comparable between quick and full runs; the test set is used only for the final report.
 */
import * as path from 'node:path';
import { Argument, Command, Option } from 'commander';
import { randomShift } from '../data/augment';
import { epochBatches } from '../data/batches';
import { imagesToInputs, labelsToInt32, loadMnist, pixelStats, UNIT_SCALING, type MnistData, type Normalization } from '../data/mnist';
import { SoftmaxCrossEntropy } from '../losses/softmax-cross-entropy';
import { MNIST_INPUT_SHAPE, MNIST_MODEL_NAMES, buildMnistModel, mnistModel } from '../models/mnist';
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
import { loadMnistModel, type MnistMetadata, type MnistRunConfig } from './model-dir';
import { defaultThreadCount, integer, nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber, threadCount } from './options';
import { EpochProgress, epochLine, formatDuration, formatPercent, formatRate } from './progress';
import { TrainReport, testSetLabel, trainReportFile } from './report';
import { SCHEDULE_HELP, scheduleFromSpec } from './schedule';

const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'rmsprop', 'adam', 'adagrad'] as const;
const TRAIN_FILE_COUNT = 60000;

/** The options commander hands to the action (camelCased flags). */
export interface TrainFlags {
  model: string;
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
  validation: number;
  testLimit?: number;
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
    .description('train a model on MNIST, checkpointing after every epoch, and report its test accuracy')
    .addArgument(new Argument('<dataset>', 'the dataset to train on').choices(['mnist']))
    .addOption(new Option('-m, --model <name>', 'the model to train (see below)').choices(MNIST_MODEL_NAMES).default('best'))
    .option('-e, --epochs <n>', 'number of epochs (the whole run, also when resuming) [model default]', positiveInt)
    .option('-b, --batch-size <n>', 'mini-batch size [model default]', positiveInt)
    .addOption(new Option('--optimizer <name>', 'update rule [model default]').choices(OPTIMIZERS))
    .option('--lr <rate>', 'initial learning rate η₀ [model default]', positiveNumber)
    .option('--schedule <spec>', 'learning-rate schedule, see below [model default]')
    .option('--weight-decay <lambda>', 'L2 weight decay λ (biases and BatchNorm excluded) [model default]', nonNegativeNumber)
    .option('--shift <pixels>', 'augment: shift training images randomly by up to this many pixels [model default]', nonNegativeInt)
    .addOption(new Option('--normalize <mode>', 'input scaling: pixels/255, or standardised with the training mean/std [model default]').choices(['scale', 'standardize']))
    .option('--seed <n>', 'seed of the weights, shuffling, dropout and augmentation', integer, 1)
    .option('--data-dir <dir>', 'MNIST directory (default: $NN_DATA_DIR, else the per-user cache; downloaded if missing)')
    .option('--limit <n>', 'train on the first N training images only (quick runs)', positiveInt)
    .option('--validation <n>', 'hold out the last N training images for validation (0: none)', nonNegativeInt, 5000)
    .option('--test-limit <n>', 'report the accuracy on the first N test images only (quick runs)', positiveInt)
    .option('-o, --out <dir>', 'save the model here, after every epoch (default: ./mnist-<model>, or the --resume directory); checked writable before training')
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

Output: on a terminal a progress bar per epoch; one summary line per epoch (train loss/accuracy,
validation loss/accuracy, lr, seconds); at the end the test accuracy and the total time.
With --json, stdout holds only JSON lines:
  {"event":"epoch","epoch","trainLoss","trainAccuracy","valLoss","valAccuracy","lr","seconds"}
  {"event":"done","model","epochs","testAccuracy","trainSeconds","samplesPerSecond"}

Examples:
  nn train mnist                                   the best model, its own recipe
  nn train mnist --model cnn --epochs 5 --out my-cnn
  nn train mnist --model mlp --optimizer momentum --lr 0.05 --schedule step:every=2,gamma=0.5
  nn train mnist --model mlp --limit 2000 --epochs 1 --test-limit 1000   a run of a few seconds
  nn train mnist --resume mnist-best --epochs 15   train a saved run further`)
    .action(async (_dataset: string, flags: TrainFlags, command: Command) => {
      await runTrain(flags, command);
    });
}

/** Flags that define a run; on --resume they come from the saved run and may not be changed. */
const RECIPE_FLAGS = ['model', 'batchSize', 'optimizer', 'lr', 'schedule', 'weightDecay', 'shift', 'normalize', 'seed', 'limit', 'validation'] as const;

interface Output {
  json: boolean;
  line(text: string): void;
  event(object: Record<string, unknown>): void;
}

export async function runTrain(flags: TrainFlags, command: Command): Promise<void> {
  const started = performance.now();
  const out: Output = {
    json: flags.json === true,
    line: (text) => {
      if (!flags.json) process.stdout.write(`${text}\n`);
    },
    event: (object) => process.stdout.write(`${JSON.stringify(object)}\n`),
  };
  applyThreads({ threads: flags.threads ?? defaultThreadCount() });

  // 1. The run: from the saved model (--resume) or from the zoo recipe and the flags.
  const resumed = flags.resume !== undefined ? loadMnistModel(flags.resume) : undefined;
  let run: MnistRunConfig;
  if (resumed) {
    const saved = resumed.mnist;
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
    run = { ...saved.run, epochs: flags.epochs ?? saved.run.epochs };
    if (resumed.training.epoch >= run.epochs) {
      throw new CliError(`${flags.resume} has already trained ${resumed.training.epoch} epochs; pass --epochs N with N > ${resumed.training.epoch} to train further`);
    }
  } else {
    const recipe = mnistModel(flags.model).recipe;
    const validation = flags.validation;
    if (validation >= TRAIN_FILE_COUNT) throw new CliError(`--validation ${validation} leaves no training images (MNIST has ${TRAIN_FILE_COUNT})`);
    const available = TRAIN_FILE_COUNT - validation;
    if (flags.limit !== undefined && flags.limit > available) {
      throw new CliError(`--limit ${flags.limit} with --validation ${validation}: at most ${available} training images are left (the last ${validation} are for validation)`);
    }
    run = {
      model: flags.model,
      epochs: flags.epochs ?? recipe.epochs,
      batchSize: flags.batchSize ?? recipe.batchSize,
      optimizer: flags.optimizer ?? recipe.optimizer,
      lr: flags.lr ?? recipe.lr,
      schedule: flags.schedule ?? recipe.schedule,
      weightDecay: flags.weightDecay ?? recipe.weightDecay,
      shift: flags.shift ?? recipe.shift,
      normalize: flags.normalize ?? recipe.normalize,
      seed: flags.seed,
      trainCount: flags.limit ?? available,
      validation,
    };
  }
  // Check the schedule's syntax now, before minutes of data loading.
  scheduleFromSpec(run.schedule, run.lr, run.epochs, 1);
  const outDir = flags.save ? path.resolve(flags.out ?? flags.resume ?? `mnist-${run.model}`) : undefined;
  if (outDir !== undefined) {
    checkOutDir({ dir: outDir, overwrite: flags.overwrite === true, resumeDir: flags.resume !== undefined ? path.resolve(flags.resume) : undefined });
  }
  const reportFile = trainReportFile(flags.report, outDir);

  // 2. Data.
  const data = await loadMnist({ dataDir: flags.dataDir });
  checkDataSize(data, run);
  const pixels = data.train.rows * data.train.cols;
  const normalization: Normalization = resumed?.mnist?.normalization
    ?? (run.normalize === 'standardize' ? pixelStats(data.train.images, pixels, 0, run.trainCount) : UNIT_SCALING);
  // The images stay bytes (views of the files' pixels); fit and evaluate normalise them a batch at a time.
  const toX = (images: Uint8Array, start: number, count: number) =>
    imagesToInputs(images, data.train.rows, data.train.cols, start, count, normalization);
  const train = { x: toX(data.train.images, 0, run.trainCount), y: labelsToInt32(data.train.labels, 0, run.trainCount) };
  const valStart = TRAIN_FILE_COUNT - run.validation;
  const validation = run.validation > 0
    ? { x: toX(data.train.images, valStart, run.validation), y: labelsToInt32(data.train.labels, valStart, run.validation) }
    : undefined;
  const testCount = Math.min(flags.testLimit ?? data.test.count, data.test.count);
  const test = {
    x: imagesToInputs(data.test.images, data.test.rows, data.test.cols, 0, testCount, normalization),
    y: labelsToInt32(data.test.labels, 0, testCount),
  };

  // 3. Net, loss, optimizer, schedule.
  const net: Sequential = resumed?.net ?? buildMnistModel(run.model, run.seed);
  if (net.inputShape.join() !== MNIST_INPUT_SHAPE.join()) {
    throw new CliError(`the model in ${flags.resume} takes inputs [${net.inputShape.join(', ')}]; nn train feeds [${MNIST_INPUT_SHAPE.join(', ')}]`);
  }
  const loss = new SoftmaxCrossEntropy();
  const optimizer: Optimizer = resumed?.optimizer ?? createOptimizer(run.optimizer, { lr: run.lr, weightDecay: run.weightDecay });
  const batches = epochBatches(run.trainCount, run.batchSize);
  const batchesPerEpoch = batches.count;
  const lastBatch = batches.size(batchesPerEpoch - 1);
  const schedule = scheduleFromSpec(run.schedule, run.lr, run.epochs, batchesPerEpoch);
  const metadata: MnistMetadata = { dataset: 'mnist', model: run.model, normalization, run };
  // Shifted-in pixels are background: 0 before scaling, whatever that becomes after it.
  const augment = run.shift > 0 ? randomShift({ maxShift: run.shift, fill: (0 - normalization.mean) / normalization.std }) : undefined;

  const startEpoch = resumed?.training?.epoch ?? 0;
  const report = reportFile !== undefined
    ? new TrainReport({
      file: reportFile, run, net, startEpoch, resumedFrom: flags.resume,
      testImages: { pixels: data.test.images, width: data.test.cols, height: data.test.rows, label: testSetLabel(testCount, data.test.count) },
    })
    : undefined;
  out.line(
    `${resumed ? `resuming ${flags.resume} after epoch ${startEpoch}: ` : ''}${run.model}: ${mnistModel(run.model).description}, ` +
      `${net.params().reduce((s, p) => s + p.value.length, 0).toLocaleString('en-US')} parameters`,
  );
  out.line(
    `data: ${data.dir}; ${run.trainCount.toLocaleString('en-US')} training, ${run.validation.toLocaleString('en-US')} validation, ` +
      `${testCount.toLocaleString('en-US')} test images; ${plural(run.epochs, 'epoch')} of ${plural(batchesPerEpoch, 'batch', 'batches')} of ${run.batchSize}` +
      `${lastBatch !== run.batchSize ? ` (the last of ${lastBatch})` : ''}, ` +
      `${run.optimizer} lr ${run.lr} ${run.schedule}${run.shift ? `, shift ±${run.shift}px` : ''}`,
  );

  // 4. Train. Progress goes to stdout on a terminal (to stderr with --json, if that is a terminal).
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
  try {
    history = await fit(net, loss, optimizer, train, {
      epochs: run.epochs,
      batchSize: run.batchSize,
      schedule,
      validation,
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
        const summary = {
          epoch: info.epoch,
          epochs: info.epochs,
          trainLoss: info.loss,
          trainAccuracy: info.accuracy,
          valLoss: info.valLoss ?? null,
          valAccuracy: info.valAccuracy ?? null,
          lr: info.lr,
          seconds: info.seconds,
        };
        if (out.json) {
          const { epochs: _epochs, ...fields } = summary;
          out.event({ event: 'epoch', ...fields });
        } else {
          out.line(epochLine(summary));
        }
        lastState = info.trainingState();
        if (outDir !== undefined) {
          save(net, outDir, { optimizer, training: lastState, metadata: { ...metadata } });
          savedEpoch = info.epoch;
        }
        report?.epoch(info.history);
        epochStarted = performance.now();
      },
    });
  } catch (error) {
    bar?.clear();
    if (error instanceof TrainingDivergedError) {
      const lower = Number((run.lr / 10).toPrecision(2));
      const kept = savedEpoch !== undefined
        ? `the checkpoint in ${outDir} is from epoch ${savedEpoch}, before the divergence`
        : 'nothing was saved';
      throw new CliError(
        `training diverged: ${divergedQuantity(error.loss, error.gradNorm).replace(' is ', ' became ')} at epoch ${error.epoch}, batch ${error.batch} of ${error.batchesPerEpoch} ` +
          `(learning rate ${error.lr}). Try a lower --lr, e.g. --lr ${lower}; ${kept}.`,
      );
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  const epochsRun = history.loss.length - startEpoch;

  if (history.stopReason === 'aborted') {
    bar?.clear();
    const where = savedEpoch !== undefined ? `; epoch ${savedEpoch} is saved in ${outDir} (continue with --resume ${outDir})` : '; nothing was saved';
    throw new CliError(`interrupted during epoch ${history.loss.length + 1}${where}`, 130);
  }

  // 5. Test, save the final model with its test accuracy, report.
  // The same pass as `nn eval` (same argmax, same loss over all the scores at once), so that eval reproduces
  // this number exactly; in training-size batches, whose buffers the layers have already (a sample's scores
  // do not depend on its batch).
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
  const samplesPerSecond = epochsRun > 0 ? (epochsRun * run.trainCount) / history.seconds.slice(startEpoch).reduce((a, b) => a + b, 0) : 0;
  if (out.json) {
    out.event({ event: 'done', model: run.model, epochs: history.loss.length, testAccuracy: result.accuracy, trainSeconds, samplesPerSecond });
  } else {
    out.line(
      `test accuracy ${formatPercent(result.accuracy)} (${testCount.toLocaleString('en-US')} images, loss ${result.loss.toFixed(4)}); ` +
        `trained ${plural(epochsRun, 'epoch')} in ${formatDuration(trainSeconds)} (${formatRate(samplesPerSecond)} samples/s), ` +
        `total ${formatDuration((performance.now() - started) / 1000)}${outDir ? `; saved to ${path.relative(process.cwd(), outDir) || '.'}` : ''}` +
        `${reportFile ? `; report: ${path.relative(process.cwd(), reportFile)}` : ''}`,
    );
  }
}

function checkDataSize(data: MnistData, run: MnistRunConfig): void {
  if (data.train.count !== TRAIN_FILE_COUNT) {
    throw new CliError(`${data.dir}: the training file holds ${data.train.count} images, MNIST has ${TRAIN_FILE_COUNT}`);
  }
  if (data.train.rows !== 28 || data.train.cols !== 28) {
    throw new CliError(`${data.dir}: images are ${data.train.rows}×${data.train.cols}, MNIST's are 28×28`);
  }
  if (run.trainCount + run.validation > data.train.count) {
    throw new CliError(`${run.trainCount} training + ${run.validation} validation images exceed the ${data.train.count} in ${data.dir}`);
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

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** "1 epoch", "5 epochs". */
function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
