/**
 * Every bad input ends with a non-zero exit and ONE readable line on stderr: no stack trace, nothing on stdout.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { encodeIdx } from '../../src/data/idx';
import { MNIST_FILES } from '../../src/data/mnist';
import { Affine } from '../../src/layers/affine';
import { Flatten } from '../../src/layers/flatten';
import { Sequential } from '../../src/net/sequential';
import { modelFiles, save } from '../../src/net/serialize';
import { SHARED_MNIST, assertBuilt, expectOneLineError, nn } from './run-nn';

let tmp: string;
let model: string;
beforeAll(() => {
  assertBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-cli-errors-'));
  model = path.join(tmp, 'model');
  const result = nn(['train', 'mnist', '--model', 'mlp', '--limit', '500', '--epochs', '1', '--validation', '100', '--test-limit', '100', '--out', model]);
  expect(result.status).toBe(0);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const NAMES = Object.values(MNIST_FILES).map((f) => f.name);

/** A data directory linking to the shared files, with `name` replaced by `bytes` (or left out when null). */
function dataDirWith(label: string, name: string, bytes: Uint8Array | null): string {
  const dir = path.join(tmp, label);
  fs.mkdirSync(dir);
  for (const n of NAMES) {
    if (n !== name) fs.symlinkSync(path.join(SHARED_MNIST, `${n}.gz`), path.join(dir, `${n}.gz`));
  }
  if (bytes !== null) fs.writeFileSync(path.join(dir, `${name}.gz`), bytes);
  return dir;
}

describe('bad options', () => {
  test.each([
    [['train', 'mnist', '--bogus'], /unknown option '--bogus'/],
    [['train', 'mnist', '--epoch', '3'], /unknown option '--epoch' \(Did you mean --epochs\?\)/],
    [['train', 'mnist', '--epochs', '0'], /--epochs <n>' argument '0' is invalid\. Expected a positive integer/],
    [['train', 'mnist', '--epochs', '2.5'], /--epochs <n>' argument '2\.5' is invalid/],
    [['train', 'mnist', '--lr', '-1'], /--lr <rate>' argument '-1' is invalid\. Expected a number > 0/],
    [['train', 'mnist', '--lr', 'fast'], /--lr <rate>' argument 'fast' is invalid/],
    [['train', 'mnist', '--batch-size', 'abc'], /--batch-size <n>' argument 'abc' is invalid\. Expected a positive integer/],
    [['train', 'mnist', '--weight-decay', '-0.1'], /--weight-decay <lambda>' argument '-0\.1' is invalid/],
    [['train', 'mnist', '--model', 'huge'], /--model huge: neither a built-in model \(mlp, cnn, best\) nor a JSON spec file/],
    [['train', 'mnist', '--optimizer', 'lbfgs'], /Allowed choices are sgd, momentum, nesterov, rmsprop, adam, adagrad/],
    [['train', 'mnist', '--threads', '4'], /--threads <n>' argument '4' is invalid\. Expected 1 or 2/],
    [['train', 'mnist', '--schedule', 'sawtooth'], /--schedule "sawtooth": unknown schedule "sawtooth"/],
    [['train', 'mnist', '--schedule', 'step:every=0,gamma=0.5'], /--schedule "step:every=0,gamma=0.5": .*"every" must be a positive integer/],
    [['train', 'mnist', '--schedule', 'warmup:epochs=1+cosine+step'], /one schedule \(plus an optional warm-up\)/],
    [['train', 'mnist', '--validation', '60000'], /--validation 60000 leaves no training images/],
    [['train', 'mnist', '--limit', '56000'], /--limit 56000 with --validation 5000: at most 55000/],
    [['train', 'cifar10'], /'cifar10' is invalid for argument 'dataset'\. Allowed choices are mnist, fashion-mnist, kmnist/],
    [['train'], /what to train on\? give a dataset by name \(mnist, fashion-mnist, kmnist\) or your own data with --data PATH/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('nn %j', (args, pattern) => {
    expectOneLineError(nn(args as string[]), pattern as RegExp);
  });

  test('--out that is a file, or a non-empty directory without a model', () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    expectOneLineError(nn(['train', 'mnist', '--out', file]), /--out .*a-file is a file/);
    const busy = path.join(tmp, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, 'notes.txt'), 'mine');
    expectOneLineError(nn(['train', 'mnist', '--out', busy]), /non-empty directory that holds no model/);
  });
});

describe('bad MNIST files', () => {
  const QUICK = ['train', 'mnist', '--model', 'mlp', '--limit', '100', '--epochs', '1', '--no-save'];

  test('missing file and offline: says where to put the files', () => {
    const dir = dataDirWith('missing', 't10k-labels-idx1-ubyte', null);
    expectOneLineError(
      nn([...QUICK, '--data-dir', dir]),
      new RegExp(`MNIST is missing from ${dir} and could not be downloaded \\(offline\\?\\).*Put the four MNIST files .* in ${dir}`),
    );
    expect(fs.readdirSync(dir)).toHaveLength(3);
  });

  test('truncated IDX file', () => {
    const raw = zlib.gunzipSync(fs.readFileSync(path.join(SHARED_MNIST, 't10k-labels-idx1-ubyte.gz')));
    const dir = dataDirWith('truncated', 't10k-labels-idx1-ubyte', zlib.gzipSync(raw.subarray(0, 5000)));
    expectOneLineError(nn([...QUICK, '--data-dir', dir]), /t10k-labels-idx1-ubyte\.gz: truncated: dimensions \[10000\] need 10000 data bytes, the file has 4992/);
  });

  test('truncated gzip stream', () => {
    const gz = fs.readFileSync(path.join(SHARED_MNIST, 't10k-labels-idx1-ubyte.gz'));
    const dir = dataDirWith('cut-gzip', 't10k-labels-idx1-ubyte', gz.subarray(0, gz.length - 100));
    expectOneLineError(nn([...QUICK, '--data-dir', dir]), /t10k-labels-idx1-ubyte\.gz: the gzip data is truncated/);
  });

  test('wrong magic number', () => {
    const dir = dataDirWith('wrong-magic', 'train-labels-idx1-ubyte', encodeIdx([60000, 1, 1], new Uint8Array(60000)));
    expectOneLineError(nn([...QUICK, '--data-dir', dir]), /train-labels-idx1-ubyte\.gz: magic number 2051 is not an IDX label file \(expected 2049; this is an image file\)/);
  });
});

describe('bad model directories', () => {
  test('does not exist', () => {
    expectOneLineError(nn(['eval', path.join(tmp, 'nope'), 'mnist']), /model directory .*nope does not exist/);
    expectOneLineError(nn(['summary', path.join(tmp, 'nope')]), /does not exist/);
    expectOneLineError(nn(['predict', path.join(tmp, 'nope'), 'x.pgm']), /does not exist/);
    expectOneLineError(nn(['train', 'mnist', '--resume', path.join(tmp, 'nope')]), /does not exist/);
  });

  test('not a model directory', () => {
    expectOneLineError(nn(['eval', tmp]), /model\.json is missing: a model directory holds model\.json and its weights file/);
  });

  test('an edited model.json: training.history null, a bad RNG state, a normalisation of 1e400 or 1e-300 — one line naming the field', () => {
    const edited = (label: string, edit: (m: any) => void, text?: (t: string) => string): string => {
      const dir = path.join(tmp, label);
      fs.cpSync(model, dir, { recursive: true });
      const file = path.join(dir, 'model.json');
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      edit(json);
      const out = JSON.stringify(json);
      fs.writeFileSync(file, text ? text(out) : out);
      return dir;
    };
    const history = edited('history-null', (m) => (m.training.history = null));
    expectOneLineError(nn(['summary', history]), /model\.json: training\.history must be an object, got null$/);
    const rng = edited('rng-zero', (m) => (m.training.netRng.s = [0, 0, 0, 0]));
    expectOneLineError(nn(['train', 'mnist', '--resume', rng, '--epochs', '2']), /model\.json: training\.netRng\.s is all zeros, which no generator reaches$/);
    const huge = edited('std-1e400', () => {}, (t) => t.replace(/"std":[^,}]+/, '"std":1e400'));
    expectOneLineError(nn(['eval', huge]), /model\.json: metadata\.normalization\.std is Infinity; a model file holds finite numbers only/);
    const tiny = edited('std-1e-300', (m) => (m.metadata.normalization.std = 1e-300));
    expectOneLineError(nn(['eval', tiny]), /model\.json is damaged \(the input normalisation is mean [\d.]+, std 1e-300; nn train stores \|mean\| ≤ 1e6 and a std from 1e-6 to 1e6\)/);
  });

  test('a model that does not fit MNIST', () => {
    const other = path.join(tmp, 'other');
    save(new Sequential([new Flatten(), new Affine({ units: 3 })], { inputShape: [3, 8, 8], seed: 1 }), other);
    expectOneLineError(nn(['eval', other]), /takes inputs \[3, 8, 8\] and gives \[3\]; MNIST needs 28×28 = 784 pixels/);
    expectOneLineError(nn(['predict', other, 'whatever.pgm']), /takes inputs \[3, 8, 8\]/);
  });

  test('damaged weights', () => {
    const damaged = path.join(tmp, 'damaged');
    fs.cpSync(model, damaged, { recursive: true });
    const weights = modelFiles(damaged).weights;
    fs.writeFileSync(weights, fs.readFileSync(weights).subarray(0, 1000));
    expectOneLineError(nn(['eval', damaged]), /weights-[0-9a-f]{16}\.bin is 1000 bytes but model\.json's manifest needs \d+; the file is truncated/);
  });

  test('predict: missing, unreadable and unknown image files', () => {
    expectOneLineError(nn(['predict', model, path.join(tmp, 'none.pgm')]), /none\.pgm: no such file/);
    const text = path.join(tmp, 'notes.txt');
    fs.writeFileSync(text, 'hello, not an image');
    expectOneLineError(nn(['predict', model, text]), /notes\.txt is neither an IDX image file nor a binary PGM \(P5\) image/);
    const big = path.join(tmp, 'big.pgm');
    fs.writeFileSync(big, Buffer.concat([Buffer.from('P5 32 32 255\n'), Buffer.alloc(32 * 32)]));
    expectOneLineError(nn(['predict', model, big]), /big\.pgm holds 32×32 images; the model takes 28×28/);
    const cut = path.join(tmp, 'cut.pgm');
    fs.writeFileSync(cut, Buffer.concat([Buffer.from('P5 28 28 255\n'), Buffer.alloc(100)]));
    expectOneLineError(nn(['predict', model, cut]), /truncated PGM: 28×28 pixels need 784 bytes, the file has 100/);
    const ascii = path.join(tmp, 'ascii.pgm');
    fs.writeFileSync(ascii, 'P2 28 28 255\n0 0 0');
    expectOneLineError(nn(['predict', model, ascii]), /is a P2 netpbm image; only binary greyscale PGM \(P5\)/);
    const labels = path.join(tmp, 'labels.idx');
    fs.writeFileSync(labels, encodeIdx([2], Uint8Array.from([1, 2])));
    expectOneLineError(nn(['predict', model, labels]), /magic number 2049 is not an IDX image file/);
  });
});

describe('divergence', () => {
  test('NaN loss: one line suggesting a lower --lr; the model already in --out is not overwritten, even with --overwrite', () => {
    const before = fs.readFileSync(modelFiles(model).weights);
    const beforeJson = fs.readFileSync(path.join(model, 'model.json'));
    const result = nn(['train', 'mnist', '--model', 'mlp', '--optimizer', 'sgd', '--lr', '10000', '--limit', '1000', '--epochs', '1', '--validation', '100', '--out', model, '--overwrite']);
    expect(result.status).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^nn: training diverged: the loss became (NaN|Infinity) at epoch 1, batch \d+ of 10 \(learning rate 10000\)\. Try a lower --lr, e\.g\. --lr 1000; nothing was saved\.$/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(fs.readFileSync(modelFiles(model).weights).equals(before)).toBe(true);
    expect(fs.readFileSync(path.join(model, 'model.json')).equals(beforeJson)).toBe(true);
  });
});
