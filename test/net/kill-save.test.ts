/**
 * save() is crash-safe: a process killed (SIGKILL, no clean-up) at any instant of a save leaves a directory
 * that loads, holding the old checkpoint or the new one, and the next save removes what it left behind.
 * Runs scripts/kill-save-loop.js over the build (npm run build); the same script with 200 kills is the
 * figure in docs/model-files.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertBuilt } from '../cli/run-nn';
import { load } from '../../src/net/serialize';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { killSaveLoop, killAtStep } = require('../../scripts/kill-save-loop.js');

let tmp: string;
beforeAll(() => {
  assertBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-kill-save-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('killed at every file-system step of a save: the directory always loads, as the old or the new checkpoint', async () => {
  const dir = path.join(tmp, 'steps');
  fs.mkdirSync(dir);
  const seen: number[] = [];
  let steps = 0;
  for (let k = 1; ; k++) {
    const outcome = await killAtStep(dir, 2 * k, k);
    const n = load(dir).metadata!.n as number;
    // Checkpoint 2k was finished; 2k + 1 was being saved when the process died at its k-th step.
    expect([2 * k, 2 * k + 1]).toContain(n);
    seen.push(n - 2 * k);
    if (outcome === 'finished') break;
    steps = k;
  }
  // open, write, fsync, close, rename for each of the three files, then the directory's open, fsync, close:
  // at least 15 places to die, and the new checkpoint appears only once model.json is renamed.
  expect(steps).toBeGreaterThanOrEqual(15);
  expect(seen.slice(0, 10).every((v) => v === 0)).toBe(true);
  expect(seen[seen.length - 1]).toBe(1);
  expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
});

test('20 kill -9 at random instants of a save loop: 0 unloadable directories, never an older checkpoint', async () => {
  const result = await killSaveLoop({ kills: 20, seed: 7, dir: fs.mkdtempSync(path.join(tmp, 'random-')) });
  expect(result.errors).toEqual([]);
  expect(result.kills).toBe(20);
  expect(result.unloadable).toBe(0);
  expect(result.stale).toBe(0);
});
