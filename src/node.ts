/**
 * millefeuille/node — the core (everything `millefeuille` exports) plus what needs Node: model directories
 * (save/load), IDX files and MNIST (locate, download, verify), the report written to disk, and kernel
 * threads over worker_threads.
 */
// Kernel threads: worker_threads, registered on import (the core alone finds it only on Node ≥ 20.16).
import './kernels/wasm/node-threads';

export * from './index';

// Model directories (issue 4): model.json + content-named weights (+ optimizer) files, switched atomically (issue 10).
export { save, load, modelFiles } from './net/serialize';
// Data: IDX files, MNIST (locate, download, verify) (issue 5)
export { IdxError, parseIdx, readIdxFile, readIdxImages, readIdxLabels, encodeIdx, isGzip, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from './data/idx';
export type { IdxArray, IdxImages } from './data/idx';
export { loadMnist, locateMnist, readMnist, mnistDir, mnistCacheDir, mnistMirrors, MnistError, MNIST_FILES, DEFAULT_MNIST_MIRRORS } from './data/mnist';
export type { MnistData, MnistSplit, LocateOptions, DownloadProgress } from './data/mnist';
// The user's own data and datasets by name (issue 16): locate → download → verify → cache, CSV, IDX pairs, spec files.
export { locateDataset, datasetDir, datasetCacheDir, datasetMirrors, datasetStatus, findIdxFile } from './data/dataset-source';
export type { DatasetStatus } from './data/dataset-source';
export { loadDataset, readIdxDataset } from './data/idx-dataset';
export type { IdxDataset, IdxSplit } from './data/idx-dataset';
export { DatasetError, downloadVerified, stderrProgress } from './data/download';
export type { FileCheck, DownloadRequest } from './data/download';
export { loadCsv, CsvError } from './data/csv';
export type { CsvData, CsvOptions } from './data/csv';
export { loadIdxPair, resolveIdxPath, idxClassCount } from './data/idx-pair';
export type { IdxPair, IdxPaths } from './data/idx-pair';
export { readModelSpec } from './models/spec-file';
// The training report written to a file, and the machine it ran on (issue 15)
export { writeReport, machineInfo, ReportError } from './report/write';
