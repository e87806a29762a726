/**
 * The data `nn train` trains on, as tensors: a dataset by name (MNIST, Fashion-MNIST, KMNIST) or the user's
 * own files (--data: an IDX pair, a directory of IDX pairs, or a CSV file). A thin layer over the library's
 * loaders (dataset-source.ts, idx-pair.ts, csv.ts, features.ts) that decides the split and the input scaling.
 *
 * Splits.
 *   Named datasets: training = the first `trainCount` images of the training file, validation = its LAST
 *   `validation` images (whatever --limit is, so quick and full runs validate on the same images), test = the
 *   published test file.
 *   User data: test = --test PATH, else a directory's test pair, else `testSplit` rows held out at random
 *   with `splitSeed`; validation = `validation` rows of the remaining ones, also at random with `splitSeed`;
 *   training = the rest (the first `trainCount` of them with --limit). Every split keeps the file's order.
 *   The same seed and file give the same rows, so eval and --resume see the split training saw.
 */
import * as fs from 'node:fs';
import { kindOf } from '../data/idx';
import * as path from 'node:path';
import { loadCsv, type CsvData } from '../data/csv';
import { findDataset, type IdxDatasetSpec } from '../data/datasets';
import { loadDataset, type IdxSplit } from '../data/idx-dataset';
import { columnStats, featuresToTensor, permuteRowsInPlace, scaleFeaturesInPlace } from '../data/features';
import { idxClassCount, loadIdxPair, resolveIdxPath, type IdxPair } from '../data/idx-pair';
import { imagesToInputs, labelsToInt32, pixelStats, UNIT_SCALING, type Normalization } from '../data/pixels';
import type { Inputs } from '../data/batches';
import { Rng } from '../random';
import { tensor, type Tensor } from '../tensor';
import type { Command } from 'commander';
import { CliError } from './errors';
import type { DataChoice, FeatureEncoding, RunConfig } from './model-dir';

export const DATA_HELP = `
Data: a dataset by name (mnist, fashion-mnist, kmnist; "nn datasets" shows where each is cached), or
--data PATH with your own files:
  IMAGES,LABELS            an IDX pair (gzipped or not); labels are class indices 0..K-1
  DIR                      a directory with train-images/train-labels (and t10k-/test- pairs) IDX files
  FILE.csv                 a header row, numeric feature columns and one label column (--label-column);
                           labels may be integers or text (class names are saved with the model);
                           empty, NA, NaN, ? are missing values, filled with the training mean
Without a test set (--test PATH or a directory's test pair), --test-split (default 0.2) of the rows is
held out at random with --split-seed; --validation (default 0.1) comes from the rest the same way.
--model FILE.json: a layer list [{"kind":"Affine","units":64},{"kind":"ReLU"},…] or
{"layers":[…],"recipe":{"epochs","batchSize","optimizer","lr","schedule","weightDecay","normalize"}}.`;

/** The flags that pick the data. */
export interface DataFlags {
  data?: string;
  labelColumn?: string;
  test?: string;
  testSplit?: number;
  splitSeed: number;
}

/** What the command line asks to train on: a dataset by name or --data PATH, never both. */
export function dataChoice(dataset: string | undefined, flags: DataFlags): DataChoice {
  if (dataset !== undefined && flags.data !== undefined) {
    throw new CliError(`give either a dataset (${dataset}) or --data ${flags.data}, not both`);
  }
  if (dataset === undefined && flags.data === undefined) {
    throw new CliError('what to train on? give a dataset by name (mnist, fashion-mnist, kmnist) or your own data with --data PATH (a CSV file or IDX files)');
  }
  if (dataset !== undefined) {
    const userOnly = (['labelColumn', 'test', 'testSplit'] as const).find((k) => flags[k] !== undefined);
    if (userOnly) throw new CliError(`--${kebab(userOnly)} is for your own data (--data PATH); ${dataset} has its published test set`);
    return { dataset };
  }
  const dataPath = flags.data!;
  const format = dataFormat(dataPath);
  if (format === 'idx' && flags.labelColumn !== undefined) throw new CliError(`--label-column is for a CSV file; ${dataPath} is IDX data`);
  if (flags.test !== undefined && flags.testSplit !== undefined) throw new CliError('give either --test PATH or --test-split, not both');
  if (flags.test !== undefined && !flags.test.includes(',') && !fs.existsSync(flags.test)) throw new CliError(`--test ${flags.test}: no such file or directory`);
  const absolute = (p: string): string => p.split(',').map((part) => path.resolve(part.trim())).join(',');
  return {
    path: absolute(dataPath),
    format,
    ...(flags.labelColumn !== undefined ? { labelColumn: flags.labelColumn } : {}),
    ...(flags.test !== undefined ? { test: absolute(flags.test) } : {}),
    ...(flags.testSplit !== undefined ? { testSplit: flags.testSplit } : {}),
    splitSeed: flags.splitSeed,
  };
}

/**
 * A resumed run reads the data it was saved with; a dataset or data flag on the command line must agree.
 */
export function resumedDataChoice(run: RunConfig, dataset: string | undefined, flags: DataFlags, command: Command, dir: string): DataChoice {
  const saved: DataChoice = run.data ?? { dataset: 'mnist' };
  const what = saved.dataset ?? saved.path!;
  if (dataset !== undefined && dataset !== saved.dataset) throw new CliError(`${dir} was trained on ${what}, not ${dataset}; a resumed run keeps its data`);
  for (const flag of ['data', 'labelColumn', 'test', 'testSplit', 'splitSeed'] as const) {
    if (command.getOptionValueSource(flag) === 'cli') {
      throw new CliError(`--${kebab(flag)}: a resumed run reads the data it was trained on (${what}); drop the flag`);
    }
  }
  return saved;
}

/**
 * The training and validation counts before the data is read. A named dataset's size is known, so --limit
 * and --validation are checked now; the user's data resolves them once it is read (ALL: no --limit).
 */
export function initialCounts(choice: DataChoice, validation: number | undefined, limit: number | undefined): { trainCount: number; validation: number } {
  const spec = choice.dataset !== undefined ? findDataset(choice.dataset) : undefined;
  if (spec === undefined) return { trainCount: limit ?? ALL, validation: validation ?? 0.1 };
  const total = spec.trainCount;
  const count = splitCount(validation ?? 5000, total);
  if (count >= total) throw new CliError(`--validation ${validation} leaves no training images (${spec.title} has ${total})`);
  const available = total - count;
  if (limit !== undefined && limit > available) {
    throw new CliError(`--limit ${limit} with --validation ${count}: at most ${available} training images are left (the last ${count} are for validation)`);
  }
  return { trainCount: limit ?? available, validation: count };
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A split as fit takes it: images stay bytes (imagesToInputs; fit and evaluate normalise a batch at a time). */
export interface Samples {
  x: Inputs;
  y: Int32Array;
}

/** Greyscale images for the report page (the test split's bytes, one image after another). */
export interface SplitImages {
  pixels: Uint8Array;
  width: number;
  height: number;
}

export interface TrainingData {
  /** mnist, fashion-mnist, kmnist, idx or csv. */
  dataset: string;
  /** "MNIST", "Fashion-MNIST", "iris.csv": the data's name in messages and the report. */
  title: string;
  /** The directory or file the data was read from. */
  where: string;
  /** The per-sample input shape: [1, H, W] for images, [features] for a CSV. */
  inputShape: number[];
  classNames: string[];
  train: Samples;
  validation?: Samples;
  test: Samples;
  /** Images: the normalisation; CSV: the feature columns and their scaling. One of the two. */
  normalization?: Normalization;
  features?: FeatureEncoding;
  /** The test images (image data only), for the report's mistakes. */
  testImages?: SplitImages;
  /** The test samples' name: "MNIST", "t10k-images-idx3-ubyte.gz", "iris-test.csv". */
  testTitle: string;
  /** How many test samples the data has before --test-limit. */
  testTotal: number;
  /** "the published test file", "20 % held out at random (split seed 0)": said once before training. */
  testOrigin: string;
}

/** run.trainCount before the data is read: every training sample there is (no --limit). */
export const ALL = Number.MAX_SAFE_INTEGER;

/** The number a --validation / --test-split value stands for: a count, or a fraction of `total`. */
export function splitCount(value: number, total: number): number {
  return value > 0 && value < 1 ? Math.round(value * total) : value;
}

/**
 * The data a run trains on. `run.validation` may be a fraction and `run.trainCount` ALL before; both are
 * the final counts after (they are saved with the model).
 */
export interface LoadOptions {
  dataDir?: string;
  testLimit?: number;
  /** A resumed run's input scaling (instead of measuring the training rows again). */
  normalization?: Normalization;
  features?: FeatureEncoding;
}

export async function loadTrainingData(run: RunConfig, choice: DataChoice, options: LoadOptions): Promise<TrainingData> {
  if (choice.dataset !== undefined) {
    const spec = findDataset(choice.dataset);
    if (spec === undefined) throw new CliError(`unknown dataset "${choice.dataset}"`);
    return loadNamed(spec, run, options);
  }
  if (choice.format === 'csv') return loadCsvData(run, choice, options);
  return loadIdxData(run, choice, options);
}

/** IDX or CSV, by the path's shape and the file's first bytes (IDX starts 00 00 08 xx, gzip 1f 8b). */
export function dataFormat(spec: string): 'idx' | 'csv' {
  if (spec.includes(',') && !fs.existsSync(spec)) return 'idx';
  let stat: fs.Stats;
  try {
    stat = fs.statSync(spec);
  } catch {
    throw new CliError(`--data ${spec}: no such file or directory`);
  }
  if (stat.isDirectory()) return 'idx';
  // A FIFO would block and a device never end: refuse before sniffing its first bytes.
  if (!stat.isFile()) throw new CliError(`--data ${spec}: is ${kindOf(stat)}, not a regular file; give a CSV file, an IDX pair or a directory of them`);
  const head = Buffer.alloc(4);
  const fd = fs.openSync(spec, 'r');
  try {
    fs.readSync(fd, head, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    if (/\.csv\.gz$/i.test(spec)) throw new CliError(`--data ${spec}: a gzipped CSV is not read directly; decompress it first (gunzip -k ${spec})`);
    return 'idx';
  }
  if (head[0] === 0 && head[1] === 0 && head[2] === 0x08) return 'idx';
  return 'csv';
}

async function loadNamed(spec: IdxDatasetSpec, run: RunConfig, options: LoadOptions): Promise<TrainingData> {
  const data = await loadDataset(spec, { dataDir: options.dataDir });
  const trainFile = data.train;
  run.validation = splitCount(run.validation, trainFile.count);
  if (run.trainCount === ALL) run.trainCount = Math.max(0, trainFile.count - run.validation);
  if (run.validation >= trainFile.count) {
    throw new CliError(`--validation ${run.validation} leaves no training images (${data.dir} has ${trainFile.count})`);
  }
  if (run.trainCount + run.validation > trainFile.count) {
    throw new CliError(`${run.trainCount} training + ${run.validation} validation images exceed the ${trainFile.count} in ${data.dir}`);
  }
  const pixels = trainFile.rows * trainFile.cols;
  const normalization = options.normalization
    ?? (run.normalize === 'standardize' ? pixelStats(trainFile.images, pixels, 0, run.trainCount) : UNIT_SCALING);
  const images = (split: IdxSplit, start: number, count: number): Samples => ({
    x: imagesToInputs(split.images, split.rows, split.cols, start, count, normalization),
    y: labelsToInt32(split.labels, start, count),
  });
  const testCount = Math.min(options.testLimit ?? data.test.count, data.test.count);
  return {
    dataset: spec.name,
    title: spec.title,
    where: data.dir,
    inputShape: [1, trainFile.rows, trainFile.cols],
    classNames: [...spec.classNames],
    train: images(trainFile, 0, run.trainCount),
    validation: run.validation > 0 ? images(trainFile, trainFile.count - run.validation, run.validation) : undefined,
    test: images(data.test, 0, testCount),
    normalization,
    testImages: { pixels: data.test.images.subarray(0, testCount * pixels), width: data.test.cols, height: data.test.rows },
    testTitle: spec.title,
    testTotal: data.test.count,
    testOrigin: 'the published test files',
  };
}

/**
 * Test, validation and training rows of `total` samples: sorted row indices. `fixedTest` means the test
 * set is another file (no rows held out here).
 */
function splitRows(total: number, run: RunConfig, choice: DataChoice, fixedTest: boolean, noun: string): { test: number[]; validation: number[]; train: number[] } {
  const rng = new Rng(choice.splitSeed ?? 0);
  const order = rng.shuffle(Array.from({ length: total }, (_, i) => i));
  const testCount = fixedTest ? 0 : splitCount(choice.testSplit ?? 0.2, total);
  if (!fixedTest && testCount < 1) throw new CliError(`--test-split ${choice.testSplit} holds out no ${noun}; give a larger split or --test PATH`);
  const rest = total - testCount;
  run.validation = splitCount(run.validation, rest);
  if (run.validation >= rest) {
    throw new CliError(`--validation ${run.validation} leaves no training ${noun} (${total} in all${fixedTest ? '' : `, ${testCount} held out for the test`})`);
  }
  const available = rest - run.validation;
  if (run.trainCount > available && run.trainCount !== ALL) {
    throw new CliError(`--limit ${run.trainCount}: only ${available} training ${noun} are left after the test and validation rows`);
  }
  const trainCount = Math.min(run.trainCount, available);
  const sorted = (from: number, count: number): number[] => order.slice(from, from + count).sort((a, b) => a - b);
  return { test: sorted(0, testCount), validation: sorted(testCount, run.validation), train: sorted(testCount + run.validation, trainCount) };
}

function heldOutOrigin(choice: DataChoice, count: number, noun: string): string {
  const split = choice.testSplit ?? 0.2;
  const share = split > 0 && split < 1 ? `${+(split * 100).toFixed(2)} % of the ${noun}` : `${count} ${noun}`;
  return `${share} held out at random, split seed ${choice.splitSeed ?? 0}`;
}

function loadCsvData(run: RunConfig, choice: DataChoice, options: LoadOptions): TrainingData {
  const testLimit = options.testLimit;
  const file = choice.path!;
  const csv = loadCsv(file, { labelColumn: choice.labelColumn });
  if (csv.classNames.length < 2) {
    throw new CliError(`${file}: every row has the label "${csv.classNames[0]}" in column "${csv.labelColumn}"; a classifier needs at least two classes`);
  }
  let testCsv: CsvData | undefined;
  if (choice.test !== undefined) {
    testCsv = loadCsv(choice.test, {
      labelColumn: csv.labelColumn, classNames: csv.classNames, featureColumns: csv.featureColumns,
    });
  }
  const split = splitRows(csv.count, run, choice, testCsv !== undefined, 'rows');
  run.trainCount = split.train.length;
  const width = csv.featureColumns.length;
  const stats = columnStats(csv.features, width, split.train);
  if (stats.empty.length > 0) {
    const names = stats.empty.map((j) => `"${csv.featureColumns[j]}"`).join(', ');
    throw new CliError(`${file}: column ${names} has no value in any training row (all missing); remove it or fill it in`);
  }
  const features: FeatureEncoding = options.features ?? {
    columns: [...csv.featureColumns], labelColumn: csv.labelColumn!, mean: stats.mean, std: stats.std, standardize: run.normalize === 'standardize',
  };
  // Compact storage: the rows stay in the one Float32Array the CSV was streamed into, scaled in place and
  // reordered training | validation | held-out test | unused (--limit), so each split is a view, not a copy.
  const used = new Uint8Array(csv.count);
  const order = [...split.train, ...split.validation, ...split.test];
  for (const r of order) used[r] = 1;
  for (let r = 0; r < csv.count; r++) if (!used[r]) order.push(r);
  scaleFeaturesInPlace(csv.features, width, features);
  permuteRowsInPlace(csv.features, width, order);
  const labels = Int32Array.from(order, (r) => csv.labels![r]);
  const view = (from: number, count: number): Samples => ({
    x: tensor([count, width], csv.features.subarray(from * width, (from + count) * width)),
    y: labels.subarray(from, from + count),
  });
  const nTrain = split.train.length;
  const nValidation = split.validation.length;
  let test: Samples;
  let testTotal: number;
  if (testCsv) {
    testTotal = testCsv.count;
    const count = Math.min(testLimit ?? testCsv.count, testCsv.count);
    test = { x: featuresToTensor(testCsv.features, width, features, Array.from({ length: count }, (_, i) => i)), y: testCsv.labels!.slice(0, count) };
  } else {
    testTotal = split.test.length;
    test = view(nTrain + nValidation, Math.min(testLimit ?? testTotal, testTotal));
  }
  return {
    dataset: 'csv',
    title: path.basename(file),
    where: file,
    inputShape: [width],
    classNames: [...csv.classNames],
    train: view(0, nTrain),
    validation: nValidation > 0 ? view(nTrain, nValidation) : undefined,
    test,
    features,
    testTitle: path.basename(testCsv ? choice.test! : file),
    testTotal,
    testOrigin: testCsv ? choice.test! : heldOutOrigin(choice, split.test.length, 'rows'),
  };
}

function loadIdxData(run: RunConfig, choice: DataChoice, options: LoadOptions): TrainingData {
  const testLimit = options.testLimit;
  const paths = resolveIdxPath(choice.path!);
  const trainPair = loadIdxPair(paths.train.images, paths.train.labels);
  const testPaths = choice.test !== undefined ? resolveIdxPath(choice.test).train : paths.test;
  const testPair = testPaths ? loadIdxPair(testPaths.images, testPaths.labels) : undefined;
  if (testPair && (testPair.rows !== trainPair.rows || testPair.cols !== trainPair.cols)) {
    throw new CliError(`${testPair.imagesFile} holds ${testPair.rows}×${testPair.cols} images but ${trainPair.imagesFile} holds ${trainPair.rows}×${trainPair.cols}`);
  }
  const classes = idxClassCount(trainPair, testPair ? [testPair] : []);
  const split = splitRows(trainPair.count, run, choice, testPair !== undefined, 'images');
  run.trainCount = split.train.length;
  const size = trainPair.rows * trainPair.cols;
  const gather = (pair: IdxPair, rows: number[]): { pixels: Uint8Array; labels: Uint8Array } => {
    const pixels = new Uint8Array(rows.length * size);
    const labels = new Uint8Array(rows.length);
    rows.forEach((r, i) => {
      pixels.set(pair.images.subarray(r * size, (r + 1) * size), i * size);
      labels[i] = pair.labels[r];
    });
    return { pixels, labels };
  };
  const trainBytes = gather(trainPair, split.train);
  const normalization = options.normalization ?? (run.normalize === 'standardize' ? pixelStats(trainBytes.pixels, size) : UNIT_SCALING);
  const samples = (bytes: { pixels: Uint8Array; labels: Uint8Array }): Samples => ({
    x: imagesToInputs(bytes.pixels, trainPair.rows, trainPair.cols, 0, bytes.labels.length, normalization),
    y: labelsToInt32(bytes.labels, 0, bytes.labels.length),
  });
  const testRows = testPair ? Array.from({ length: testPair.count }, (_, i) => i) : split.test;
  const testTotal = testRows.length;
  const testBytes = gather(testPair ?? trainPair, testRows.slice(0, testLimit ?? testRows.length));
  return {
    dataset: 'idx',
    title: path.basename(paths.train.images),
    where: choice.path!,
    inputShape: [1, trainPair.rows, trainPair.cols],
    classNames: Array.from({ length: classes }, (_, i) => String(i)),
    train: samples(trainBytes),
    validation: split.validation.length > 0 ? samples(gather(trainPair, split.validation)) : undefined,
    test: samples(testBytes),
    normalization,
    testImages: { pixels: testBytes.pixels, width: trainPair.cols, height: trainPair.rows },
    testTitle: path.basename((testPair ?? trainPair).imagesFile),
    testTotal,
    testOrigin: testPair ? testPair.imagesFile : heldOutOrigin(choice, split.test.length, 'images'),
  };
}
