/**
 * The progress bar appears when stdout IS a terminal. util-linux `script` gives the subprocess a
 * pseudo-terminal; where it is missing (not Linux) the test is skipped and says so.
 */
import { spawnSync } from 'node:child_process';
import { BIN, DEAD_MIRROR, ROOT, SHARED_MNIST, assertBuilt } from './run-nn';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const maybe = hasScript ? test : test.skip;

maybe('on a terminal: a live bar redrawn with \\r (batches, samples/s, loss, ETA), then the epoch line', () => {
  assertBuilt();
  const command = `"${process.execPath}" "${BIN}" train mnist --model mlp --limit 1500 --epochs 2 --validation 200 --test-limit 200 --no-save`;
  const result = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: ROOT,
    env: { ...process.env, NN_DATA_DIR: SHARED_MNIST, NN_MNIST_MIRRORS: DEAD_MIRROR },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.status).toBe(0);
  const out = result.stdout;
  expect(out).toMatch(/\r\x1b\[Kepoch 1\/2 [█·]+ \d+\/15 {2}[\d,]+ samples\/s {2}loss \d+\.\d{4} {2}ETA \d+s/);
  expect(out).toMatch(/\r\x1b\[Kepoch 2\/2 [█·]+ 15\/15 /);
  // The bar is erased before each summary line.
  expect(out).toMatch(/\r\x1b\[Kepoch 1\/2 {2}train loss/);
  expect(out).toMatch(/test accuracy \d+\.\d\d%/);
});
