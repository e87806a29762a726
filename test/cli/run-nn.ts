/**
 * Runs the real `nn` command as a subprocess on the repo's sibling ../shared/data/mnist: src/cli/main.ts
 * bundled as it is now (jest's global setup rebuilds .test-build/cli/nn.js whenever a source is newer, see
 * scripts/test-build.js), so a change in src/ is always what the CLI tests check — bin/nn runs dist/, which
 * only `npm run build` refreshes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
/** The command under test: src/cli/main.ts, bundled by jest's global setup. */
export const BIN = path.join(ROOT, '.test-build', 'cli', 'nn.js');
export const SHARED_MNIST = path.resolve(ROOT, '../shared/data/mnist');
/** A mirror nobody answers (port 9, "discard", is closed here): a test must never download from the internet. */
export const DEAD_MIRROR = 'http://127.0.0.1:9/mnist/';

export interface NnResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function assertBuilt(): void {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: jest's global setup (scripts/jest-global-setup.js) builds it`);
}

export function nn(args: string[], env: Record<string, string> = {}, cwd = ROOT): NnResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, NN_DATA_DIR: SHARED_MNIST, NN_MNIST_MIRRORS: DEAD_MIRROR, NN_DEBUG: '', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Asserts a failure reported as exactly one readable line on stderr, no stack trace, nothing on stdout. */
export function expectOneLineError(result: NnResult, pattern: RegExp): void {
  expect(result.status).not.toBe(0);
  expect(result.status).not.toBeNull();
  const lines = result.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^nn: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).toBe('');
}
