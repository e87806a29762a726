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

maybe('on a 50-column terminal the bar line fits: no line of the output is 50 characters or longer', () => {
  assertBuilt();
  const command = `stty cols 50 rows 24; "${process.execPath}" "${BIN}" train mnist --model mlp --limit 1500 --epochs 1 --validation 200 --test-limit 200 --no-save`;
  const result = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: ROOT,
    env: { ...process.env, NN_DATA_DIR: SHARED_MNIST, NN_MNIST_MIRRORS: DEAD_MIRROR },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.status).toBe(0);
  // Every redraw of the bar, as the terminal shows it: the text after each "\r\x1b[K".
  const redraws = result.stdout.split('\r\x1b[K').slice(1).map((r) => r.split(/\r|\n/)[0]).filter((r) => r.startsWith('epoch 1/1 ') && !r.includes('train loss'));
  expect(redraws.length).toBeGreaterThan(0);
  for (const line of redraws) expect(line.length).toBeLessThan(50);
  expect(redraws.at(-1)).toMatch(/^epoch 1\/1 .*15\/15 .*loss \d\.\d{4}/);
});
