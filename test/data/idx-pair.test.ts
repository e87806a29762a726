/** loadIdxPair and resolveIdxPath on IDX files written here: pairs, directories, name conventions, mismatches. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { encodeIdx, IdxError } from '../../src/data/idx';
import { idxClassCount, loadIdxPair, resolveIdxPath } from '../../src/data/idx-pair';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-idxpair-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function images(file: string, n: number, rows = 3, cols = 2, gzip = false): string {
  const bytes = encodeIdx([n, rows, cols], Uint8Array.from({ length: n * rows * cols }, (_, i) => i % 256));
  fs.writeFileSync(path.join(tmp, file), gzip ? zlib.gzipSync(bytes) : bytes);
  return path.join(tmp, file);
}
function labels(file: string, values: number[], gzip = false): string {
  const bytes = encodeIdx([values.length], Uint8Array.from(values));
  fs.writeFileSync(path.join(tmp, file), gzip ? zlib.gzipSync(bytes) : bytes);
  return path.join(tmp, file);
}

test('a pair of files (gzipped or raw): counts, sizes, pixels and labels; the classes are the largest label + 1', () => {
  const img = images('a.idx', 4, 3, 2, true);
  const lab = labels('b.idx', [0, 2, 1, 2]);
  const pair = loadIdxPair(img, lab);
  expect([pair.count, pair.rows, pair.cols]).toEqual([4, 3, 2]);
  expect(Array.from(pair.images.subarray(0, 7))).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect(Array.from(pair.labels)).toEqual([0, 2, 1, 2]);
  expect(idxClassCount(pair)).toBe(3);
  expect(resolveIdxPath(`${img},${lab}`)).toEqual({ train: { images: img, labels: lab } });
});

test('mismatched files say which and how', () => {
  const img = images('x-images', 4);
  expect(() => loadIdxPair(img, labels('x-labels', [0, 1, 1]))).toThrow(/x-labels has 3 labels but .*x-images has 4 images/);
  expect(() => loadIdxPair(labels('l2', [0, 1]), img)).toThrow(/magic number 2049 is not an IDX image file.*this is a label file/);
  const pair = loadIdxPair(img, labels('y-labels', [0, 1, 1, 0]));
  const test = loadIdxPair(images('t-images', 2), labels('t-labels', [1, 5]));
  expect(() => idxClassCount(pair, [test])).toThrow(/t-labels: label 5 at index 1 is not among the training classes 0–1/);
  expect(() => idxClassCount(loadIdxPair(images('z-images', 2), labels('z-labels', [0, 0])))).toThrow(/every label is 0/);
});

test('one image file finds its labels by name; a directory finds its train and test pairs', () => {
  const trainImages = images('train-images-idx3-ubyte.gz', 5, 3, 2, true);
  const trainLabels = labels('train-labels-idx1-ubyte', [0, 1, 0, 1, 1]);
  expect(resolveIdxPath(trainImages)).toEqual({ train: { images: trainImages, labels: trainLabels } });
  expect(resolveIdxPath(tmp)).toEqual({ train: { images: trainImages, labels: trainLabels } });
  const testImages = images('t10k-images-idx3-ubyte', 2);
  expect(() => resolveIdxPath(tmp)).toThrow(/the test pair is incomplete \(found .*t10k-images-idx3-ubyte but not its labels\)/);
  const testLabels = labels('t10k-labels-idx1-ubyte.gz', [1, 0], true);
  expect(resolveIdxPath(tmp)).toEqual({ train: { images: trainImages, labels: trainLabels }, test: { images: testImages, labels: testLabels } });
});

test('paths that name nothing usable', () => {
  expect(() => resolveIdxPath(path.join(tmp, 'none'))).toThrow(/none: no such file or directory/);
  expect(() => resolveIdxPath('a,')).toThrow(/give an IDX pair as IMAGES,LABELS/);
  const odd = images('pictures.bin', 2);
  expect(() => resolveIdxPath(odd)).toThrow(/cannot tell where its labels are/);
  const lonely = images('my-images.idx', 2);
  expect(() => resolveIdxPath(lonely)).toThrow(/its label file .*my-labels.idx is missing/);
  fs.rmSync(odd);
  fs.rmSync(lonely);
  expect(() => resolveIdxPath(tmp)).toThrow(IdxError);
  expect(() => resolveIdxPath(tmp)).toThrow(/no training pair found/);
});
