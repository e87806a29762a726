/**
 * The user's own IDX data: a pair of files (images, labels) or a directory holding a training pair and
 * optionally a test pair, named like MNIST's. Labels are class indices 0..K−1 (bytes); K is the largest
 * training label + 1.
 *
 * How a path is understood (`resolveIdxPath`):
 *   IMAGES,LABELS   two files separated by a comma;
 *   IMAGES          one image file; its labels are the file of the same name with "images" → "labels" and
 *                   "idx3" → "idx1" (train-images-idx3-ubyte.gz → train-labels-idx1-ubyte.gz);
 *   DIR             a directory: the image file is the one whose name holds "images" or "idx3", the label
 *                   file "labels" or "idx1"; "train" in the name marks the training pair, "t10k" or "test"
 *                   the test pair.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IdxError, readIdxImages, readIdxLabels } from './idx';

/** Images (count × rows × cols bytes) and their labels, from one pair of files. */
export interface IdxPair {
  readonly imagesFile: string;
  readonly labelsFile: string;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

/** Which files a path names. */
export interface IdxPaths {
  readonly train: { images: string; labels: string };
  readonly test?: { images: string; labels: string };
}

/** Reads an image file and a label file and checks that they belong together. */
export function loadIdxPair(imagesFile: string, labelsFile: string): IdxPair {
  const images = readIdxImages(imagesFile);
  const labels = readIdxLabels(labelsFile);
  if (labels.length !== images.count) {
    throw new IdxError(`${labelsFile} has ${labels.length} labels but ${imagesFile} has ${images.count} images`);
  }
  if (images.count === 0) throw new IdxError(`${imagesFile} holds no images`);
  return { imagesFile, labelsFile, count: images.count, rows: images.rows, cols: images.cols, images: images.pixels, labels };
}

const IMAGES = /images|idx3/i;
const LABELS = /labels|idx1/i;
const TEST = /t10k|test/i;
const TRAIN = /train/i;

/** The files a --data path names (see the top of this file). Throws an IdxError saying what it looked for. */
export function resolveIdxPath(spec: string): IdxPaths {
  if (spec.includes(',')) {
    const parts = spec.split(',').map((p) => p.trim());
    if (parts.length !== 2 || parts.some((p) => p === '')) {
      throw new IdxError(`${spec}: give an IDX pair as IMAGES,LABELS (two files separated by one comma)`);
    }
    return { train: { images: parts[0], labels: parts[1] } };
  }
  if (!fs.existsSync(spec)) throw new IdxError(`${spec}: no such file or directory`);
  if (fs.statSync(spec).isDirectory()) return pairsInDirectory(spec);
  const base = path.basename(spec);
  const labelsName = base.replace(/images/g, 'labels').replace(/idx3/g, 'idx1');
  if (labelsName === base) {
    throw new IdxError(`${spec}: cannot tell where its labels are (the name holds neither "images" nor "idx3"); give --data IMAGES,LABELS`);
  }
  const candidates = [labelsName, labelsName.replace(/\.gz$/, ''), `${labelsName.replace(/\.gz$/, '')}.gz`];
  const labels = candidates.map((n) => path.join(path.dirname(spec), n)).find((f) => fs.existsSync(f));
  if (labels === undefined) {
    throw new IdxError(`${spec}: its label file ${path.join(path.dirname(spec), labelsName)} is missing; give --data IMAGES,LABELS`);
  }
  return { train: { images: spec, labels } };
}

function pairsInDirectory(dir: string): IdxPaths {
  const files = fs.readdirSync(dir).filter((f) => !f.startsWith('.') && fs.statSync(path.join(dir, f)).isFile()).sort();
  const pick = (kind: RegExp, split: 'train' | 'test'): string | undefined => {
    const matches = files.filter((f) => kind.test(f) && (split === 'test') === TEST.test(f));
    // Prefer names that say "train" for the training pair when there are several.
    const named = matches.filter((f) => TRAIN.test(f));
    const chosen = split === 'train' && named.length > 0 ? named : matches;
    // file.gz and file are the same data: keep one.
    const distinct = [...new Set(chosen.map((f) => f.replace(/\.gz$/, '')))];
    if (distinct.length > 1) {
      throw new IdxError(`${dir}: several ${split} ${kind === IMAGES ? 'image' : 'label'} files (${distinct.join(', ')}); give --data IMAGES,LABELS`);
    }
    if (distinct.length === 0) return undefined;
    return path.join(dir, chosen.find((f) => f.endsWith('.gz')) ?? chosen[0]);
  };
  const trainImages = pick(IMAGES, 'train');
  const trainLabels = pick(LABELS, 'train');
  if (!trainImages || !trainLabels) {
    throw new IdxError(
      `${dir}: no training pair found (an image file named like train-images-idx3-ubyte[.gz] and a label file like train-labels-idx1-ubyte[.gz])`,
    );
  }
  const testImages = pick(IMAGES, 'test');
  const testLabels = pick(LABELS, 'test');
  if ((testImages === undefined) !== (testLabels === undefined)) {
    throw new IdxError(`${dir}: the test pair is incomplete (found ${testImages ?? testLabels} but not its ${testImages ? 'labels' : 'images'})`);
  }
  return { train: { images: trainImages, labels: trainLabels }, ...(testImages && testLabels ? { test: { images: testImages, labels: testLabels } } : {}) };
}

/** The number of classes the training labels imply (largest + 1), after checking `others` stay within it. */
export function idxClassCount(train: IdxPair, others: readonly IdxPair[] = []): number {
  let max = 0;
  for (let i = 0; i < train.labels.length; i++) if (train.labels[i] > max) max = train.labels[i];
  const classes = max + 1;
  if (classes < 2) throw new IdxError(`${train.labelsFile}: every label is 0; a classifier needs at least two classes`);
  for (const pair of others) {
    for (let i = 0; i < pair.labels.length; i++) {
      if (pair.labels[i] >= classes) {
        throw new IdxError(`${pair.labelsFile}: label ${pair.labels[i]} at index ${i} is not among the training classes 0–${classes - 1}`);
      }
    }
  }
  return classes;
}
