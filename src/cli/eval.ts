/**
 * `nn eval DIR mnist`: the saved model's accuracy on the MNIST test set, with the input normalisation
 * it was trained with, and the 10×10 confusion matrix (rows: true digit, columns: predicted digit).
 */
import { Argument, Command } from 'commander';
import { imagesToInputs, labelsToInt32, loadMnist } from '../data/mnist';
import { SoftmaxCrossEntropy } from '../losses/softmax-cross-entropy';
import { argmaxRows, predict } from '../net/train';
import { CliError } from './errors';
import { asModelInput, loadMnistModel } from './model-dir';
import type { Sequential } from '../net/sequential';
import type { Inputs } from '../data/batches';
import type { Tensor } from '../tensor';
import { positiveInt } from './options';
import { formatPercent } from './progress';
import { EVAL_REPORT_FILE, testSetLabel, writeEvalReport } from './report';
import * as path from 'node:path';

export interface EvalFlags {
  dataDir?: string;
  testLimit?: number;
  json?: boolean;
  report?: string | boolean;
}

/** The batch size of every test-set pass (nn train's final evaluation uses the same, so results agree bit for bit). */
/**
 * Images per forward pass of nn eval and nn predict. A sample's scores do not depend on the batch it is in, so
 * this only trades speed for memory: the layers' buffers grow with it (SimpleConvNet ~0.3 MB per image).
 */
export const TEST_BATCH_SIZE = 100;

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('test accuracy and confusion matrix of a saved model')
    .argument('<dir>', 'the model directory (written by nn train)')
    .addArgument(new Argument('[dataset]', 'the dataset').choices(['mnist']).default('mnist'))
    .option('--data-dir <dir>', 'MNIST directory (default: $NN_DATA_DIR, else the per-user cache; downloaded if missing)')
    .option('--test-limit <n>', 'evaluate the first N test images only', positiveInt)
    .option('--report [file]', `write the evaluation as a report page (default file: DIR/${EVAL_REPORT_FILE})`)
    .option('--json', 'print one JSON object: {"event":"eval","model","testAccuracy","testLoss","samples","confusion"}')
    .action(async (dir: string, _dataset: string, flags: EvalFlags) => {
      await runEval(dir, flags);
    });
}

export interface EvalResult {
  accuracy: number;
  loss: number;
  samples: number;
  /** confusion[t][p]: test images of digit t classified as p. */
  confusion: number[][];
  /** The raw scores [N, 10] of the pass (for the report's probabilities). */
  scores: Tensor;
}

export async function runEval(dir: string, flags: EvalFlags): Promise<void> {
  const model = loadMnistModel(dir);
  const data = await loadMnist({ dataDir: flags.dataDir });
  const count = Math.min(flags.testLimit ?? data.test.count, data.test.count);
  const images = imagesToInputs(data.test.images, data.test.rows, data.test.cols, 0, count, model.normalization);
  const labels = labelsToInt32(data.test.labels, 0, count);
  const result = evaluateWithConfusion(model.net, images, labels, model.net.inputShape);
  const reportFile = flags.report === undefined || flags.report === false
    ? undefined
    : writeEvalReport(
      flags.report === true ? path.join(dir, EVAL_REPORT_FILE) : flags.report,
      { net: model.net, dir, run: model.mnist?.run, modelName: model.mnist?.model, history: model.training?.history },
      result.scores, labels,
      { pixels: data.test.images, width: data.test.cols, height: data.test.rows, label: testSetLabel(count, data.test.count) },
    );
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ event: 'eval', model: model.mnist?.model ?? null, testAccuracy: result.accuracy, testLoss: result.loss, samples: result.samples, confusion: result.confusion })}\n`,
    );
    return;
  }
  const name = model.mnist ? `${model.mnist.model} model` : 'model';
  process.stdout.write(
    `${name} in ${dir}: test accuracy ${formatPercent(result.accuracy)} ` +
      `(${result.samples.toLocaleString('en-US')} images, ${Math.round((1 - result.accuracy) * result.samples)} wrong, loss ${result.loss.toFixed(4)})\n\n`,
  );
  process.stdout.write(`${formatConfusion(result.confusion)}\n`);
  if (reportFile !== undefined) process.stdout.write(`\nreport: ${path.relative(process.cwd(), reportFile) || reportFile}\n`);
}

export function evaluateWithConfusion(
  net: Sequential,
  images: Inputs,
  labels: Int32Array,
  inputShape: readonly number[],
  batchSize = TEST_BATCH_SIZE,
): EvalResult {
  if (images.shape[0] === 0) throw new CliError('no test images to evaluate');
  const scores = predict(net, asModelInput(images, inputShape), batchSize);
  const crossEntropy = new SoftmaxCrossEntropy();
  const loss = crossEntropy.forward(scores, labels);
  crossEntropy.dispose();
  const predicted = argmaxRows(scores);
  const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    confusion[labels[i]][predicted[i]]++;
    if (predicted[i] === labels[i]) correct++;
  }
  return { accuracy: correct / labels.length, loss, samples: labels.length, confusion, scores };
}

/** The matrix with row totals and per-digit recall, right-aligned. */
export function formatConfusion(confusion: number[][]): string {
  const width = Math.max(5, ...confusion.flat().map((v) => String(v).length)) + 1;
  const cell = (v: string | number): string => String(v).padStart(width);
  const lines = [
    'confusion matrix (rows: true digit, columns: predicted digit)',
    `${'true'.padEnd(5)}${confusion.map((_, j) => cell(j)).join('')}${cell('total')}   recall`,
  ];
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const recall = total > 0 ? formatPercent(row[i] / total) : '–';
    lines.push(`${String(i).padEnd(5)}${row.map((v) => cell(v)).join('')}${cell(total)}  ${recall.padStart(7)}`);
  });
  return lines.join('\n');
}
