/**
 * `nn predict DIR FILE` (or `--data PATH`): classify samples with a saved model. For a model trained on
 * images FILE is an IDX image file (gzipped or raw; every image, or the first N), a binary PGM (P5, white
 * on black like MNIST), or an IDX pair / directory; for a model trained on a CSV it is a CSV with the same
 * feature columns (the label column may be left out). Prints, per sample, the predicted class and every
 * class probability (softmax of the scores); when the file has labels, the accuracy at the end.
 */
import { Command } from 'commander';
import { predict } from '../net/train';
import { CliError } from './errors';
import { TEST_BATCH_SIZE } from './eval';
import { fileSamples } from './eval-data';
import { asModelInput, loadModelDir } from './model-dir';
import { positiveInt } from './options';
import { formatPercent } from './progress';

export { readImages, parsePgm, type ImageBytes } from './predict-images';

export interface PredictFlags {
  first?: number;
  json?: boolean;
  invert?: boolean;
  data?: string;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('classify samples with a saved model: images (IDX, PGM) or CSV rows')
    .argument('<dir>', 'the model directory (written by nn train)')
    .argument('[file]', 'an IDX image file (.gz or raw), a binary PGM (P5, white on black), an IDX pair IMAGES,LABELS, or a CSV (for a model trained on one)')
    .option('--data <path>', 'the same as FILE')
    .option('-n, --first <n>', 'classify only the first N samples', positiveInt)
    .option('--invert', 'invert the pixels first (for a dark digit on a light background)')
    .option('--json', 'one JSON line per sample: {"index","class","name","probabilities"} (CSV rows also "line")')
    .action(async (dir: string, file: string | undefined, flags: PredictFlags) => {
      runPredict(dir, file, flags);
    });
}

export function runPredict(dir: string, file: string | undefined, flags: PredictFlags): void {
  if (file !== undefined && flags.data !== undefined && file !== flags.data) throw new CliError(`give the data once: FILE (${file}) or --data ${flags.data}`);
  const source = file ?? flags.data;
  const model = loadModelDir(dir);
  if (source === undefined) throw new CliError('what to classify? give a FILE (an image file, an IDX pair or a CSV) after the model directory');
  if (flags.invert && model.input?.kind === 'features') throw new CliError('--invert inverts image pixels; this model reads CSV rows');
  const samples = fileSamples(model, source, { requireLabels: false, preferTest: false, limit: flags.first, invert: flags.invert });
  const count = samples.x.shape[0];
  const classes = model.classNames.length;
  const scores = predict(model.net, asModelInput(samples.x, model.net.inputShape), TEST_BATCH_SIZE);
  const names = model.classNames;
  const numbered = names.every((n, k) => n === String(k));
  const lines: string[] = [];
  let correct = 0;
  for (let i = 0; i < count; i++) {
    const probabilities = softmax(scores.data.subarray(i * classes, (i + 1) * classes));
    let best = 0;
    for (let k = 1; k < classes; k++) if (probabilities[k] > probabilities[best]) best = k;
    if (samples.y && samples.y[i] === best) correct++;
    const line = samples.lines?.[i];
    if (flags.json) {
      lines.push(JSON.stringify({
        index: i, ...(line !== undefined ? { line } : {}), class: best, ...(numbered ? {} : { name: names[best] }),
        probabilities: Array.from(probabilities, (p) => Number(p.toPrecision(6))),
      }));
    } else {
      const list = Array.from(probabilities, (p, k) => `${names[k]}:${p.toFixed(4)}`).join(' ');
      const label = line !== undefined ? `row ${i + 1} (line ${line}): ` : count > 1 ? `image ${String(i).padStart(String(count - 1).length)}: ` : '';
      lines.push(`${label}class ${names[best]} (p ${probabilities[best].toFixed(4)})  probabilities ${list}`);
    }
  }
  if (samples.y && !flags.json) {
    lines.push(`accuracy ${formatPercent(correct / count)} (${count - correct} wrong of ${count.toLocaleString('en-US')} ${samples.noun} with labels in ${samples.title})`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Stable softmax (max subtracted) in float64. */
export function softmax(scores: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]);
  const out = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    out[i] = Math.exp(scores[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}
