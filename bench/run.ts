/**
 * `npm run bench`: throughput on real MNIST and the raw GEMM speed.
 *
 *   - training samples/s (fit: gather, forward, loss, backward, Adam step) and inference samples/s
 *     (forward only) of the MLP 784-100-10 and the SimpleConvNet
 *     (conv 30@5×5 → ReLU → MaxPool 2 → Affine 100 → ReLU → Affine 10, SoftmaxCE), batch 100;
 *   - GEMM GFLOP/s at (100×784)·(784×100) and 512³.
 *
 * Every figure is the MEDIAN of several timed windows after a warm-up, with the range (min–max): the
 * development machine is shared, so one window says little. Training and GEMM figures are wall-clock;
 * each also has a per-CPU-second twin (samples or flops per second of this process's CPU time, all
 * threads together), which a busy machine disturbs much less. Options:
 *   --threads N   kernel threads (setThreads), default 1
 *   --json        one JSON object on stdout instead of the table
 *   --quick       fewer/shorter windows (a smoke run)
 *   --browser     instead of the above: SimpleConvNet training samples/s in headless Chromium (the page's main
 *                 thread, a Worker on 1 and on 2 threads) next to Node's, in one run (bench/browser.ts)
 * Data: NN_DATA_DIR, else the repo's sibling ../shared/data/mnist. NN_KERNELS=reference|ts|wasm picks the kernels;
 * NN_WASM_FMA=0|1 pins the plain or the fused multiply-add build (default: FMA where the engine has relaxed SIMD).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Adam } from '../src/optimizers/adam';
import { Affine } from '../src/layers/affine';
import { Conv2D } from '../src/layers/conv2d';
import { Flatten } from '../src/layers/flatten';
import type { Layer } from '../src/layers/layer';
import { MaxPool } from '../src/layers/maxpool';
import { ReLU } from '../src/layers/relu';
import { SoftmaxCrossEntropy } from '../src/losses/softmax-cross-entropy';
import { Sequential } from '../src/net/sequential';
import { fit } from '../src/net/train';
import { sliceRows } from '../src/data/batches';
import { imagesToTensor, labelsToInt32, pixelStats, readMnist } from '../src/data/mnist';
import { MemoryOwner } from '../src/memory';
import { matmul } from '../src/kernels/gemm';
import { kernelBackend, wasmStatus } from '../src/kernels/backend';
import { getThreads, setThreads } from '../src/kernels/wasm/threads';
import type { Tensor } from '../src/tensor';
import * as os from 'node:os';
import { stat, type Stat } from './train-throughput';

const BATCH = 100;

interface Args {
  threads: number;
  json: boolean;
  quick: boolean;
  browser: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { threads: 1, json: false, quick: false, browser: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--browser') args.browser = true;
    else if (a === '--threads' || a.startsWith('--threads=')) {
      const v = a.includes('=') ? a.slice('--threads='.length) : argv[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`bench: --threads must be a positive integer, got ${JSON.stringify(v)}`);
      args.threads = n;
    } else throw new RangeError(`bench: unknown option ${a} (known: --threads N, --json, --quick, --browser)`);
  }
  if (args.browser && args.threads !== 1) throw new RangeError('bench: --browser measures 1 and 2 threads itself; leave out --threads');
  return args;
}

/** GFLOP/s of C = A·B (m×k)·(k×n) through the public matmul, operands allocated as layers allocate them. */
function benchGemm(m: number, k: number, n: number, windows: number, windowSeconds: number): { wall: Stat; cpu: Stat } {
  const memory = new MemoryOwner('bench');
  const a = memory.float32(m * k), b = memory.float32(k * n), c = memory.float32(m * n);
  for (let i = 0; i < a.length; i++) a[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  for (let i = 0; i < b.length; i++) b[i] = ((i * 104729) % 1000) / 1000 - 0.5;
  const flops = 2 * m * k * n;
  // Calibrate the repetitions per window on a warm kernel.
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) matmul(a, b, c, m, k, n, false);
    const dt = (performance.now() - t0) / 1000;
    if (dt > windowSeconds / 4) {
      reps = Math.max(1, Math.round((reps * windowSeconds) / dt));
      break;
    }
    reps *= 2;
  }
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let w = 0; w < windows; w++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let r = 0; r < reps; r++) matmul(a, b, c, m, k, n, false);
    rates.push((flops * reps) / ((performance.now() - t0) / 1000) / 1e9);
    cpuRates.push((flops * reps) / cpuSeconds(c0) / 1e9);
  }
  memory.dispose();
  return { wall: stat(rates), cpu: stat(cpuRates) };
}

/** CPU seconds (user + system, every thread of the process) since `start`. */
function cpuSeconds(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

interface Mnist {
  train: { x: Tensor; y: Int32Array };
  test: { x: Tensor; y: Int32Array };
  dir: string;
}

function dataDir(): string {
  if (process.env.NN_DATA_DIR) return process.env.NN_DATA_DIR;
  // dist/bench/run.js → the repo root is two levels up; the data sits in the repo's sibling shared/.
  const repoRoot = path.resolve(__dirname, '..', '..');
  return path.resolve(repoRoot, '..', 'shared', 'data', 'mnist');
}

function loadData(trainCount: number): Mnist {
  const dir = dataDir();
  if (!fs.existsSync(dir)) {
    throw new Error(`bench: MNIST not found in ${dir}; set NN_DATA_DIR to a directory with the four IDX files`);
  }
  const data = readMnist(dir);
  const { rows, cols } = data.train;
  const norm = pixelStats(data.train.images, rows * cols, 0, trainCount);
  const testCount = Math.min(10000, data.test.count);
  return {
    dir,
    train: { x: imagesToTensor(data.train.images, rows, cols, 0, trainCount, norm), y: labelsToInt32(data.train.labels, 0, trainCount) },
    test: { x: imagesToTensor(data.test.images, rows, cols, 0, testCount, norm), y: labelsToInt32(data.test.labels, 0, testCount) },
  };
}

const MODELS: Record<string, () => Layer[]> = {
  mlp: () => [new Flatten(), new Affine({ units: 100 }), new ReLU(), new Affine({ units: 10, init: 'xavier' })],
  cnn: () => [
    new Conv2D({ filters: 30, kernelSize: 5 }), new ReLU(), new MaxPool({ size: 2 }), new Flatten(),
    new Affine({ units: 100 }), new ReLU(), new Affine({ units: 10, init: 'xavier' }),
  ],
};

interface ModelResult {
  train: Stat;
  /** Training samples per CPU-second. */
  trainCpu: Stat;
  infer: Stat;
  /** Training loss of the last window, a sanity check that the net learns. */
  loss: number;
}

/**
 * Trains with fit (Adam, batch 100, one epoch over `batches` batches) timing windows of `windowBatches`
 * updates after `warmupBatches`; then times inference (forward, training = false) over the test set.
 */
async function benchModel(name: string, data: Mnist, warmupBatches: number, windowBatches: number, windows: number): Promise<ModelResult> {
  const net = new Sequential(MODELS[name](), { inputShape: [1, 28, 28], seed: 1 });
  const loss = new SoftmaxCrossEntropy();
  const optimizer = new Adam({ lr: 1e-3 });
  const batches = warmupBatches + windowBatches * windows;
  const count = Math.min(batches * BATCH, data.train.x.shape[0]);
  const train = { x: sliceRows(data.train.x, 0, count), y: data.train.y.subarray(0, count) };
  const stamps: number[] = [];
  const cpuStamps: number[] = [];
  let lastLoss = NaN;
  await fit(net, loss, optimizer, train, {
    epochs: 1, batchSize: BATCH, seed: 1, shuffle: true,
    onBatch: (info) => {
      stamps.push(performance.now());
      const u = process.cpuUsage();
      cpuStamps.push((u.user + u.system) / 1e6);
      lastLoss = info.loss;
    },
  });
  const trainRates: number[] = [];
  const trainCpuRates: number[] = [];
  for (let w = 0; w < windows; w++) {
    const start = warmupBatches - 1 + w * windowBatches;
    const end = start + windowBatches;
    if (end >= stamps.length) break;
    trainRates.push((windowBatches * BATCH) / ((stamps[end] - stamps[start]) / 1000));
    trainCpuRates.push((windowBatches * BATCH) / (cpuStamps[end] - cpuStamps[start]));
  }

  const testCount = data.test.x.shape[0];
  const testBatches = Math.floor(testCount / BATCH);
  for (let i = 0; i < Math.min(10, testBatches); i++) net.forward(sliceRows(data.test.x, i * BATCH, BATCH), false);
  const inferRates: number[] = [];
  const perWindow = Math.max(1, Math.floor(testBatches / windows));
  for (let w = 0; w < windows; w++) {
    const t0 = performance.now();
    for (let i = 0; i < perWindow; i++) net.forward(sliceRows(data.test.x, ((w * perWindow + i) % testBatches) * BATCH, BATCH), false);
    inferRates.push((perWindow * BATCH) / ((performance.now() - t0) / 1000));
  }
  return { train: stat(trainRates), trainCpu: stat(trainCpuRates), infer: stat(inferRates), loss: lastLoss };
}

function fmt(s: Stat, digits = 0): string {
  return `${s.median.toFixed(digits)}  (range ${s.min.toFixed(digits)}–${s.max.toFixed(digits)}, ${s.windows} windows)`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.browser) {
    // Loaded only here: it needs playwright-core and esbuild (devDependencies) and a Chromium.
    const { browserBench } = await import('./browser');
    const { imagesNeeded, throughputPlan } = await import('./train-throughput');
    await browserBench(loadData(imagesNeeded(throughputPlan(args.quick))).train, { quick: args.quick, json: args.json });
    return;
  }
  setThreads(args.threads);
  const windows = args.quick ? 3 : 7;
  const log = (line: string) => {
    if (!args.json) console.log(line);
  };
  const status = wasmStatus();
  const build = status.file === null ? '' : ` (${path.basename(status.file)})`;
  log(`millefeuille bench — kernels: ${kernelBackend()}${build}${status.available ? '' : ` (wasm unavailable: ${status.reason})`}, threads: ${getThreads()}`);
  log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const gemmSmall = benchGemm(100, 784, 100, windows, args.quick ? 0.05 : 0.2);
  log(`GEMM (100×784)·(784×100)   GFLOP/s ${fmt(gemmSmall.wall, 1)}   per CPU-s ${fmt(gemmSmall.cpu, 1)}`);
  const gemmLarge = benchGemm(512, 512, 512, windows, args.quick ? 0.1 : 0.3);
  log(`GEMM 512³                  GFLOP/s ${fmt(gemmLarge.wall, 1)}   per CPU-s ${fmt(gemmLarge.cpu, 1)}`);

  const cnnWarmup = args.quick ? 5 : 20, cnnWindow = args.quick ? 5 : 20;
  const mlpWarmup = args.quick ? 20 : 100, mlpWindow = args.quick ? 20 : 60;
  const needed = Math.max(cnnWarmup + cnnWindow * windows, mlpWarmup + mlpWindow * windows) * BATCH;
  const data = loadData(Math.min(60000, needed));
  log(`data: ${data.dir} (${data.train.x.shape[0]} training, ${data.test.x.shape[0]} test images), batch ${BATCH}`);

  const mlp = await benchModel('mlp', data, mlpWarmup, mlpWindow, windows);
  log(`MLP 784-100-10     train samples/s ${fmt(mlp.train)}   per CPU-s ${fmt(mlp.trainCpu)}`);
  log(`                   infer samples/s ${fmt(mlp.infer)}`);
  const cnn = await benchModel('cnn', data, cnnWarmup, cnnWindow, windows);
  log(`SimpleConvNet      train samples/s ${fmt(cnn.train)}   per CPU-s ${fmt(cnn.trainCpu)}`);
  log(`                   infer samples/s ${fmt(cnn.infer)}`);

  if (args.json) {
    console.log(JSON.stringify({
      kernels: kernelBackend(),
      wasmFile: status.file === null ? null : path.basename(status.file),
      threads: getThreads(),
      cpu: os.cpus()[0]?.model ?? null,
      cores: os.cpus().length,
      node: process.version,
      loadAverage: os.loadavg(),
      batchSize: BATCH,
      gemmGflops: { '100x784x100': gemmSmall.wall, '512x512x512': gemmLarge.wall },
      gemmGflopsPerCpuSecond: { '100x784x100': gemmSmall.cpu, '512x512x512': gemmLarge.cpu },
      mlp: { trainSamplesPerSecond: mlp.train, trainSamplesPerCpuSecond: mlp.trainCpu, inferSamplesPerSecond: mlp.infer, lastLoss: mlp.loss },
      simpleConvNet: { trainSamplesPerSecond: cnn.train, trainSamplesPerCpuSecond: cnn.trainCpu, inferSamplesPerSecond: cnn.infer, lastLoss: cnn.loss },
      loadAverageAfter: os.loadavg(),
    }));
  }
  setThreads(1);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
