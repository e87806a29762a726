/**
 * `npm run bench:memory [-- options]`: a long-lived process (issue 9). Round after round it builds a
 * SimpleConvNet (seed 1), fits it for one epoch on 2,000 MNIST training images (batch 100, SGD), evaluates
 * it on 1,000 test images, and then either disposes net, loss and optimizer (`dispose`) or just drops them,
 * leaving them to the FinalizationRegistry (`gc`: a full collection between rounds, which needs
 * `node --expose-gc`; npm run bench:memory passes it). Per round it prints the arena's bytes in use after the
 * round, the training samples/s and the process RSS; at the end the SHA-256 of the last round's weights and
 * of the same round run in a fresh process (which must be equal: bit-identical results after any number of
 * rounds).
 *
 * Options: --rounds N (40), --mode dispose|gc|both (both), --images N (2000), --test-images N (1000),
 * --batch N (100), --synthetic (random images instead of MNIST: for the test suite), --json (one JSON line per
 * round and a final one; for the tests), --no-fresh (skip the fresh-process comparison). Data: NN_DATA_DIR,
 * else the repo's sibling ../shared/data/mnist.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { buildMnistModel } from '../src/models/mnist';
import { SoftmaxCrossEntropy } from '../src/losses/softmax-cross-entropy';
import { SGD } from '../src/optimizers/sgd';
import { evaluate, fit } from '../src/net/train';
import type { Dataset } from '../src/data/batches';
import { imagesToTensor, labelsToInt32, readMnist } from '../src/data/mnist';
import { memoryStats } from '../src/kernels/wasm/arena';
import { kernelBackend } from '../src/kernels/backend';
import { Rng } from '../src/random';
import { tensor } from '../src/tensor';

interface Options {
  rounds: number;
  modes: ('dispose' | 'gc')[];
  images: number;
  testImages: number;
  batch: number;
  synthetic: boolean;
  json: boolean;
  fresh: boolean;
}

export interface RoundFigures {
  mode: 'dispose' | 'gc';
  round: number;
  /** Arena bytes in use after the round (after a collection in gc mode). */
  arenaBytes: number;
  /** Bytes held by owners other than the kernels' scratch and GEMM workspaces, after the round. */
  ownedBytes: number;
  /** The same, while the round's net was still alive (its footprint). */
  roundBytes: number;
  samplesPerSecond: number;
  rssBytes: number;
  /** SHA-256 of the round's trained weights. */
  weights: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { rounds: 40, modes: ['dispose', 'gc'], images: 2000, testImages: 1000, batch: 100, synthetic: false, json: false, fresh: true };
  const int = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`bench:memory: ${flag} needs a positive integer, got ${String(value)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') o.rounds = int(a, argv[++i]);
    else if (a === '--images') o.images = int(a, argv[++i]);
    else if (a === '--test-images') o.testImages = int(a, argv[++i]);
    else if (a === '--batch') o.batch = int(a, argv[++i]);
    else if (a === '--mode') {
      const mode = argv[++i];
      if (mode === 'both') o.modes = ['dispose', 'gc'];
      else if (mode === 'dispose' || mode === 'gc') o.modes = [mode];
      else throw new RangeError(`bench:memory: --mode must be dispose, gc or both, got ${String(mode)}`);
    } else if (a === '--synthetic') o.synthetic = true;
    else if (a === '--json') o.json = true;
    else if (a === '--no-fresh') o.fresh = false;
    else throw new RangeError(`bench:memory: unknown option ${a} (see the comment at the top of bench/memory-rounds.ts)`);
  }
  return o;
}

function synthetic(count: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = tensor([count, 1, 28, 28]);
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.next();
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) y[i] = Math.floor(rng.next() * 10);
  return { x, y };
}

function mnist(o: Options): { train: Dataset; test: Dataset } {
  const dir = process.env.NN_DATA_DIR ?? path.resolve(__dirname, '../../../shared/data/mnist');
  const data = readMnist(dir);
  return {
    train: { x: imagesToTensor(data.train.images, 28, 28, 0, o.images), y: labelsToInt32(data.train.labels, 0, o.images) },
    test: { x: imagesToTensor(data.test.images, 28, 28, 0, o.testImages), y: labelsToInt32(data.test.labels, 0, o.testImages) },
  };
}

function ownedBytes(): number {
  let bytes = 0;
  for (const [kind, owner] of Object.entries(memoryStats().owners)) {
    if (kind !== 'kernel scratch' && kind !== 'GEMM workspace') bytes += owner.bytes;
  }
  return bytes;
}

async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('bench:memory: --mode gc needs node --expose-gc (npm run bench:memory passes it)');
  for (let i = 0; i < 2; i++) {
    gc();
    // The registry's callbacks run as tasks after the collection.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** One round (without the memory figures). In gc mode nothing is disposed: the net, loss and optimizer are just dropped. */
async function round(mode: 'dispose' | 'gc', index: number, train: Dataset, test: Dataset, batch: number): Promise<Omit<RoundFigures, 'arenaBytes' | 'ownedBytes' | 'rssBytes'>> {
  const net = buildMnistModel('cnn', 1);
  const loss = new SoftmaxCrossEntropy();
  const optimizer = new SGD({ lr: 0.1 });
  const history = await fit(net, loss, optimizer, train, { epochs: 1, batchSize: batch, seed: 1 });
  evaluate(net, loss, test, 500);
  const hash = createHash('sha256');
  for (const p of net.params()) hash.update(new Uint8Array(p.value.buffer, p.value.byteOffset, p.value.byteLength));
  const weights = hash.digest('hex');
  const roundBytes = ownedBytes();
  if (mode === 'dispose') {
    net.dispose();
    loss.dispose();
    optimizer.dispose();
  }
  return { mode, round: index, roundBytes, samplesPerSecond: train.x.shape[0] / history.seconds[0], weights };
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const { train, test } = o.synthetic ? { train: synthetic(o.images, 1), test: synthetic(o.testImages, 2) } : mnist(o);
  if (!o.json) {
    console.log(`SimpleConvNet, ${train.x.shape[0]} training images (batch ${o.batch}), ${test.x.shape[0]} test images, ` +
      `${o.rounds} rounds per mode, kernels ${kernelBackend()}`);
  }
  const last: Record<string, string> = {};
  for (const mode of o.modes) {
    const figures: RoundFigures[] = [];
    if (!o.json) console.log(`\n${mode === 'dispose' ? 'with dispose()' : 'without dispose() (FinalizationRegistry, gc between rounds)'}\n round  arena MiB  owned MiB  samples/s  RSS MiB`);
    for (let r = 1; r <= o.rounds; r++) {
      const done = await round(mode, r, train, test, o.batch);
      if (mode === 'gc') await collect(); // now that nothing references the round's net
      const f: RoundFigures = { ...done, arenaBytes: memoryStats().bytesInUse, ownedBytes: ownedBytes(), rssBytes: process.memoryUsage().rss };
      figures.push(f);
      if (o.json) console.log(JSON.stringify({ event: 'round', ...f }));
      else console.log(`${String(r).padStart(6)}  ${mib(f.arenaBytes).padStart(9)}  ${mib(f.ownedBytes).padStart(9)}  ${f.samplesPerSecond.toFixed(0).padStart(9)}  ${mib(f.rssBytes).padStart(7)}`);
    }
    last[mode] = figures[figures.length - 1].weights;
    if (!o.json) {
      const speeds = figures.map((f) => f.samplesPerSecond);
      const q = Math.max(1, Math.floor(figures.length / 4));
      console.log(`samples/s median of the first ${q} rounds ${median(speeds.slice(0, q)).toFixed(0)}, of the last ${q} ${median(speeds.slice(-q)).toFixed(0)}; ` +
        `arena after round 1 ${mib(figures[0].arenaBytes)} MiB, max ${mib(Math.max(...figures.map((f) => f.arenaBytes)))} MiB; ` +
        `RSS after round 1 ${mib(figures[0].rssBytes)} MiB, last ${mib(figures[figures.length - 1].rssBytes)} MiB`);
    }
  }
  let fresh: string | undefined;
  if (o.fresh) {
    // The same round in a new process: its weights must be the last round's, bit for bit.
    const args = [__filename, '--rounds', '1', '--mode', 'dispose', '--json', '--no-fresh', '--images', String(o.images),
      '--test-images', String(o.testImages), '--batch', String(o.batch), ...(o.synthetic ? ['--synthetic'] : [])];
    const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`bench:memory: the fresh process failed: ${child.stderr}`);
    fresh = (JSON.parse(child.stdout.trim().split('\n')[0]) as RoundFigures).weights;
  }
  if (o.json) {
    console.log(JSON.stringify({ event: 'done', lastWeights: last, ...(fresh ? { freshWeights: fresh } : {}) }));
  } else {
    for (const mode of o.modes) {
      console.log(`weights of round ${o.rounds} (${mode}): ${last[mode].slice(0, 16)}…` +
        (fresh ? `; fresh process: ${fresh.slice(0, 16)}… ${fresh === last[mode] ? 'identical' : 'DIFFERENT'}` : ''));
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
