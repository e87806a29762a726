/**
 * `nn eval DIR [dataset]` / `nn eval DIR --data PATH`: the saved model's accuracy on a test set — the
 * dataset it was trained on (or the one named), or the user's file — encoded as in training (eval-data.ts),
 * and the K×K confusion matrix (rows: true class, columns: predicted class).
 */
import { Argument, Command } from 'commander';
import { DATASET_NAMES } from '../data/datasets';
import { SoftmaxCrossEntropy } from '../losses/softmax-cross-entropy';
import { argmaxRows, predict } from '../net/train';
import { sizeOf } from '../tensor';
import { CliError } from './errors';
import { evaluationSamples } from './eval-data';
import { asModelInput, loadModelDir } from './model-dir';
import type { Sequential } from '../net/sequential';
import type { Inputs } from '../data/batches';
import type { Tensor } from '../tensor';
import { positiveInt } from './options';
import { formatPercent } from './progress';
import { EVAL_REPORT_FILE, testSetLabel, writeEvalReport } from './report';
import * as path from 'node:path';

export interface EvalFlags {
  dataDir?: string;
  data?: string;
  testLimit?: number;
  json?: boolean;
  report?: string | boolean;
}

/**
 * Samples per forward pass of nn eval and nn predict. A sample's scores do not depend on the batch it is in, so
 * this only trades speed for memory: the layers' buffers grow with it (SimpleConvNet ~0.3 MB per image).
 */
export const TEST_BATCH_SIZE = 100;

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('test accuracy and confusion matrix of a saved model')
    .argument('<dir>', 'the model directory (written by nn train)')
    .addArgument(new Argument('[dataset]', 'a dataset by name [default: the one the model was trained on]').choices(DATASET_NAMES))
    .option('--data <path>', 'evaluate on your own labelled data: a CSV (the model\'s columns), an IDX pair IMAGES,LABELS or a directory (its test pair)')
    .option('--data-dir <dir>', 'the named dataset\'s directory (default: its variable, e.g. $NN_DATA_DIR, else the per-user cache; downloaded if missing)')
    .option('--test-limit <n>', 'evaluate the first N test samples only', positiveInt)
    .option('--report [file]', `write the evaluation as a report page (default file: DIR/${EVAL_REPORT_FILE})`)
    .option('--json', 'print one JSON object: {"event":"eval","model","testAccuracy","testLoss","samples","confusion"}')
    .action(async (dir: string, dataset: string | undefined, flags: EvalFlags) => {
      await runEval(dir, flags, dataset);
    });
}

export interface EvalResult {
  accuracy: number;
  loss: number;
  samples: number;
  /** confusion[t][p]: test samples of class t classified as p. */
  confusion: number[][];
  /** The raw scores [N, classes] of the pass (for the report's probabilities). */
  scores: Tensor;
}

export async function runEval(dir: string, flags: EvalFlags, dataset?: string): Promise<void> {
  const model = loadModelDir(dir);
  const samples = await evaluationSamples(model, dataset, { data: flags.data, dataDir: flags.dataDir, limit: flags.testLimit });
  const labels = samples.y!;
  const result = evaluateWithConfusion(model.net, samples.x, labels, model.net.inputShape);
  const count = labels.length;
  const modelName = model.trained?.model;
  const reportFile = flags.report === undefined || flags.report === false
    ? undefined
    : writeEvalReport(
      flags.report === true ? path.join(dir, EVAL_REPORT_FILE) : flags.report,
      {
        net: model.net, dir, run: model.trained?.run, modelName, history: model.training?.history,
        title: samples.title, classNames: model.classNames, description: model.trained?.spec?.description,
      },
      result.scores, labels,
      { ...samples.images, label: testSetLabel(count, samples.total, samples.title, samples.noun) },
    );
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ event: 'eval', model: modelName ?? null, testAccuracy: result.accuracy, testLoss: result.loss, samples: result.samples, confusion: result.confusion })}\n`,
    );
    return;
  }
  const name = modelName ? `${modelName} model` : 'model';
  process.stdout.write(
    `${name} in ${dir}: test accuracy ${formatPercent(result.accuracy)} ` +
      `(${result.samples.toLocaleString('en-US')} ${samples.noun} of ${samples.title}, ${Math.round((1 - result.accuracy) * result.samples)} wrong, loss ${result.loss.toFixed(4)})\n\n`,
  );
  process.stdout.write(`${formatConfusion(result.confusion, model.classNames)}\n`);
  if (reportFile !== undefined) process.stdout.write(`\nreport: ${path.relative(process.cwd(), reportFile) || reportFile}\n`);
}

export function evaluateWithConfusion(
  net: Sequential,
  images: Inputs,
  labels: Int32Array,
  inputShape: readonly number[],
  batchSize = TEST_BATCH_SIZE,
): EvalResult {
  if (images.shape[0] === 0) throw new CliError('no test samples to evaluate');
  const scores = predict(net, asModelInput(images, inputShape), batchSize);
  const crossEntropy = new SoftmaxCrossEntropy();
  const loss = crossEntropy.forward(scores, labels);
  crossEntropy.dispose();
  const predicted = argmaxRows(scores);
  const classes = sizeOf(net.outputShape);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    confusion[labels[i]][predicted[i]]++;
    if (predicted[i] === labels[i]) correct++;
  }
  return { accuracy: correct / labels.length, loss, samples: labels.length, confusion, scores };
}

/**
 * The matrix with row totals and per-class recall, right-aligned. Classes named other than 0, 1, 2 … are
 * numbered in the matrix and listed with their names below it.
 */
export function formatConfusion(confusion: number[][], classNames?: readonly string[]): string {
  const width = Math.max(5, ...confusion.flat().map((v) => String(v).length)) + 1;
  const cell = (v: string | number): string => String(v).padStart(width);
  const named = classNames !== undefined && !classNames.every((n, k) => n === String(k));
  const digits = classNames === undefined || (!named && confusion.length === 10);
  const noun = digits ? 'digit' : 'class';
  const head = Math.max(5, String(confusion.length - 1).length + 1);
  const lines = [
    `confusion matrix (rows: true ${noun}, columns: predicted ${noun})`,
    `${'true'.padEnd(head)}${confusion.map((_, j) => cell(j)).join('')}${cell('total')}   recall`,
  ];
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const recall = total > 0 ? formatPercent(row[i] / total) : '–';
    lines.push(`${String(i).padEnd(head)}${row.map((v) => cell(v)).join('')}${cell(total)}  ${recall.padStart(7)}`);
  });
  if (named) lines.push(`classes: ${classNames!.map((n, k) => `${k} = ${n}`).join(', ')}`);
  return lines.join('\n');
}
