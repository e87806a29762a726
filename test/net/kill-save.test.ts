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
import { Adam, Affine, ReLU, Sequential } from '../../src';
import { load, save } from '../../src/net/serialize';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { killSaveLoop } = require('../../scripts/kill-save-loop.js');

let tmp: string;
beforeAll(() => {
  assertBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-kill-save-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a save that dies at any one of its file-system steps leaves the old checkpoint or the new one, never neither', () => {
  // In-process and deterministic: from the K-th call on, every file-system call fails — as far as the disk is
  // concerned, the process died there (nothing it would do later, clean-up included, happens).
  const realFs: typeof fs = require('fs');
  const calls = ['openSync', 'writeFileSync', 'fsyncSync', 'closeSync', 'renameSync', 'rmSync', 'readFileSync', 'readdirSync'] as const;
  const net = new Sequential([new Affine({ units: 8 }), new ReLU(), new Affine({ units: 3 })], { inputShape: [5], seed: 1 });
  const optimizer = new Adam({ lr: 0.01 });
  const dir = path.join(tmp, 'steps');
  const outcomes: string[] = [];
  for (let k = 1; ; k++) {
    fs.rmSync(dir, { recursive: true, force: true });
    save(net, dir, { optimizer, metadata: { n: 0 } });
    net.params()[0].value[0] += 1;
    let count = 0;
    for (const name of calls) {
      const original = realFs[name] as (...args: unknown[]) => unknown;
      jest.spyOn(realFs, name).mockImplementation(((...args: unknown[]) => {
        if (++count >= k) throw new Error('killed');
        return original.apply(realFs, args);
      }) as never);
    }
    let finished = true;
    try {
      save(net, dir, { optimizer, metadata: { n: 1 } });
    } catch {
      finished = false;
    }
    jest.restoreAllMocks();
    const n = load(dir).metadata!.n as number;
    outcomes.push(`${k}:${n}`);
    if (finished) break;
    expect([0, 1]).toContain(n);
  }
  // Three files written (open, write, fsync, close, rename), the directory synced, the old files removed:
  // well over 15 places to die; the new checkpoint appears exactly when model.json is renamed.
  expect(outcomes.length).toBeGreaterThan(15);
  const firstNew = outcomes.findIndex((o) => o.endsWith(':1'));
  expect(outcomes.slice(0, firstNew).every((o) => o.endsWith(':0'))).toBe(true);
  expect(outcomes.slice(firstNew).every((o) => o.endsWith(':1'))).toBe(true);
  // After the next complete save, nothing is left over.
  save(net, dir, { optimizer, metadata: { n: 2 } });
  expect(fs.readdirSync(dir).map((f) => f.replace(/-[0-9a-f]{16}/, '')).sort()).toEqual(['model.json', 'optimizer.bin', 'weights.bin']);
});

test('20 kill -9 at random instants of a save loop: 0 unloadable directories, never an older checkpoint', async () => {
  const result = await killSaveLoop({ kills: 20, seed: 7, dir: fs.mkdtempSync(path.join(tmp, 'random-')) });
  expect(result.errors).toEqual([]);
  expect(result.kills).toBe(20);
  expect(result.unloadable).toBe(0);
  expect(result.stale).toBe(0);
});
