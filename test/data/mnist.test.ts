import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { encodeIdx, IdxError } from '../../src/data/idx';
import {
  imagesToTensor, labelsToInt32, mnistCacheDir, mnistDir, mnistMirrors, pixelLookup, pixelStats, readMnist,
  DEFAULT_MNIST_MIRRORS, UNIT_SCALING,
} from '../../src/data/mnist';

const SHARED_MNIST = path.resolve(__dirname, '../../../shared/data/mnist');

describe('where MNIST lives', () => {
  test('--data-dir wins over NN_DATA_DIR, which wins over the cache', () => {
    const env = { NN_DATA_DIR: '/env/dir', XDG_CACHE_HOME: '/xdg' };
    expect(mnistDir({ dataDir: '/explicit', env })).toBe(path.resolve('/explicit'));
    expect(mnistDir({ env })).toBe(path.resolve('/env/dir'));
    expect(mnistDir({ env: { XDG_CACHE_HOME: '/xdg' } })).toBe(mnistCacheDir({ XDG_CACHE_HOME: '/xdg' }));
    expect(mnistDir({ dataDir: 'relative', env: {} })).toBe(path.resolve('relative'));
  });

  test('per-user cache directory by platform', () => {
    expect(mnistCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux', '/home/u')).toBe(path.join('/xdg', 'millefeuille', 'mnist'));
    expect(mnistCacheDir({}, 'linux', '/home/u')).toBe(path.join('/home/u', '.cache', 'millefeuille', 'mnist'));
    // A relative XDG_CACHE_HOME is invalid by the spec and ignored.
    expect(mnistCacheDir({ XDG_CACHE_HOME: 'rel' }, 'linux', '/home/u')).toBe(path.join('/home/u', '.cache', 'millefeuille', 'mnist'));
    expect(mnistCacheDir({}, 'darwin', '/Users/u')).toBe(path.join('/Users/u', 'Library', 'Caches', 'millefeuille', 'mnist'));
    expect(mnistCacheDir({ LOCALAPPDATA: 'C:\\L' }, 'win32', 'C:\\u')).toBe(path.join('C:\\L', 'millefeuille', 'Cache', 'mnist'));
  });

  test('mirror list: explicit, NN_MNIST_MIRRORS, defaults; every base ends with a slash', () => {
    expect(mnistMirrors({ env: {} })).toEqual([...DEFAULT_MNIST_MIRRORS]);
    expect(mnistMirrors({ env: { NN_MNIST_MIRRORS: 'http://a/x, http://b/y/' } })).toEqual(['http://a/x/', 'http://b/y/']);
    expect(mnistMirrors({ mirrors: ['http://c'], env: { NN_MNIST_MIRRORS: 'http://a' } })).toEqual(['http://c/']);
  });
});

describe('the real MNIST files (../shared/data/mnist)', () => {
  const data = readMnist(SHARED_MNIST);

  test('sizes and the well-known first labels', () => {
    expect([data.train.count, data.train.rows, data.train.cols]).toEqual([60000, 28, 28]);
    expect([data.test.count, data.test.rows, data.test.cols]).toEqual([10000, 28, 28]);
    expect(data.train.images.length).toBe(60000 * 784);
    expect(Array.from(data.train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(data.test.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
  });

  test('training-set pixel statistics are the published 0.1307 / 0.3081', () => {
    const stats = pixelStats(data.train.images, 784);
    expect(stats.mean).toBeCloseTo(0.1307, 4);
    expect(stats.std).toBeCloseTo(0.3081, 4);
  });

  test('imagesToTensor: NCHW, scaled to [0, 1] or standardised', () => {
    const x = imagesToTensor(data.test.images, 28, 28, 10, 3);
    expect(x.shape).toEqual([3, 1, 28, 28]);
    for (let i = 0; i < x.data.length; i++) {
      expect(x.data[i]).toBeCloseTo(data.test.images[10 * 784 + i] / 255, 6);
    }
    const norm = { mean: 0.1307, std: 0.3081 };
    const z = imagesToTensor(data.test.images, 28, 28, 10, 3, norm);
    expect(z.data[0]).toBeCloseTo((0 - 0.1307) / 0.3081, 5);
    const bright = data.test.images.subarray(10 * 784, 13 * 784).indexOf(255);
    expect(z.data[bright]).toBeCloseTo((1 - 0.1307) / 0.3081, 5);
    expect(() => imagesToTensor(data.test.images, 28, 28, 9999, 2)).toThrow(/out of range \(10000 images\)/);
  });

  test('labelsToInt32', () => {
    expect(Array.from(labelsToInt32(data.test.labels, 0, 3))).toEqual([7, 2, 1]);
    expect(() => labelsToInt32(data.test.labels, 9999, 2)).toThrow(/out of range/);
  });
});

describe('pixel statistics and lookup', () => {
  test('pixelStats equals the direct two-pass formula (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 64 }), (bytes) => {
        const n = bytes.length - (bytes.length % 4);
        const images = bytes.subarray(0, n);
        const values = Array.from(images, (v) => v / 255);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
        const stats = pixelStats(images, 4);
        expect(stats.mean).toBeCloseTo(mean, 10);
        expect(stats.std).toBeCloseTo(std > 0 ? std : 1, 10);
      }),
      { numRuns: 100, seed: 42 },
    );
  });

  test('lookup refuses a zero or non-finite std', () => {
    expect(pixelLookup(UNIT_SCALING)[255]).toBe(1);
    expect(() => pixelLookup({ mean: 0, std: 0 })).toThrow(/positive std/);
    expect(() => pixelLookup({ mean: NaN, std: 1 })).toThrow(/finite mean/);
  });
});

describe('files that do not fit together', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-mnist-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function writeSet(trainCount: number, trainLabels: number[], testSize = 4): void {
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), encodeIdx([trainCount, 4, 4], new Uint8Array(trainCount * 16)));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), encodeIdx([trainLabels.length], Uint8Array.from(trainLabels)));
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), encodeIdx([1, testSize, testSize], new Uint8Array(testSize * testSize)));
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([1], Uint8Array.from([3])));
  }

  test('raw (not gzipped) files are found and read', () => {
    writeSet(2, [1, 2]);
    const data = readMnist(dir);
    expect(data.train.count).toBe(2);
    expect(data.test.labels[0]).toBe(3);
  });

  test('label and image counts differ', () => {
    writeSet(3, [1, 2]);
    expect(() => readMnist(dir)).toThrow(/has 2 labels but .* has 3 images/);
  });

  test('a label that is not a digit', () => {
    writeSet(2, [1, 12]);
    expect(() => readMnist(dir)).toThrow(/label 12 at index 1 is not a digit/);
  });

  test('train and test image sizes differ', () => {
    writeSet(2, [1, 2], 5);
    expect(() => readMnist(dir)).toThrow(/4×4 but test images are 5×5/);
  });

  test('a swapped file (labels where images belong)', () => {
    writeSet(2, [1, 2]);
    fs.copyFileSync(path.join(dir, 'train-labels-idx1-ubyte'), path.join(dir, 'train-images-idx3-ubyte'));
    expect(() => readMnist(dir)).toThrow(IdxError);
    expect(() => readMnist(dir)).toThrow(/train-images-idx3-ubyte: magic number 2049 is not an IDX image file/);
  });

  test('a missing file names it and says where the files go', () => {
    writeSet(2, [1, 2]);
    fs.rmSync(path.join(dir, 't10k-images-idx3-ubyte'));
    expect(() => readMnist(dir)).toThrow(/t10k-images-idx3-ubyte is missing from .*Put the four MNIST files/);
  });
});
