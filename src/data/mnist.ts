/**
 * MNIST: the first of the datasets fetched by name (datasets.ts, dataset-source.ts), kept under its
 * historical names, and how image bytes become tensors (shared by every IDX dataset).
 *
 * Location: --data-dir, else NN_DATA_DIR, else the per-user cache (…/millefeuille/mnist); missing files are
 * downloaded (NN_MNIST_MIRRORS overrides the mirrors), verified by the SHA-256 of their decompressed content
 * and renamed into place (download.ts): dataset-source.ts. Decoding the files and checking that they fit
 * together: idx-dataset.ts (over idx.ts and gzip.ts).
 */
import { DatasetError, type DownloadProgress } from './download';
import { MNIST, type IdxFileKey } from './datasets';
import { datasetCacheDir, datasetDir, datasetMirrors, findIdxFile, locateDataset, type LocateOptions } from './dataset-source';
import { readIdxDataset, type IdxDataset, type IdxSplit } from './idx-dataset';

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

// From bytes to tensors: pixels.ts (the core, so a page can feed MNIST bytes it fetched to a net).
export { UNIT_SCALING, pixelStats, pixelLookup, imagesToTensor, imagesToInputs, labelsToInt32 } from './pixels';
export type { Normalization } from './pixels';
