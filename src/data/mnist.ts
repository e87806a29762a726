/**
 * MNIST: the first of the datasets fetched by name (datasets.ts, dataset-source.ts), kept under its
 * historical names, and how image bytes become tensors (shared by every IDX dataset).
 *
 * Location: --data-dir, else NN_DATA_DIR, else the per-user cache (…/millefeuille/mnist); missing files are
 * downloaded (NN_MNIST_MIRRORS overrides the mirrors), verified by the SHA-256 of their decompressed content
 * and renamed into place (download.ts).
 */
import { DatasetError, type DownloadProgress } from './download';
import { MNIST, type IdxFileKey } from './datasets';
import {
  datasetCacheDir, datasetDir, datasetMirrors, findIdxFile, locateDataset, readIdxDataset,
  type IdxDataset, type IdxSplit, type LocateOptions,
} from './dataset-source';
import { tensor, type Tensor } from '../tensor';

export { stderrProgress } from './download';
export type { DownloadProgress, LocateOptions };

/** The four standard files and the SHA-256 of their decompressed content (as published by LeCun et al.). */
export const MNIST_FILES: Readonly<Record<IdxFileKey, { name: string; sha256: string }>> = {
  trainImages: { name: MNIST.files.trainImages.name, sha256: MNIST.files.trainImages.check.digest },
  trainLabels: { name: MNIST.files.trainLabels.name, sha256: MNIST.files.trainLabels.check.digest },
  testImages: { name: MNIST.files.testImages.name, sha256: MNIST.files.testImages.check.digest },
  testLabels: { name: MNIST.files.testLabels.name, sha256: MNIST.files.testLabels.check.digest },
};

export type MnistFileKey = IdxFileKey;

/** Public mirrors that serve `<base>/<name>.gz`, tried in order. */
export const DEFAULT_MNIST_MIRRORS: readonly string[] = MNIST.mirrors;

/** MNIST cannot be found, downloaded or verified: the DatasetError of every dataset, under its old name. */
export const MnistError = DatasetError;
export type MnistError = DatasetError;

/** One split: `count` images of rows×cols bytes and their labels (bytes 0–9). */
export type MnistSplit = IdxSplit;
export type MnistData = IdxDataset;

/** The per-user cache directory for MNIST on this platform. */
export function mnistCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home?: string): string {
  return home === undefined ? datasetCacheDir('mnist', env, platform) : datasetCacheDir('mnist', env, platform, home);
}

/** The directory MNIST is read from (and downloaded into): --data-dir, else NN_DATA_DIR, else the cache. */
export function mnistDir(options: Pick<LocateOptions, 'dataDir' | 'env'> = {}): string {
  return datasetDir(MNIST, options);
}

/** The mirror list: explicit, else NN_MNIST_MIRRORS, else the defaults. Each base ends with '/'. */
export function mnistMirrors(options: Pick<LocateOptions, 'mirrors' | 'env'> = {}): string[] {
  return datasetMirrors(MNIST, options);
}

/** The path of `name` in `dir` (gzipped preferred, then raw), or undefined if neither exists. */
export const findMnistFile = findIdxFile;

/** Returns the MNIST directory with all four files present, downloading the missing ones. */
export function locateMnist(options: LocateOptions = {}): Promise<string> {
  return locateDataset(MNIST, options);
}

/** Reads the four files from `dir` and checks they fit together (counts, image sizes, label range). */
export function readMnist(dir: string): MnistData {
  return readIdxDataset(MNIST, dir);
}

/** Locates (downloading if needed) and reads MNIST. */
export async function loadMnist(options: LocateOptions = {}): Promise<MnistData> {
  return readMnist(await locateMnist(options));
}

// ---------------------------------------------------------------------------------------------
// From bytes to tensors

/**
 * How pixel bytes become network inputs: x = (p / 255 − mean) / std. `{ mean: 0, std: 1 }` is the
 * plain [0, 1] scaling; standardisation uses the training set's mean and std, which are saved with
 * the model so that eval and predict feed the net the same numbers it was trained on.
 */
export interface Normalization {
  readonly mean: number;
  readonly std: number;
}

export const UNIT_SCALING: Normalization = { mean: 0, std: 1 };

/** Mean and standard deviation of the scaled pixels p/255 of images [start, start + count). */
export function pixelStats(images: Uint8Array, pixelsPerImage: number, start = 0, count?: number): Normalization {
  const n = count ?? images.length / pixelsPerImage - start;
  const histogram = new Float64Array(256);
  const end = (start + n) * pixelsPerImage;
  for (let i = start * pixelsPerImage; i < end; i++) histogram[images[i]]++;
  let total = 0;
  let sum = 0;
  for (let v = 0; v < 256; v++) {
    total += histogram[v];
    sum += (histogram[v] * v) / 255;
  }
  if (total === 0) throw new RangeError('pixelStats: no pixels to measure');
  const mean = sum / total;
  let squares = 0;
  for (let v = 0; v < 256; v++) squares += histogram[v] * (v / 255 - mean) ** 2;
  const std = Math.sqrt(squares / total);
  return { mean, std: std > 0 ? std : 1 };
}

/** The 256 input values a pixel byte can map to. */
export function pixelLookup(norm: Normalization): Float32Array {
  if (!(norm.std > 0) || !Number.isFinite(norm.mean)) {
    throw new RangeError(`normalization needs a finite mean and a positive std, got mean ${norm.mean}, std ${norm.std}`);
  }
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = (v / 255 - norm.mean) / norm.std;
  return table;
}

/** Images [start, start + count) of a split as a [count, 1, rows, cols] tensor. */
export function imagesToTensor(
  images: Uint8Array,
  rows: number,
  cols: number,
  start: number,
  count: number,
  norm: Normalization = UNIT_SCALING,
): Tensor {
  const size = rows * cols;
  if (start < 0 || count < 0 || (start + count) * size > images.length) {
    throw new RangeError(`imagesToTensor: images [${start}, ${start + count}) are out of range (${images.length / size} images)`);
  }
  const table = pixelLookup(norm);
  const out = tensor([count, 1, rows, cols]);
  const src = images.subarray(start * size, (start + count) * size);
  const data = out.data;
  for (let i = 0; i < src.length; i++) data[i] = table[src[i]];
  return out;
}

/** Labels [start, start + count) as the Int32Array class indices losses take. */
export function labelsToInt32(labels: Uint8Array, start: number, count: number): Int32Array {
  if (start < 0 || count < 0 || start + count > labels.length) {
    throw new RangeError(`labelsToInt32: labels [${start}, ${start + count}) are out of range (${labels.length} labels)`);
  }
  return Int32Array.from(labels.subarray(start, start + count));
}
