/**
 * Datasets by name: the catalogue's checksums are well-formed and cited, and the locate → download →
 * verify → cache path works for an MD5-of-the-.gz dataset (Fashion-MNIST, KMNIST) against local servers on
 * 127.0.0.1 serving IDX files generated here (good, corrupt, 404, fallback). Never the internet.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DATASETS, FASHION_MNIST, IDX_FILE_KEYS, KMNIST, MNIST, findDataset, type IdxDatasetSpec } from '../../src/data/datasets';
import { datasetDir, datasetMirrors, datasetStatus, locateDataset } from '../../src/data/dataset-source';
import { loadDataset, readIdxDataset } from '../../src/data/idx-dataset';
import { DatasetError } from '../../src/data/download';
import { encodeIdx } from '../../src/data/idx';

/** Four small IDX files (gzipped): 6 training and 3 test images of 4×4, labels 0–9. */
function makeFiles(): Record<string, Buffer> {
  const images = (n: number, seed: number) => encodeIdx([n, 4, 4], Uint8Array.from({ length: n * 16 }, (_, i) => (i * 37 + seed) % 256));
  const labels = (n: number, seed: number) => encodeIdx([n], Uint8Array.from({ length: n }, (_, i) => (i * 3 + seed) % 10));
  return {
    'train-images-idx3-ubyte.gz': zlib.gzipSync(images(6, 1)),
    'train-labels-idx1-ubyte.gz': zlib.gzipSync(labels(6, 2)),
    't10k-images-idx3-ubyte.gz': zlib.gzipSync(images(3, 5)),
    't10k-labels-idx1-ubyte.gz': zlib.gzipSync(labels(3, 7)),
  };
}
const FILES = makeFiles();
const md5 = (b: Uint8Array): string => crypto.createHash('md5').update(b).digest('hex');

/** Fashion-MNIST's entry with the digests of the generated files: the real spec's logic, the test's data. */
function testSpec(base: IdxDatasetSpec = FASHION_MNIST): IdxDatasetSpec {
  const files = Object.fromEntries(IDX_FILE_KEYS.map((k) => {
    const name = base.files[k].name;
    return [k, { name, check: { algorithm: 'md5', of: 'download', digest: md5(FILES[`${name}.gz`]) } }];
  }));
  return { ...base, files: files as unknown as IdxDatasetSpec['files'], trainCount: 6, testCount: 3, rows: 4, cols: 4 };
}

type Behaviour = 'good' | 'corrupt' | 'missing';
interface Mirror { base: string; requests: string[]; close(): Promise<void> }

async function startMirror(behaviour: Behaviour): Promise<Mirror> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const file = (req.url ?? '').replace(/^\/data\//, '');
    requests.push(file);
    const body = FILES[file];
    if (!body || behaviour === 'missing') {
      res.writeHead(404).end('not found');
      return;
    }
    // corrupt: a well-formed gzip of changed content — only the checksum can tell.
    const served = behaviour === 'corrupt' ? zlib.gzipSync(Buffer.concat([zlib.gunzipSync(body).subarray(0, -1), Buffer.from([1])])) : body;
    res.writeHead(200, { 'content-length': served.length }).end(served);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}/data/`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-datasets-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));
const quiet = (): void => undefined;

describe('the catalogue', () => {
  test('three datasets, each with four well-formed checksums, two mirrors, ten class names and its own variables', () => {
    expect(DATASETS.map((d) => d.name)).toEqual(['mnist', 'fashion-mnist', 'kmnist']);
    for (const d of DATASETS) {
      for (const k of IDX_FILE_KEYS) {
        const { check } = d.files[k];
        expect(check.digest).toMatch(check.algorithm === 'md5' ? /^[0-9a-f]{32}$/ : /^[0-9a-f]{64}$/);
      }
      expect(d.mirrors.length).toBeGreaterThanOrEqual(2);
      expect(d.classNames).toHaveLength(10);
      expect(d.checksumSource.length).toBeGreaterThan(10);
    }
    expect(new Set(DATASETS.map((d) => d.dirEnv)).size).toBe(3);
    expect(new Set(DATASETS.map((d) => d.mirrorsEnv)).size).toBe(3);
    // The published digests (fashion-mnist README; torchvision's KMNIST): a typo here would reject every real download.
    expect(FASHION_MNIST.files.trainImages.check.digest).toBe('8d4fb7e6c68d591d4c3dfef9ec88bf0d');
    expect(KMNIST.files.testLabels.check.digest).toBe('7320c461ea6c1c855c0b718fb2a4b134');
    expect(MNIST.files.testLabels.check).toEqual({ algorithm: 'sha256', of: 'content', digest: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2' });
    expect(findDataset('kmnist')).toBe(KMNIST);
    expect(findDataset('cifar')).toBeUndefined();
  });

  test('each dataset has its own directory variable and cache folder, so MNIST files never stand in for another', () => {
    const env = { NN_DATA_DIR: '/m', NN_KMNIST_DIR: '/k', XDG_CACHE_HOME: '/xdg' };
    expect(datasetDir(MNIST, { env })).toBe(path.resolve('/m'));
    expect(datasetDir(KMNIST, { env })).toBe(path.resolve('/k'));
    expect(datasetDir(FASHION_MNIST, { env })).toBe(path.join('/xdg', 'millefeuille', 'fashion-mnist'));
    expect(datasetDir(FASHION_MNIST, { env, dataDir: 'here' })).toBe(path.resolve('here'));
    expect(datasetMirrors(KMNIST, { env: { NN_KMNIST_MIRRORS: 'http://a/x http://b' } })).toEqual(['http://a/x/', 'http://b/']);
    expect(datasetMirrors(KMNIST, { env: {} })).toEqual([...KMNIST.mirrors]);
  });
});

describe('download (MD5 of the .gz)', () => {
  test('downloads the four files, verifies and caches them; a second call downloads nothing', async () => {
    const spec = testSpec();
    const mirror = await startMirror('good');
    try {
      const dir = path.join(tmp, 'cache', 'fashion-mnist');
      const data = await loadDataset(spec, { dataDir: dir, mirrors: [mirror.base], onProgress: quiet });
      expect(fs.readdirSync(dir).sort()).toEqual(Object.keys(FILES).sort());
      expect([data.train.count, data.test.count, data.train.rows, data.train.cols]).toEqual([6, 3, 4, 4]);
      expect(Array.from(data.train.labels)).toEqual([2, 5, 8, 1, 4, 7]);
      const status = datasetStatus(spec, { dataDir: dir });
      expect(status.missing).toEqual([]);
      expect(status.from).toBe('--data-dir');
      const before = mirror.requests.length;
      await locateDataset(spec, { dataDir: dir, mirrors: [mirror.base], onProgress: quiet });
      expect(mirror.requests.length).toBe(before);
    } finally {
      await mirror.close();
    }
  });

  test('corrupt content is rejected by its MD5 and leaves nothing behind; 404 and corrupt mirrors fall back to a good one', async () => {
    const spec = testSpec(KMNIST);
    const corrupt = await startMirror('corrupt');
    const missing = await startMirror('missing');
    const good = await startMirror('good');
    try {
      const dir = path.join(tmp, 'k');
      let message = '';
      await locateDataset(spec, { dataDir: dir, mirrors: [corrupt.base], onProgress: quiet }).catch((e) => {
        expect(e).toBeInstanceOf(DatasetError);
        message = (e as Error).message;
      });
      expect(message).toMatch(/^KMNIST file train-images-idx3-ubyte could not be downloaded intact: .*MD5 of the downloaded file is [0-9a-f]{32}, expected [0-9a-f]{32} \(the download is corrupt and was discarded\)\. Put the four KMNIST files .* or point --data-dir or NN_KMNIST_DIR at a folder/);
      expect(fs.readdirSync(dir)).toEqual([]);
      await locateDataset(spec, { dataDir: dir, mirrors: [missing.base, corrupt.base, good.base], onProgress: quiet });
      expect(missing.requests).toHaveLength(4);
      expect(good.requests).toHaveLength(4);
      expect(readIdxDataset(spec, dir).test.count).toBe(3);
    } finally {
      await Promise.all([corrupt.close(), missing.close(), good.close()]);
    }
  });

  test('offline: one line saying where to put the files; download: false never touches the network', async () => {
    const dir = path.join(tmp, 'offline');
    const attempt = locateDataset(FASHION_MNIST, { dataDir: dir, mirrors: ['http://127.0.0.1:9/'], onProgress: quiet });
    await expect(attempt).rejects.toThrow(
      new RegExp(`^Fashion-MNIST is missing from ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} and could not be downloaded \\(offline\\?\\): .*ECONNREFUSED.*Put the four Fashion-MNIST files \\(train-images-idx3-ubyte.gz, .*\\) in .*NN_FASHION_MNIST_DIR`),
    );
    await expect(locateDataset(KMNIST, { dataDir: dir, download: false })).rejects.toThrow(/KMNIST is missing from .* \(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte\)\. Put the four KMNIST files/);
  });

  test('a label beyond the ten classes names the file, the index and the class range', () => {
    const spec = testSpec();
    for (const [name, body] of Object.entries(FILES)) fs.writeFileSync(path.join(tmp, name), body);
    fs.writeFileSync(path.join(tmp, 't10k-labels-idx1-ubyte.gz'), zlib.gzipSync(encodeIdx([3], Uint8Array.from([1, 10, 2]))));
    expect(() => readIdxDataset(spec, tmp)).toThrow(/t10k-labels-idx1-ubyte.gz: label 10 at index 1 is not a class 0–9/);
  });
});
