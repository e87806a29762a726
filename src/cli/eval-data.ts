/**
 * The samples `nn eval` and `nn predict` feed a saved model, encoded the way it was trained: a named
 * dataset's test set, or the user's files (--data: a CSV with the model's feature columns, an IDX pair or a
 * directory's test pair, an IDX image file or a PGM). Pixel normalisation, feature scaling, the feature
 * columns and the class names all come from the model, so a file that does not fit says so in one line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCsv } from '../data/csv';
import { findDataset } from '../data/datasets';
import { loadDataset } from '../data/idx-dataset';
import { featuresToTensor } from '../data/features';
import { loadIdxPair, resolveIdxPath } from '../data/idx-pair';
import { imagesToInputs, labelsToInt32 } from '../data/pixels';
import type { Inputs } from '../data/batches';
import { sizeOf, type Tensor } from '../tensor';
import { CliError } from './errors';
import { loadTrainingData } from './train-data';
import type { ModelDir } from './model-dir';
import { readImages } from './predict-images';

export interface EvaluationSamples {
  x: Inputs;
  /** Class indices; undefined when the file has no labels (predict only). */
  y?: Int32Array;
  /** "MNIST", "test.csv": the data's name. */
  title: string;
  /** Samples in the file before --test-limit / --first. */
  total: number;
  noun: 'images' | 'rows';
  /** Images: their bytes (for the report page). */
  images?: { pixels: Uint8Array; width: number; height: number };
  /** CSV: the line each row starts on. */
  lines?: Uint32Array;
}

/** What the model was trained on, in words, for "give --data …" messages. */
function trainedOn(model: ModelDir): string {
  const data = model.trained?.run?.data;
  return data?.path ?? data?.dataset ?? model.trained?.dataset ?? 'its own data';
}

/**
 * The labelled test samples for `nn eval`: --data PATH, else the dataset named (or the one the model was
 * trained on, else MNIST), at most `limit` of them.
 */
export async function evaluationSamples(
  model: ModelDir,
  dataset: string | undefined,
  flags: { data?: string; dataDir?: string; limit?: number },
): Promise<EvaluationSamples> {
  if (flags.data !== undefined) {
    if (dataset !== undefined) throw new CliError(`give either a dataset (${dataset}) or --data ${flags.data}, not both`);
    const samples = fileSamples(model, flags.data, { requireLabels: true, preferTest: true, limit: flags.limit });
    return samples;
  }
  const name = dataset ?? (model.trained && findDataset(model.trained.dataset) ? model.trained.dataset : model.trained ? undefined : 'mnist');
  const run = model.trained?.run;
  if (name === undefined && run?.data?.path !== undefined) {
    // The user's data: the test rows training used — the --test file, or the same held-out rows (same split seed).
    const data = await loadTrainingData({ ...run }, run.data, {
      testLimit: flags.limit, normalization: model.trained?.normalization, features: model.trained?.features,
    });
    if (data.classNames.join('\u0000') !== model.classNames.join('\u0000')) {
      throw new CliError(`${run.data.path} no longer has the classes the model in ${model.dir} was trained on; give the data to evaluate on with --data PATH`);
    }
    return {
      x: data.test.x, y: data.test.y, title: data.testTitle, total: data.testTotal, noun: data.testImages ? 'images' : 'rows',
      ...(data.testImages ? { images: data.testImages } : {}),
    };
  }
  if (name === undefined) {
    throw new CliError(`the model in ${model.dir} was trained on ${trainedOn(model)}; give the data to evaluate it on with --data PATH`);
  }
  const spec = findDataset(name)!;
  const input = model.input;
  if (input?.kind !== 'pixels' || input.rows !== spec.rows || input.cols !== spec.cols || model.classNames.length !== spec.classNames.length) {
    throw new CliError(
      `the model in ${model.dir} takes inputs [${model.net.inputShape.join(', ')}] and gives [${model.net.outputShape.join(', ')}]; ` +
        `${spec.title} needs ${spec.rows}×${spec.cols} = ${spec.rows * spec.cols} pixels in ([1, ${spec.rows}, ${spec.cols}] or [${spec.rows * spec.cols}]) and ${spec.classNames.length} class scores out`,
    );
  }
  const data = await loadDataset(spec, { dataDir: flags.dataDir });
  const test = data.test;
  const count = Math.min(flags.limit ?? test.count, test.count);
  return {
    x: imagesToInputs(test.images, test.rows, test.cols, 0, count, input.normalization),
    y: labelsToInt32(test.labels, 0, count),
    title: spec.title,
    total: test.count,
    noun: 'images',
    images: { pixels: test.images.subarray(0, count * test.rows * test.cols), width: test.cols, height: test.rows },
  };
}

/**
 * Samples from the user's file(s), checked against the model: a CSV (the model's feature columns; labels
 * optional unless `requireLabels`), an IDX pair IMAGES,LABELS or a directory (its test pair when
 * `preferTest`, else its training pair), or one IDX image file / PGM (no labels).
 */
export function fileSamples(
  model: ModelDir,
  spec: string,
  options: { requireLabels: boolean; preferTest: boolean; limit?: number; invert?: boolean },
): EvaluationSamples {
  const input = model.input;
  if (input === undefined) {
    throw new CliError(`the model in ${model.dir} takes inputs [${model.net.inputShape.join(', ')}] and holds no nn train metadata saying how to make them from a file`);
  }
  if (input.kind === 'features') {
    const f = input.features;
    const csv = loadCsv(spec, {
      labelColumn: f.labelColumn, classNames: model.classNames, featureColumns: f.columns, requireLabels: options.requireLabels,
    });
    const count = Math.min(options.limit ?? csv.count, csv.count);
    const rows = Array.from({ length: count }, (_, i) => i);
    return {
      x: featuresToTensor(csv.features, f.columns.length, f, rows),
      ...(csv.labels ? { y: csv.labels.slice(0, count) } : {}),
      title: path.basename(spec),
      total: csv.count,
      noun: 'rows',
      lines: csv.lines.slice(0, count),
    };
  }
  let pixels: Uint8Array;
  let labels: Uint8Array | undefined;
  let rows: number;
  let cols: number;
  let total: number;
  let title: string;
  const isPairOrDir = spec.includes(',') || (fs.existsSync(spec) && fs.statSync(spec).isDirectory());
  if (isPairOrDir || options.requireLabels) {
    const paths = resolveIdxPath(spec);
    const files = options.preferTest && paths.test ? paths.test : paths.train;
    const pair = loadIdxPair(files.images, files.labels);
    ({ images: pixels, labels, rows, cols, count: total } = pair);
    title = files.images;
  } else {
    const images = readImages(spec);
    ({ pixels, rows, cols, count: total } = images);
    title = spec;
  }
  if (rows !== input.rows || cols !== input.cols) {
    throw new CliError(`${title} holds ${rows}×${cols} images; the model takes ${input.rows}×${input.cols}`);
  }
  if (total === 0) throw new CliError(`${title} holds no images`);
  const classes = sizeOf(model.net.outputShape);
  if (labels) {
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] >= classes) throw new CliError(`${title}'s labels: label ${labels[i]} at index ${i} is not one of the model's ${classes} classes 0–${classes - 1}`);
    }
  }
  const count = Math.min(options.limit ?? total, total);
  // A dark figure on a light background (most image editors) becomes MNIST's light on dark.
  if (options.invert) pixels = pixels.map((p) => 255 - p);
  return {
    x: imagesToInputs(pixels, rows, cols, 0, count, input.normalization),
    ...(labels ? { y: labelsToInt32(labels, 0, count) } : {}),
    title: path.basename(title),
    total,
    noun: 'images',
    images: { pixels: pixels.subarray(0, count * rows * cols), width: cols, height: rows },
  };
}
