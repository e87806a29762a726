/**
 * The user's own data and model through the command line alone (issue 16): a CSV with string labels and a
 * JSON layer list train, save, and nn eval / nn predict / nn summary work on the result; IDX pairs and
 * directories; Fashion-MNIST by name from a local directory and through local mirrors; nn datasets; and
 * every bad file ends in one clear line. All data is made here, small, so the suite stays quick.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { encodeIdx } from '../../src/data/idx';
import { Affine } from '../../src/layers/affine';
import { Sequential } from '../../src/net/sequential';
import { save } from '../../src/net/serialize';
import { BIN, DEAD_MIRROR, SHARED_MNIST, assertBuilt, expectOneLineError, nn, type NnResult } from './run-nn';

let tmp: string;
beforeAll(() => {
  assertBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-user-data-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A deterministic uniform generator in [0, 1) (an LCG: the test's data must not depend on anything else). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const COLOURS = ['red', 'green', 'blue'];
/** Three well-separated clusters in 4 dimensions, one per colour. */
const CENTRES = [[0, 0, 0, 0], [4, 4, 0, 2], [0, 4, 4, -2]];

/**
 * A CSV of `rows` samples: columns x1, "x 2" (a quoted name), colour (the label, text), x3, x4; CRLF line
 * ends and a BOM, and a few missing cells (NA), as spreadsheets write them.
 */
function writeCsv(file: string, rows: number, seed: number): void {
  const random = lcg(seed);
  const lines = ['x1,"x 2",colour,x3,x4'];
  for (let i = 0; i < rows; i++) {
    const k = i % 3;
    const v = CENTRES[k].map((c) => (c + (random() - 0.5) * 2).toFixed(3));
    if (i % 37 === 5) v[1] = 'NA';
    lines.push(`${v[0]},${v[1]},${COLOURS[k]},${v[2]},${v[3]}`);
  }
  fs.writeFileSync(file, `\uFEFF${lines.join('\r\n')}\r\n`);
}

const SPEC = {
  description: 'a small MLP for the colours',
  layers: [{ kind: 'Affine', units: 16 }, { kind: 'ReLU' }, { kind: 'Affine', units: 3, init: 'xavier' }],
  recipe: { epochs: 8, batchSize: 16, lr: 0.01 },
};

function writeJson(name: string, value: unknown): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

function percent(text: string, pattern: RegExp): string {
  const m = pattern.exec(text);
  if (m === null) throw new Error(`no match for ${pattern} in:\n${text}`);
  return m[1];
}

describe('a CSV with string labels and a JSON layer list', () => {
  let train: string;
  let testFile: string;
  let spec: string;
  beforeAll(() => {
    train = path.join(tmp, 'colours.csv');
    testFile = path.join(tmp, 'colours-test.csv');
    writeCsv(train, 300, 1);
    writeCsv(testFile, 90, 2);
    spec = writeJson('spec.json', SPEC);
  });

  test('trains to ≥ 95 % on a --test file; eval and predict on that file reproduce the accuracy; summary shows the classes', () => {
    const out = path.join(tmp, 'colours-model');
    const trained = nn(['train', '--data', train, '--label-column', 'colour', '--test', testFile, '--model', spec, '--out', out]);
    expect(trained.stderr).toBe('');
    expect(trained.status).toBe(0);
    expect(trained.stdout).toContain('spec.json: a small MLP for the colours, 131 parameters');
    expect(trained.stdout).toMatch(/data: .*colours\.csv; 270 training, 30 validation, 90 test rows \(.*colours-test\.csv\), 3 classes; 8 epochs of 17 batches of 16/);
    const reported = percent(trained.stdout, /test accuracy (\d+\.\d\d)% \(90 rows/);
    expect(Number(reported)).toBeGreaterThanOrEqual(95);

    const evaluated = nn(['eval', out, '--data', testFile]);
    expect(evaluated.status).toBe(0);
    expect(evaluated.stdout).toContain(`spec.json model in ${out}: test accuracy ${reported}% (90 rows of colours-test.csv`);
    expect(evaluated.stdout).toContain('confusion matrix (rows: true class, columns: predicted class)');
    expect(evaluated.stdout).toContain('classes: 0 = blue, 1 = green, 2 = red');

    const predicted = nn(['predict', out, '--data', testFile]);
    expect(predicted.status).toBe(0);
    const rows = predicted.stdout.trim().split('\n');
    expect(rows).toHaveLength(91);
    // Row 1 of the file is line 2 (the header is line 1); the first sample is red (i % 3 = 0).
    expect(rows[0]).toMatch(/^row 1 \(line 2\): class red \(p \d\.\d{4}\) {2}probabilities blue:\d\.\d{4} green:\d\.\d{4} red:\d\.\d{4}$/);
    expect(rows[90]).toBe(`accuracy ${reported}% (${Math.round((1 - Number(reported) / 100) * 90)} wrong of 90 rows with labels in colours-test.csv)`);

    // Without the label column, predict still classifies; --json names the classes.
    const unlabelled = path.join(tmp, 'unlabelled.csv');
    fs.writeFileSync(unlabelled, 'x4,x3,"x 2",x1\n2,0,4,4\n');
    const columnsOrder = nn(['predict', out, unlabelled]);
    expectOneLineError(columnsOrder, /feature columns differ from the 4 the model was trained on \(the same columns in another order\)/);
    fs.writeFileSync(unlabelled, 'x1,x 2,x3,x4\n4,4,0,2\n');
    const json = nn(['predict', out, unlabelled, '--json']);
    expect(json.status).toBe(0);
    const line = JSON.parse(json.stdout);
    expect(line).toMatchObject({ index: 0, line: 2, class: 1, name: 'green' });
    expect(line.probabilities).toHaveLength(3);

    const summary = nn(['summary', out]);
    expect(summary.status).toBe(0);
    expect(summary.stdout).toContain(`model in ${out}: spec.json (${train})`);
    expect(summary.stdout).toContain('a small MLP for the colours');
    expect(summary.stdout).toMatch(/input: 4 CSV feature columns \(x1, x 2, x3, x4\), label column "colour"; standardised/);
    expect(summary.stdout).toContain('classes (3): 0 = blue, 1 = green, 2 = red');
    expect(summary.stdout).toContain(`test accuracy: ${reported}% on 90 rows`);
  });

  test('a held-out split with a stated seed: nn eval DIR evaluates the same rows and reproduces the accuracy', () => {
    const out = path.join(tmp, 'held-out');
    const trained = nn(['train', '--data', train, '--label-column', '3', '--model', spec, '--test-split', '0.25', '--split-seed', '7',
      '--validation', '20', '--epochs', '6', '--out', out, '--json']);
    expect(trained.status).toBe(0);
    const done = JSON.parse(trained.stdout.trim().split('\n').at(-1)!);
    expect(done.testAccuracy).toBeGreaterThanOrEqual(0.95);
    const evaluated = nn(['eval', out, '--json']);
    expect(evaluated.status).toBe(0);
    const report = JSON.parse(evaluated.stdout);
    expect(report.testAccuracy).toBe(done.testAccuracy);
    expect(report.samples).toBe(75);
    expect(report.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(75);
  });

  test('a FIFO or a device as --data is refused in one line (reading it would block or never end)', () => {
    const fifo = path.join(path.dirname(train), 'pipe.csv');
    spawnSync('mkfifo', [fifo]);
    expectOneLineError(nn(['train', '--data', fifo, '--model', 'mlp', '--no-save']), /--data .*pipe\.csv: is a FIFO \(named pipe\), not a regular file/);
    expectOneLineError(nn(['train', '--data', '/dev/zero', '--model', 'mlp', '--no-save']), /--data \/dev\/zero: is a character device, not a regular file/);
  });

  test('shapes are checked against the data before training, naming the layer and both shapes', () => {
    const fewUnits = writeJson('two-classes.json', [{ kind: 'Affine', units: 8 }, { kind: 'ReLU' }, { kind: 'Affine', units: 2 }]);
    expectOneLineError(
      nn(['train', '--data', train, '--label-column', 'colour', '--model', fewUnits, '--no-save']),
      /two-classes\.json: the last layer, layers\[2\] \(Affine\), outputs \[2\] but the data has 3 classes, so it must output \[3\]: set "units": 3/,
    );
    const conv = writeJson('conv.json', [{ kind: 'Conv2D', filters: 4, kernelSize: 3 }, { kind: 'Flatten' }, { kind: 'Affine', units: 3 }]);
    expectOneLineError(
      nn(['train', '--data', train, '--label-column', 'colour', '--model', conv, '--no-save']),
      /conv\.json: layer 0 \(Conv2D\).*\[4\].*\(the data gives samples of shape \[4\]\)/,
    );
    expectOneLineError(
      nn(['train', '--data', train, '--label-column', 'colour', '--no-save']),
      /the built-in model best does not fit samples of shape \[4\].*--model FILE\.json/,
    );
  });

  test('every bad file or flag ends in one line naming what is wrong', () => {
    const bad = (name: string, text: string): string => {
      const file = path.join(tmp, name);
      fs.writeFileSync(file, text);
      return file;
    };
    const cell = bad('bad-cell.csv', 'a,b,label\n1,2,x\n3,four,y\n');
    expectOneLineError(nn(['train', '--data', cell, '--model', 'x.json']), /x\.json: no such file/);
    const ok = writeJson('ok.json', [{ kind: 'Affine', units: 2 }]);
    expectOneLineError(nn(['train', '--data', cell, '--model', ok]),
      /bad-cell\.csv: line 3, column 2 \("b"\): "four" is not a number/);
    const columns = bad('columns.csv', 'a,b,label\n1,2,x\n3,y\n');
    expectOneLineError(nn(['train', '--data', columns, '--model', ok]), /columns\.csv: line 3: 2 fields, but the header has 3 columns/);
    expectOneLineError(nn(['train', '--data', train, '--label-column', 'kind', '--model', spec]), /no label column "kind" \(columns: "x1", "x 2", "colour", "x3", "x4"\)/);
    expectOneLineError(nn(['train', '--data', path.join(tmp, 'nope.csv')]), /--data .*nope\.csv: no such file or directory/);
    const notJson = bad('broken.json', '[{ "kind": "Affine", ');
    expectOneLineError(nn(['train', '--data', train, '--label-column', 'colour', '--model', notJson]), /broken\.json is not valid JSON/);
    const unknownKind = writeJson('unknown.json', [{ kind: 'Transformer' }]);
    expectOneLineError(nn(['train', '--data', train, '--label-column', 'colour', '--model', unknownKind]), /unknown\.json: layers\[0\] \(Transformer\)/);
    expectOneLineError(nn(['train', 'mnist', '--data', train]), /give either a dataset \(mnist\) or --data/);
    expectOneLineError(nn(['train', 'mnist', '--test-split', '0.2']), /--test-split is for your own data/);
    expectOneLineError(nn(['train', '--data', train, '--validation', '1.5']), /--validation <n>' argument '1\.5' is invalid/);
    expectOneLineError(nn(['train', '--data', train, '--label-column', 'colour', '--model', spec, '--shift', '2', '--no-save']),
      /--shift 2 shifts images; colours\.csv holds feature columns, not images/);
    const oneClass = bad('one-class.csv', 'a,label\n1,x\n2,x\n3,x\n');
    expectOneLineError(nn(['train', '--data', oneClass, '--model', ok]), /every row has the label "x".*at least two classes/);
  });
});

/** Images of `size`×`size`: class k lights a band of rows (k·size/3 …); a little noise everywhere. */
function bandImages(count: number, size: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const random = lcg(seed);
  const images = new Uint8Array(count * size * size);
  const labels = new Uint8Array(count);
  const band = Math.floor(size / 3);
  for (let i = 0; i < count; i++) {
    const k = i % 3;
    labels[i] = k;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const lit = r >= k * band && r < (k + 1) * band;
        images[i * size * size + r * size + c] = lit ? 180 + Math.floor(random() * 70) : Math.floor(random() * 60);
      }
    }
  }
  return { images, labels };
}

function writeIdxPair(dir: string, prefix: string, count: number, size: number, seed: number, gzip = true): { images: string; labels: string } {
  const data = bandImages(count, size, seed);
  const z = (b: Uint8Array): Uint8Array => (gzip ? zlib.gzipSync(b) : b);
  const ext = gzip ? '.gz' : '';
  const images = path.join(dir, `${prefix}-images-idx3-ubyte${ext}`);
  const labels = path.join(dir, `${prefix}-labels-idx1-ubyte${ext}`);
  fs.writeFileSync(images, z(encodeIdx([count, size, size], data.images)));
  fs.writeFileSync(labels, z(encodeIdx([count], data.labels)));
  return { images, labels };
}

describe('IDX data: a pair of files, or a directory with train and test pairs', () => {
  const IMAGE_SPEC = [{ kind: 'Flatten' }, { kind: 'Affine', units: 3 }];

  test('a directory: trains on its train pair, tests on its test pair; eval and predict read IDX back', () => {
    const dir = path.join(tmp, 'bands');
    fs.mkdirSync(dir);
    writeIdxPair(dir, 'train', 120, 9, 3);
    const testPair = writeIdxPair(dir, 't10k', 30, 9, 4, false);
    const spec = writeJson('bands.json', { layers: IMAGE_SPEC, recipe: { epochs: 3, batchSize: 10, lr: 0.05 } });
    const out = path.join(tmp, 'bands-model');
    const trained = nn(['train', '--data', dir, '--model', spec, '--validation', '0', '--out', out]);
    expect(trained.status).toBe(0);
    expect(trained.stdout).toMatch(/120 training, 0 validation, 30 test images \(.*t10k-images-idx3-ubyte\), 3 classes/);
    const reported = percent(trained.stdout, /test accuracy (\d+\.\d\d)% \(30 images/);
    expect(Number(reported)).toBeGreaterThanOrEqual(95);
    // eval DIR: the test pair training used; --data DIR: the directory's test pair, the same images.
    expect(nn(['eval', out]).stdout).toContain(`test accuracy ${reported}% (30 images of t10k-images-idx3-ubyte`);
    expect(nn(['eval', out, '--data', dir]).stdout).toContain(`test accuracy ${reported}% (30 images of t10k-images-idx3-ubyte`);
    const pair = nn(['predict', out, `${testPair.images},${testPair.labels}`, '--first', '6']);
    expect(pair.status).toBe(0);
    const lines = pair.stdout.trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^image 0: class 0 \(p \d\.\d{4}\) {2}probabilities 0:\d\.\d{4} 1:\d\.\d{4} 2:\d\.\d{4}$/);
    expect(lines[6]).toMatch(/^accuracy \d+\.\d\d% \(\d wrong of 6 images with labels in t10k-images-idx3-ubyte\)$/);
    // One image file: no labels, no accuracy.
    const images = nn(['predict', out, testPair.images, '--first', '2', '--json']);
    expect(images.stdout.trim().split('\n').map((l) => JSON.parse(l).class)).toEqual([0, 1]);
    expect(nn(['summary', out]).stdout).toMatch(/input normalisation: x = \(pixel\/255 − 0\.\d{4}\) \/ 0\.\d{4}/);
  });

  test('a pair IMAGES,LABELS with a held-out test split; mismatched and unfitting files are one line', () => {
    const dir = path.join(tmp, 'pair');
    fs.mkdirSync(dir);
    const pair = writeIdxPair(dir, 'mine', 90, 6, 5);
    const spec = writeJson('pair.json', { layers: IMAGE_SPEC, recipe: { epochs: 2, batchSize: 10, lr: 0.05 } });
    const ok = nn(['train', '--data', `${pair.images},${pair.labels}`, '--model', spec, '--no-save']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/65 training, 7 validation, 18 test images \(20 % of the images held out at random, split seed 0\)/);

    const short = writeIdxPair(dir, 'short', 10, 6, 6);
    expectOneLineError(nn(['train', '--data', `${pair.images},${short.labels}`, '--model', spec]), /has 10 labels but .*mine-images-idx3-ubyte\.gz has 90 images/);
    expectOneLineError(nn(['train', '--data', pair.images, '--label-column', 'x', '--model', spec]), /--label-column is for a CSV file/);
    const conv = writeJson('big-kernel.json', [{ kind: 'Conv2D', filters: 2, kernelSize: 9 }, { kind: 'Flatten' }, { kind: 'Affine', units: 3 }]);
    expectOneLineError(nn(['train', '--data', `${pair.images},${pair.labels}`, '--model', conv, '--no-save']), /big-kernel\.json: layer 0 \(Conv2D\).*\[1, 6, 6\]/);
  });
});

/** Four Fashion-MNIST-named files of 28×28 images (made here; the real files are never downloaded). */
function fakeFashion(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const write = (prefix: string, count: number, seed: number): void => {
    const data = bandImages(count, 28, seed);
    fs.writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte.gz`), zlib.gzipSync(encodeIdx([count, 28, 28], data.images)));
    fs.writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`), zlib.gzipSync(encodeIdx([count], data.labels)));
  };
  write('train', 200, 8);
  write('t10k', 50, 9);
}

describe('Fashion-MNIST by name', () => {
  test('from NN_FASHION_MNIST_DIR: trains with its class names; eval finds the dataset again; too few images is one line', () => {
    const dir = path.join(tmp, 'fashion');
    fakeFashion(dir);
    const env = { NN_FASHION_MNIST_DIR: dir, NN_FASHION_MNIST_MIRRORS: 'http://127.0.0.1:9/' };
    const out = path.join(tmp, 'fashion-model');
    const trained = nn(['train', 'fashion-mnist', '--model', 'mlp', '--limit', '150', '--validation', '50', '--epochs', '1', '--out', out], env);
    expect(trained.status).toBe(0);
    expect(trained.stdout).toContain(`data: Fashion-MNIST in ${dir}; 150 training, 50 validation, 50 test images; 1 epoch`);
    const reported = percent(trained.stdout, /test accuracy (\d+\.\d\d)% \(50 images/);
    const evaluated = nn(['eval', out], env);
    expect(evaluated.stdout).toContain(`mlp model in ${out}: test accuracy ${reported}% (50 images of Fashion-MNIST`);
    expect(evaluated.stdout).toContain('0 = T-shirt/top, 1 = Trouser');
    expect(nn(['summary', out]).stdout).toContain(`model in ${out}: mlp (fashion-mnist)`);
    expectOneLineError(nn(['train', 'fashion-mnist', '--model', 'mlp', '--no-save'], env), /--validation 5000 leaves no training images \(.*fashion has 200\)/);
  });

  test('downloads through NN_FASHION_MNIST_MIRRORS: a 404 and a corrupt mirror are named; offline says where to put the files', async () => {
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      if ((req.url ?? '').startsWith('/missing/')) {
        res.writeHead(404).end();
        return;
      }
      // Well-formed gzip whose MD5 is not the published one.
      const body = zlib.gzipSync(encodeIdx([1, 28, 28], new Uint8Array(784)));
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const cache = path.join(tmp, 'xdg');
      const env = {
        XDG_CACHE_HOME: cache,
        NN_FASHION_MNIST_MIRRORS: `http://127.0.0.1:${port}/missing/,http://127.0.0.1:${port}/corrupt/`,
      };
      // nn() (spawnSync) would block this process and with it the server: spawn asynchronously.
      const result = await nnAsync(['train', 'fashion-mnist', '--model', 'mlp', '--no-save'], env);
      const target = path.join(cache, 'millefeuille', 'fashion-mnist');
      // stderr shows the download's progress (one line per file off a terminal), then the one error line.
      const errorLines = result.stderr.split('\n').filter((l) => l.startsWith('nn: '));
      expect(result.stderr.trim().split('\n').at(-1)).toBe(errorLines[0]);
      expectOneLineError(
        { ...result, stderr: `${errorLines.join('\n')}\n` },
        new RegExp(
          'Fashion-MNIST file train-images-idx3-ubyte could not be downloaded intact: ' +
            `http://127.0.0.1:${port}/missing/train-images-idx3-ubyte\\.gz: HTTP 404.*` +
            `/corrupt/train-images-idx3-ubyte\\.gz: MD5 of the downloaded file is [0-9a-f]{32}, expected 8d4fb7e6c68d591d4c3dfef9ec88bf0d.*` +
            `Put the four Fashion-MNIST files .* in ${target}`,
        ),
      );
      expect(fs.readdirSync(target)).toEqual([]);
      expect(requests).toEqual(['/missing/train-images-idx3-ubyte.gz', '/corrupt/train-images-idx3-ubyte.gz']);

      const offline = nn(['train', 'kmnist', '--no-save'], { XDG_CACHE_HOME: cache, NN_KMNIST_MIRRORS: 'http://127.0.0.1:9/' });
      expectOneLineError(offline, new RegExp(`KMNIST is missing from ${path.join(cache, 'millefeuille', 'kmnist')} and could not be downloaded \\(offline\\?\\).*or point --data-dir or NN_KMNIST_DIR at a folder`));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/** nn as a child process without blocking the event loop (for tests that serve HTTP themselves). */
function nnAsync(args: string[], env: Record<string, string>): Promise<NnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NN_DATA_DIR: SHARED_MNIST, NN_MNIST_MIRRORS: DEAD_MIRROR, NN_DEBUG: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('nn datasets and nn summary on any model', () => {
  test('lists every dataset with its classes, where it is cached and whether it is there', () => {
    const fashion = path.join(tmp, 'fashion-listed');
    fakeFashion(fashion);
    const cache = path.join(tmp, 'empty-cache');
    const result = nn(['datasets'], { NN_FASHION_MNIST_DIR: fashion, XDG_CACHE_HOME: cache, NN_KMNIST_DIR: '' });
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[0]).toMatch(/^mnist {10}MNIST: handwritten digits/);
    expect(lines[2]).toMatch(/present: .*shared\/data\/mnist \(\$NN_DATA_DIR\)/);
    expect(lines[3]).toMatch(/^fashion-mnist {2}Fashion-MNIST/);
    expect(lines[4]).toContain('10 classes (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot), 60,000 training + 10,000 test images');
    expect(lines[5]).toContain(`present: ${fashion} ($NN_FASHION_MNIST_DIR)`);
    expect(lines[8]).toBe(`${' '.repeat(15)}not downloaded: ${path.join(cache, 'millefeuille', 'kmnist')} (the per-user cache); nn train kmnist downloads it there (or set NN_KMNIST_DIR)`);
    const json = nn(['datasets', '--json'], { NN_FASHION_MNIST_DIR: fashion, XDG_CACHE_HOME: cache, NN_KMNIST_DIR: '' });
    const entries = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(entries.map((e) => [e.name, e.present])).toEqual([['mnist', true], ['fashion-mnist', true], ['kmnist', false]]);
  });

  test('nn summary on a model saved by the library, whatever its shapes', () => {
    const dir = path.join(tmp, 'library-model');
    save(new Sequential([new Affine({ units: 5 })], { inputShape: [7], seed: 1 }), dir);
    const result = nn(['summary', dir]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`model in ${dir} (saved without nn train metadata)`);
    expect(result.stdout).toMatch(/Affine\s+\[5\]\s+40/);
    expect(result.stdout).toContain('input: [7] per sample (no metadata says how to make it from a file)');
    expectOneLineError(nn(['predict', dir, path.join(tmp, 'colours.csv')]), /takes inputs \[7\] and holds no nn train metadata/);
  });
});
