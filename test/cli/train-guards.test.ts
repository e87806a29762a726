/**
 * nn train checks its output before the first batch (issue 10): it never replaces another model unasked,
 * and an --out it cannot write is reported up front with the real reason. The default model trains on a
 * set that leaves a last batch of one.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { modelFiles } from '../../src/net/serialize';
import { BIN, DEAD_MIRROR, SHARED_MNIST, assertBuilt, expectOneLineError, nn } from './run-nn';

let tmp: string;
beforeAll(() => {
  assertBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-cli-guards-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TINY = ['--model', 'mlp', '--limit', '200', '--epochs', '1', '--validation', '100', '--test-limit', '100'];

describe('--out holding a model', () => {
  let out: string;
  let weights: Buffer;
  let json: Buffer;
  beforeAll(() => {
    out = path.join(tmp, 'taken');
    expect(nn(['train', 'mnist', ...TINY, '--out', out]).status).toBe(0);
    weights = fs.readFileSync(modelFiles(out).weights);
    json = fs.readFileSync(path.join(out, 'model.json'));
  });

  test('is refused without --overwrite, in one line, and left as it was', () => {
    expectOneLineError(
      nn(['train', 'mnist', ...TINY, '--seed', '2', '--out', out]),
      /--out .*taken already holds a model; pass --overwrite to replace it, --resume .*taken to train it further, or choose another --out$/,
    );
    expect(fs.readFileSync(modelFiles(out).weights).equals(weights)).toBe(true);
    expect(fs.readFileSync(path.join(out, 'model.json')).equals(json)).toBe(true);
  });

  test('the default ./mnist-<model> is guarded the same way', () => {
    const cwd = path.join(tmp, 'cwd');
    fs.mkdirSync(cwd);
    expect(nn(['train', 'mnist', ...TINY], {}, cwd).status).toBe(0);
    expectOneLineError(nn(['train', 'mnist', ...TINY], {}, cwd), /--out mnist-mlp already holds a model; pass --overwrite/);
  });

  test('--overwrite replaces it; --resume into its own directory needs no --overwrite', () => {
    const replaced = nn(['train', 'mnist', ...TINY, '--seed', '2', '--out', out, '--overwrite', '--json']);
    expect(replaced.stderr).toBe('');
    expect(replaced.status).toBe(0);
    expect(fs.readFileSync(modelFiles(out).weights).equals(weights)).toBe(false);
    const resumed = nn(['train', 'mnist', '--resume', out, '--epochs', '2', '--test-limit', '100', '--json']);
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    // Resuming one model into ANOTHER model's directory is a replacement like any other.
    const other = path.join(tmp, 'other');
    expect(nn(['train', 'mnist', ...TINY, '--out', other]).status).toBe(0);
    expectOneLineError(nn(['train', 'mnist', '--resume', out, '--epochs', '3', '--out', other]), /--out .*other already holds a model/);
  });
});

describe('an --out that cannot be written: the real reason, before any data is read', () => {
  test('a path through a file', () => {
    const file = path.join(tmp, 'plain-file');
    fs.writeFileSync(file, 'x');
    expectOneLineError(nn(['train', 'mnist', ...TINY, '--out', path.join(file, 'a', 'b')]), /cannot save to --out .*plain-file\/a\/b: .*plain-file is a file, not a directory$/);
  });

  test('a directory where nothing may be created (/sys)', () => {
    // --data-dir points nowhere: the output is checked first, so the data is never looked for.
    expectOneLineError(
      nn(['train', 'mnist', ...TINY, '--out', '/sys/nn-model', '--data-dir', path.join(tmp, 'no-data')]),
      /^nn: cannot save to --out \/sys\/nn-model: no permission to write in \/sys; choose another --out, or --no-save$/,
    );
  });

  // A real read-only file system: a tmpfs remounted read-only in a user namespace (Linux, where allowed).
  const canUnshare = process.platform === 'linux' && spawnSync('unshare', ['-rm', 'true']).status === 0;
  (canUnshare ? test : test.skip)('a read-only file system, for a new directory and for an existing one', () => {
    const ro = path.join(tmp, 'ro');
    fs.mkdirSync(ro);
    const train = (out: string) =>
      `"${process.execPath}" "${BIN}" train mnist ${TINY.join(' ')} --out "${out}"`;
    const script = `mount -t tmpfs none "${ro}" && mount -o remount,ro "${ro}" && ${train(path.join(ro, 'model'))}; ${train(ro)}`;
    const result = spawnSync('unshare', ['-rm', 'sh', '-c', script], {
      env: { ...process.env, NN_DATA_DIR: SHARED_MNIST, NN_MNIST_MIRRORS: DEAD_MIRROR },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^nn: cannot save to --out .*ro\/model: .*ro is on a read-only file system; choose another --out, or --no-save$/);
    expect(lines[1]).toMatch(/^nn: cannot save to --out .*ro: .*ro is on a read-only file system/);
    expect(result.stdout).toBe('');
  });
});

describe('the default model on a training set that leaves a last batch of one', () => {
  test('--limit 129 (two batches of 64 and one image) trains and saves', () => {
    const out = path.join(tmp, 'best-129');
    const result = nn(['train', 'mnist', '--limit', '129', '--epochs', '1', '--validation', '100', '--test-limit', '100', '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('129 training, 100 validation, 100 test images; 1 epoch of 2 batches of 64 (the last of 65)');
    expect(fs.existsSync(path.join(out, 'model.json'))).toBe(true);
  });
});

describe('option values that cannot make sense', () => {
  test('--shift as large as the image is refused before training', () => {
    expectOneLineError(
      nn(['train', 'mnist', ...TINY, '--shift', '28', '--no-save']),
      /^nn: --shift 28 would move the whole 28×28 image out of view; use a shift below 28/,
    );
  });
});
