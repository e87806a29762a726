/**
 * A long-lived process (issue 9): 40 rounds of build, fit (two batches) and evaluate of a SimpleConvNet in
 * one process — bench/memory-rounds.ts over dist/, run with --expose-gc so that its second mode can leave
 * the dropped nets to the FinalizationRegistry. With dispose() the arena's bytes in use are the same after
 * every round and no owner holds anything; without it, the registry gives every dropped net back (bounded);
 * every round's weights, and a fresh process's, are bit-identical. Needs the build (`npm run build`).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const BENCH = path.join(ROOT, 'dist', 'bench', 'memory-rounds.js');

interface Round {
  event: 'round';
  mode: 'dispose' | 'gc';
  round: number;
  arenaBytes: number;
  ownedBytes: number;
  roundBytes: number;
  weights: string;
}

interface Done {
  event: 'done';
  lastWeights: Record<string, string>;
  freshWeights: string;
}

function runRounds(rounds: number): { rounds: Round[]; done: Done } {
  if (!fs.existsSync(BENCH)) throw new Error('dist/bench/memory-rounds.js is missing: run `npm run build` before this test');
  const result = spawnSync(process.execPath, [
    '--expose-gc', BENCH, '--synthetic', '--images', '64', '--test-images', '64', '--batch', '32', '--rounds', String(rounds), '--json',
  ], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bench:memory failed (${result.status}): ${result.stderr}`);
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Round | Done);
  return { rounds: lines.filter((l): l is Round => l.event === 'round'), done: lines.find((l): l is Done => l.event === 'done')! };
}

test('40 rounds in one process: flat arena with dispose(), bounded without, bit-identical weights throughout', () => {
  const { rounds, done } = runRounds(40);
  const disposed = rounds.filter((r) => r.mode === 'dispose');
  const dropped = rounds.filter((r) => r.mode === 'gc');
  expect(disposed).toHaveLength(40);
  expect(dropped).toHaveLength(40);

  // dispose(): nothing but the kernels' own scratch and workspaces after any round, the same bytes every round.
  for (const r of disposed) expect(r.ownedBytes).toBe(0);
  expect(new Set(disposed.map((r) => r.arenaBytes)).size).toBe(1);
  // Each round really used the arena (so "0 after the round" means it was given back).
  for (const r of disposed) expect(r.roundBytes).toBeGreaterThan(1 << 20);

  // Dropped without dispose(): the registry returns the blocks; never more than one round's footprint is left.
  const footprint = Math.max(...dropped.map((r) => r.roundBytes));
  for (const r of dropped) expect(r.ownedBytes).toBeLessThanOrEqual(footprint);
  expect(dropped[39].arenaBytes).toBeLessThanOrEqual(dropped[0].arenaBytes + footprint);

  // The same seed gives the same weights in every round, in both modes, and in a fresh process.
  expect(new Set(rounds.map((r) => r.weights)).size).toBe(1);
  expect(done.freshWeights).toBe(rounds[0].weights);
});
