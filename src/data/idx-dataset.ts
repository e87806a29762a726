/**
 * A dataset's four IDX files, once located (dataset-source.ts), decoded into a training and a test split
 * and checked to fit together: as many labels as images, every label a class of the dataset, the same image
 * size in both splits. The decoding itself (gzip, the IDX header, lengths) is idx.ts.
 */
import { DatasetError } from './download';
import type { IdxDatasetSpec, IdxFileKey } from './datasets';
import { findIdxFile, locateDataset, wherePutFiles, type LocateOptions } from './dataset-source';
import { IdxError, asImages, asLabels, parseIdx, readDataFile } from './idx';

/** One split: `count` images of rows×cols bytes and their labels (class indices). */
export interface IdxSplit {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

export interface IdxDataset {
  /** The directory the files were read from. */
  readonly dir: string;
  readonly train: IdxSplit;
  readonly test: IdxSplit;
}

/** Reads the four files from `dir` and checks they fit together (counts, image sizes, label range). */
export function readIdxDataset(spec: IdxDatasetSpec, dir: string): IdxDataset {
  const read = (key: IdxFileKey): { file: string; idx: ReturnType<typeof parseIdx> } => {
    const file = findIdxFile(dir, spec.files[key].name);
    if (file === undefined) throw new DatasetError(`${spec.title} file ${spec.files[key].name} is missing from ${dir}. ${wherePutFiles(spec, dir)}`);
    return { file, idx: parseIdx(readDataFile(file), file) };
  };
  const classes = spec.classNames.length;
  const split = (imagesKey: IdxFileKey, labelsKey: IdxFileKey): IdxSplit => {
    const imgs = read(imagesKey);
    const images = asImages(imgs.idx, imgs.file);
    const labs = read(labelsKey);
    const labels = asLabels(labs.idx, labs.file);
    if (labels.length !== images.count) {
      throw new IdxError(`${labs.file} has ${labels.length} labels but ${imgs.file} has ${images.count} images`);
    }
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] >= classes) throw new IdxError(`${labs.file}: label ${labels[i]} at index ${i} is not a ${spec.labelNoun} 0–${classes - 1}`);
    }
    return { count: images.count, rows: images.rows, cols: images.cols, images: images.pixels, labels };
  };
  const train = split('trainImages', 'trainLabels');
  const test = split('testImages', 'testLabels');
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new IdxError(`${spec.title} in ${dir}: training images are ${train.rows}×${train.cols} but test images are ${test.rows}×${test.cols}`);
  }
  return { dir, train, test };
}

/** Locates (downloading if needed) and reads a dataset. */
export async function loadDataset(spec: IdxDatasetSpec, options: LocateOptions = {}): Promise<IdxDataset> {
  return readIdxDataset(spec, await locateDataset(spec, options));
}
