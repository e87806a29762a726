/**
 * `nn train mnist` end to end on a small real subset, then `nn eval`, `nn predict` and `nn summary` on the
 * model it wrote. Quick-run flags: --limit (training images), --validation, --test-limit (test images).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { encodeIdx } from '../../src/data/idx';
import { readMnist } from '../../src/data/mnist';
import { modelFiles } from '../../src/net/serialize';
import { SHARED_MNIST, assertBuilt, expectOneLineError, nn } from './run-nn';

let tmp: string;
beforeAll(() => {
  assertBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-cli-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const QUICK = ['--model', 'mlp', '--limit', '2000', '--epochs', '1', '--validation', '500', '--test-limit', '1000'];

describe('nn train mnist (plain output, stdout not a TTY)', () => {
  let out: string;
  let stdout: string;
  beforeAll(() => {
    out = path.join(tmp, 'mlp');
    const result = nn(['train', 'mnist', ...QUICK, '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    stdout = result.stdout;
  });

  test('one summary line per epoch, no progress bar, a sensible test accuracy', () => {
    expect(stdout).not.toContain('\r');
    expect(stdout).not.toContain('\x1b');
    expect(stdout).not.toContain('█');
    expect(stdout).not.toMatch(/ETA/);
    const epochLines = stdout.split('\n').filter((l) => l.startsWith('epoch '));
    expect(epochLines).toHaveLength(1);
    expect(epochLines[0]).toMatch(/^epoch 1\/1 {2}train loss \d+\.\d{4} acc \d+\.\d\d% {2}val loss \d+\.\d{4} acc \d+\.\d\d% {2}lr \d\.\d\de-?\d+ {2}\d+\.\ds \+ val \d+\.\ds$/);
    const match = /test accuracy (\d+\.\d\d)% \(1,000 images/.exec(stdout);
    expect(match).not.toBeNull();
    // 2,000 images, one epoch of the MLP: well above chance (10 %), typically ~87 %.
    expect(Number(match![1])).toBeGreaterThan(75);
    expect(stdout).toMatch(/trained 1 epoch in .* samples\/s; validation \d+\.\ds\), total .*; saved to /);
  });

  test('writes a model that nn eval loads and that reproduces the reported accuracy', () => {
    expect(fs.readdirSync(out).map((f) => f.replace(/-[0-9a-f]{16}\.bin$/, '.bin')).sort()).toEqual(['model.json', 'optimizer.bin', 'report.html', 'weights.bin']);
    const reported = /test accuracy (\d+\.\d\d)%/.exec(stdout)![1];
    const evaluated = nn(['eval', out, 'mnist', '--test-limit', '1000']);
    expect(evaluated.status).toBe(0);
    expect(evaluated.stdout).toContain(`test accuracy ${reported}% (1,000 images`);
    expect(evaluated.stdout).toMatch(/confusion matrix \(rows: true digit, columns: predicted digit\)/);
    const rows = evaluated.stdout.split('\n').filter((l) => /^\d {4}/.test(l));
    expect(rows).toHaveLength(10);
    const total = rows.reduce((sum, row) => sum + Number(row.trim().split(/\s+/)[11]), 0);
    expect(total).toBe(1000);
  });

  test('nn summary shows the layers, the normalisation and the test accuracy', () => {
    const result = nn(['summary', out]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`model in ${out}: mlp (MNIST)`);
    expect(result.stdout).toMatch(/Affine\s+\[256\]\s+200960/);
    expect(result.stdout).toMatch(/total parameters: 235146/);
    expect(result.stdout).toMatch(/input normalisation: x = \(pixel\/255 − 0\.13\d\d\) \/ 0\.30\d\d/);
    expect(result.stdout).toMatch(/test accuracy: \d+\.\d\d% on 1000 images/);
  });

  test('nn predict classifies a PGM and the first N images of an IDX file', () => {
    const test = readMnist(SHARED_MNIST).test;
    const pgm = path.join(tmp, 'seven.pgm');
    const header = Buffer.from('P5\n# test image 0 of MNIST\n28 28\n255\n', 'ascii');
    fs.writeFileSync(pgm, Buffer.concat([header, Buffer.from(test.images.subarray(0, 784))]));
    const one = nn(['predict', out, pgm]);
    expect(one.status).toBe(0);
    const m = /^class (\d) \(p (\d\.\d{4})\) {2}probabilities ((?:\d:\d\.\d{4} ?){10})$/.exec(one.stdout.trim());
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(7); // test image 0 is a clear 7
    const probs = m![3].trim().split(' ').map((kv) => Number(kv.split(':')[1]));
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);

    // A dark digit on a light background, as drawn in most image editors: --invert.
    const negative = path.join(tmp, 'seven-negative.pgm');
    fs.writeFileSync(negative, Buffer.concat([Buffer.from('P5 28 28 255\n', 'ascii'), Buffer.from(test.images.subarray(0, 784).map((p) => 255 - p))]));
    const inverted = nn(['predict', out, negative, '--invert', '--json']);
    expect(inverted.status).toBe(0);
    const invertedResult = JSON.parse(inverted.stdout);
    expect(invertedResult.class).toBe(7);
    expect(invertedResult.probabilities[7]).toBeCloseTo(probs[7], 3);

    const idx = path.join(tmp, 'five.idx3.gz');
    fs.writeFileSync(idx, zlib.gzipSync(encodeIdx([5, 28, 28], test.images.subarray(0, 5 * 784))));
    const first = nn(['predict', out, idx, '--first', '3', '--json']);
    expect(first.status).toBe(0);
    const lines = first.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.index)).toEqual([0, 1, 2]);
    for (const line of lines) {
      expect(line.probabilities).toHaveLength(10);
      expect(line.class).toBe(line.probabilities.indexOf(Math.max(...line.probabilities)));
    }
    expect(lines[0].class).toBe(7);
  });
});

describe('nn train mnist --json', () => {
  test('stdout holds only JSON lines with the documented fields; eval reproduces testAccuracy exactly', () => {
    const out = path.join(tmp, 'json');
    const result = nn(['train', 'mnist', ...QUICK, '--epochs', '2', '--json', '--out', out]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n').filter((l) => l !== '');
    const events = lines.map((l) => JSON.parse(l));
    expect(events).toHaveLength(3);
    for (const [i, e] of events.slice(0, 2).entries()) {
      expect(Object.keys(e).sort()).toEqual(['epoch', 'event', 'lr', 'seconds', 'trainAccuracy', 'trainLoss', 'trainSeconds', 'valAccuracy', 'valLoss', 'validationSeconds'].sort());
      expect(e.event).toBe('epoch');
      expect(e.epoch).toBe(i + 1);
      for (const k of ['trainLoss', 'trainAccuracy', 'valLoss', 'valAccuracy', 'lr', 'seconds', 'trainSeconds', 'validationSeconds']) expect(Number.isFinite(e[k])).toBe(true);
      // The epoch's time is its batches plus its validation pass, reported apart.
      expect(e.trainSeconds + e.validationSeconds).toBeCloseTo(e.seconds, 6);
      expect(e.validationSeconds).toBeGreaterThan(0);
      expect(e.trainAccuracy).toBeGreaterThan(0.5);
      expect(e.trainAccuracy).toBeLessThanOrEqual(1);
    }
    // The default cosine schedule over 2 epochs: η₀ then η₀/2.
    expect(events[0].lr).toBeCloseTo(1e-3, 12);
    expect(events[1].lr).toBeCloseTo(5e-4, 12);
    const done = events[2];
    expect(Object.keys(done).sort()).toEqual(['epochs', 'event', 'model', 'samplesPerSecond', 'testAccuracy', 'trainSeconds', 'validationSeconds'].sort());
    expect(done).toMatchObject({ event: 'done', model: 'mlp', epochs: 2 });
    expect(done.testAccuracy).toBeGreaterThan(0.8);
    expect(done.samplesPerSecond).toBeGreaterThan(0);
    // Throughput counts the batches alone: 2 epochs × 2,000 images over the epochs' trainSeconds, not their seconds.
    const batchSeconds = events[0].trainSeconds + events[1].trainSeconds;
    expect(done.samplesPerSecond).toBeCloseTo((2 * 2000) / batchSeconds, 3);
    expect(done.validationSeconds).toBeCloseTo(events[0].validationSeconds + events[1].validationSeconds, 6);

    const evaluated = nn(['eval', out, '--test-limit', '1000', '--json']);
    expect(evaluated.status).toBe(0);
    const report = JSON.parse(evaluated.stdout);
    expect(report.testAccuracy).toBe(done.testAccuracy);
    expect(report.samples).toBe(1000);
    expect(report.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(1000);
  });
});

describe('nn train mnist --resume', () => {
  test('1 epoch + resume to 2 gives bit-identical weights to 2 epochs in one go', () => {
    const whole = path.join(tmp, 'whole');
    const split = path.join(tmp, 'split');
    const common = ['--model', 'mlp', '--limit', '1000', '--validation', '200', '--test-limit', '200', '--seed', '5', '--json'];
    expect(nn(['train', 'mnist', ...common, '--epochs', '2', '--out', whole]).status).toBe(0);
    expect(nn(['train', 'mnist', ...common, '--epochs', '1', '--out', split]).status).toBe(0);
    const resumed = nn(['train', 'mnist', '--resume', split, '--epochs', '2', '--test-limit', '200', '--json']);
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    const events = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.event)).toEqual(['epoch', 'done']);
    expect(events[0].epoch).toBe(2);
    expect(fs.readFileSync(modelFiles(split).weights).equals(fs.readFileSync(modelFiles(whole).weights))).toBe(true);
  });

  test('a resumed run keeps its recipe', () => {
    const dir = path.join(tmp, 'split');
    const result = nn(['train', 'mnist', '--resume', dir, '--epochs', '3', '--lr', '0.5']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^nn: --lr 0\.5 differs from the resumed run's 0\.001/);
  });
});

describe('the SimpleConvNet through the CLI', () => {
  test('a short cnn run trains and saves a model eval agrees with', () => {
    const out = path.join(tmp, 'cnn');
    // 60 small batches: enough updates for a clear signal (≈ 85 %) at the cost of 1,500 images.
    const result = nn(['train', 'mnist', '--model', 'cnn', '--limit', '1500', '--batch-size', '25', '--epochs', '1', '--validation', '200', '--test-limit', '500', '--json', '--out', out]);
    expect(result.status).toBe(0);
    const done = JSON.parse(result.stdout.trim().split('\n').pop()!);
    expect(done.model).toBe('cnn');
    expect(done.testAccuracy).toBeGreaterThan(0.7);
    const report = JSON.parse(nn(['eval', out, '--test-limit', '500', '--json']).stdout);
    expect(report.testAccuracy).toBe(done.testAccuracy);
  });
});

describe('Ctrl-C', () => {
  test('SIGINT stops between batches: exit 130, one line naming the saved epoch, whose checkpoint is kept', async () => {
    const { spawn } = await import('node:child_process');
    const { DEAD_MIRROR, BIN, ROOT } = await import('./run-nn');
    const out = path.join(tmp, 'interrupted');
    const child = spawn(process.execPath, [BIN, 'train', 'mnist', '--model', 'mlp', '--limit', '20000', '--epochs', '5', '--validation', '200', '--test-limit', '200', '--json', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, NN_DATA_DIR: SHARED_MNIST, NN_MNIST_MIRRORS: DEAD_MIRROR },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('"event":"epoch"')) child.kill('SIGINT');
      });
      child.on('close', (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^nn: interrupted during epoch 2; epoch 1 is saved in .*interrupted \(continue with --resume .*interrupted\)\n$/);
    const summary = nn(['summary', out]);
    expect(summary.stdout).toMatch(/progress: 1 of 5 epochs/);
    // the report was rewritten after epoch 1: the curves so far, a page that reloads itself, no evaluation
    const report = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(report).toContain('training — epoch 1 of 5 done');
    expect(report).toContain('<meta http-equiv="refresh" content="30">');
    expect(report).not.toContain('id="evaluation"');
  });
});

describe('--report / --no-report', () => {
  test('--no-report saves the model without the page', () => {
    const out = path.join(tmp, 'no-report');
    const result = nn(['train', 'mnist', '--model', 'mlp', '--limit', '300', '--epochs', '1', '--validation', '100', '--test-limit', '100', '--no-report', '--out', out]);
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain('report:');
    expect(fs.readdirSync(out).map((f) => f.replace(/-[0-9a-f]{16}\.bin$/, '.bin')).sort()).toEqual(['model.json', 'optimizer.bin', 'weights.bin']);
  });

  test('--report with --no-save: one line saying the page goes into the model directory', () => {
    expectOneLineError(nn(['train', 'mnist', '--model', 'mlp', '--no-save', '--report']), /--report writes report\.html into the model directory: drop --no-save/);
  });
});

describe('--validation 0', () => {
  test('no validation: the JSON fields are null', () => {
    const result = nn(['train', 'mnist', '--model', 'mlp', '--limit', '500', '--epochs', '1', '--validation', '0', '--test-limit', '100', '--json', '--no-save']);
    expect(result.status).toBe(0);
    const epoch = JSON.parse(result.stdout.split('\n')[0]);
    expect(epoch.valLoss).toBeNull();
    expect(epoch.valAccuracy).toBeNull();
  });
});

describe('--threads', () => {
  test('--threads 2 trains the same weights as --threads 1 (the kernels split work bit-identically)', () => {
    const args = ['train', 'mnist', '--model', 'cnn', '--limit', '300', '--epochs', '1', '--validation', '100', '--test-limit', '100', '--json'];
    const one = path.join(tmp, 'threads1');
    const two = path.join(tmp, 'threads2');
    expect(nn([...args, '--threads', '1', '--out', one]).status).toBe(0);
    const result = nn([...args, '--threads', '2', '--out', two]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(fs.readFileSync(modelFiles(two).weights).equals(fs.readFileSync(modelFiles(one).weights))).toBe(true);
  });
});
