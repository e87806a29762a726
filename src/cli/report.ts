/**
 * The report page of `nn train` and `nn eval`: what the CLI knows about a run (recipe, model, data, time,
 * machine) turned into the report's input, and the page rewritten after every epoch and at the end.
 */
import * as path from 'node:path';
import { mnistModel, MNIST_MODEL_NAMES, type MnistModelName } from '../models/mnist';
import type { BatchInfo, History } from '../net/train';
import type { Sequential } from '../net/sequential';
import { classificationEvaluation } from '../report/evaluation';
import { TrainingRecorder } from '../report/curves';
import { modelSummary } from '../report/model-summary';
import type { ReportImages, ReportInput, ReportValue } from '../report/html';
import { machineInfo, writeReport } from '../report/write';
import type { Tensor } from '../tensor';
import { CliError } from './errors';
import type { RunConfig } from './model-dir';
import { formatDuration, formatRate } from './progress';

export const REPORT_FILE = 'report.html';
export const EVAL_REPORT_FILE = 'eval-report.html';
/** While training runs, the page reloads itself this often (it is rewritten after every epoch). */
const REFRESH_SECONDS = 30;

/** Where `nn train` writes its report: DIR/report.html when saving (unless --no-report); --report needs a DIR. */
export function trainReportFile(report: boolean | undefined, outDir: string | undefined): string | undefined {
  if (report === true && outDir === undefined) {
    throw new CliError('--report writes report.html into the model directory: drop --no-save (or drop --report)');
  }
  return report === false || outDir === undefined ? undefined : path.join(outDir, REPORT_FILE);
}

/** The test samples as the report shows them: the images' raw bytes, one after another (none for CSV rows). */
export interface TestImages {
  pixels?: Uint8Array;
  width?: number;
  height?: number;
  /** What was evaluated, e.g. "MNIST test set, first 1,000 images". */
  label: string;
}

function reportImages(images: TestImages): ReportImages | undefined {
  return images.pixels && images.width && images.height ? { pixels: images.pixels, width: images.width, height: images.height } : undefined;
}

export interface TrainReportOptions {
  file: string;
  run: RunConfig;
  /** The data's name: "MNIST", "iris.csv". */
  title?: string;
  classNames?: readonly string[];
  /** The model's description when it is not a zoo model (a spec file). */
  modelDescription?: string;
  net: Sequential;
  testImages: TestImages;
  /** Epochs already trained before this process (a resumed run). */
  startEpoch: number;
  resumedFrom?: string;
}

/**
 * Collects the batches (pass `onBatch` to fit), and rewrites the page after every epoch (`epoch`) and once
 * the test set is evaluated (`finish`).
 */
export class TrainReport {
  private readonly recorder = new TrainingRecorder();
  private readonly started = performance.now();
  private readonly base: ReportInput;

  constructor(private readonly options: TrainReportOptions) {
    const { run, net } = options;
    this.base = {
      title: `${options.title ?? 'MNIST'} · ${run.model}`,
      subtitle: options.modelDescription ?? describeModel(run.model),
      classNames: options.classNames,
      plannedEpochs: run.epochs,
      model: modelSummary(net),
      recipe: recipeTable(run),
      evaluationLabel: options.testImages.label,
    };
  }

  readonly onBatch = (info: BatchInfo): void => this.recorder.onBatch(info);
  /** Seconds of this process's batches and validation passes (EpochInfo's split of each epoch). */
  private batchSeconds = 0;
  private validationSeconds = 0;

  /**
   * After each epoch (the checkpoint is saved): the curves so far; the page reloads itself until training
   * ends. `info` carries the epoch's time split into batches and validation.
   */
  epoch(info: { history: History; trainSeconds: number; validationSeconds: number }): void {
    const history = info.history;
    this.batchSeconds += info.trainSeconds;
    this.validationSeconds += info.validationSeconds;
    const epochs = history.loss.length;
    this.write({
      ...this.base,
      status: `training — epoch ${epochs} of ${this.options.run.epochs} done${this.options.resumedFrom ? ` (resumed after epoch ${this.options.startEpoch})` : ''}; this page reloads every ${REFRESH_SECONDS} s`,
      refreshSeconds: REFRESH_SECONDS,
      history,
      batches: this.recorder.records,
      performance: this.performance(history),
    });
  }

  /** At the end: the test evaluation from the scores of the final pass. */
  finish(history: History, scores: Tensor, labels: Int32Array, totalSeconds: number): void {
    const images = this.options.testImages;
    const stopped = history.stopReason === 'early-stopping' ? ` (stopped early after epoch ${history.loss.length})` : '';
    this.write({
      ...this.base,
      status: `finished: ${history.loss.length} of ${this.options.run.epochs} epochs${stopped}`,
      history,
      batches: this.recorder.records,
      evaluation: classificationEvaluation(scores, labels),
      images: reportImages(images),
      performance: { ...this.performance(history), 'total time': formatDuration(totalSeconds) },
    });
  }

  private performance(history: History): Record<string, ReportValue> {
    const seconds = history.seconds.slice(this.options.startEpoch);
    const trainSeconds = seconds.reduce((a, b) => a + b, 0);
    const samples = seconds.length * this.options.run.trainCount;
    return {
      'training time': formatDuration(trainSeconds),
      'seconds per epoch': seconds.length > 0 ? (trainSeconds / seconds.length).toFixed(1) : undefined,
      throughput: this.batchSeconds > 0 ? `${formatRate(samples / this.batchSeconds)} samples/s (the batches alone)` : undefined,
      'validation time': this.options.run.validation > 0 ? `${this.validationSeconds.toFixed(1)} s` : undefined,
      'epochs in this process': seconds.length,
      'wall clock so far': formatDuration((performance.now() - this.started) / 1000),
    };
  }

  private write(input: ReportInput): void {
    writeReport(this.options.file, { ...input, machine: machineInfo() });
  }
}

/** `nn eval DIR --report`: the evaluation with the model, its recipe and, if saved, its per-epoch history. */
export function writeEvalReport(
  file: string,
  model: {
    net: Sequential; run?: RunConfig; modelName?: string; history?: History; dir: string; title?: string; classNames?: readonly string[]; description?: string;
  },
  scores: Tensor,
  labels: Int32Array,
  testImages: TestImages,
): string {
  return writeReport(file, {
    title: `${model.title ?? 'MNIST'} · ${model.modelName ?? path.basename(model.dir)} · evaluation`,
    classNames: model.classNames,
    subtitle: model.description ?? (model.modelName ? describeModel(model.modelName) : undefined) ?? `model in ${model.dir}`,
    status: `evaluated the model saved in ${model.dir}`,
    history: model.history,
    plannedEpochs: model.run?.epochs,
    evaluation: classificationEvaluation(scores, labels),
    evaluationLabel: testImages.label,
    images: reportImages(testImages),
    model: modelSummary(model.net),
    recipe: model.run ? recipeTable(model.run) : undefined,
    machine: machineInfo(),
  });
}

export function testSetLabel(count: number, total: number, title = 'MNIST', noun = 'images'): string {
  return count < total
    ? `${title} test set, first ${count.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${noun}`
    : `${title} test set, ${total.toLocaleString('en-US')} ${noun}`;
}

function recipeTable(run: RunConfig): Record<string, ReportValue> {
  const data = run.data;
  return {
    data: data?.dataset ?? data?.path ?? 'mnist',
    ...(data?.path && !data.test ? { 'test split': `${data.testSplit ?? 0.2} held out at random, split seed ${data.splitSeed ?? 0}` } : {}),
    ...(data?.test ? { 'test data': data.test } : {}),
    model: run.model,
    optimizer: run.optimizer,
    'learning rate': run.lr,
    schedule: run.schedule,
    'batch size': run.batchSize,
    epochs: run.epochs,
    'weight decay': run.weightDecay,
    augmentation: run.shift > 0 ? `random shifts up to ±${run.shift} px` : 'none',
    'input scaling': run.normalize === 'standardize' ? 'standardised (training mean and std)' : data?.format === 'csv' ? 'as in the file' : 'pixels / 255',
    seed: run.seed,
    [`training ${data?.format === 'csv' ? 'rows' : 'images'}`]: run.trainCount,
    [`validation ${data?.format === 'csv' ? 'rows' : 'images'}`]: run.validation,
  };
}

function describeModel(name: string): string | undefined {
  return (MNIST_MODEL_NAMES as readonly string[]).includes(name) ? mnistModel(name as MnistModelName).description : undefined;
}
