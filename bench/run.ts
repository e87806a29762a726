/**
 * `npm run bench`: throughput on real MNIST and the raw GEMM speed.
 *
 *   - training samples/s (fit: gather, forward, loss, backward, Adam step) and inference samples/s
 *     (forward only) of the MLP 784-100-10, the SimpleConvNet
 *     (conv 30@5×5 → ReLU → MaxPool 2 → Affine 100 → ReLU → Affine 10, SoftmaxCE) and the default model
 *     (`best`, src/models/mnist.ts, without its shift augmentation), at batch 100 or the --batch sizes;
 *   - GEMM GFLOP/s at (100×784)·(784×100) and 512³.
 *
 * Every figure is the MEDIAN of several timed windows after a warm-up, with the range (min–max): the
 * development machine is shared, so one window says little. Training and GEMM figures are wall-clock;
 * each also has a per-CPU-second twin (samples or flops per second of this process's CPU time, all
 * threads together), which a busy machine disturbs much less. Options:
 *   --threads N   kernel threads (setThreads), default 1
 *   --json        one JSON object on stdout instead of the table
 *   --quick       fewer/shorter windows (a smoke run)
 *   --batch B[,B…]   batch sizes (default 100), e.g. --batch 32,64,100,256
 *   --models M[,M…]  of mlp, cnn, best (default all three)
 *   --compare-torch  also train the same models on the same images with PyTorch (bench/torch-bench.py; Debian's
 *                 python3-torch: `apt-get install python3-torch`), same threads and batch sizes, and print the ratio.
 *                 The interpreter: $NN_PYTHON, else the first of python3, /usr/bin/python3 that imports torch
 *   --browser     instead of the above: SimpleConvNet training samples/s in headless Chromium (the page's main
 *                 thread, a Worker on 1 and on 2 threads) next to Node's, in one run (bench/browser.ts)
 * Data: NN_DATA_DIR, else the repo's sibling ../shared/data/mnist. NN_KERNELS=reference|ts|wasm picks the kernels;
 * NN_WASM_FMA=0|1 pins the plain or the fused multiply-add build (default: FMA where the engine has relaxed SIMD).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Adam } from '../src/optimizers/adam';
import { SoftmaxCrossEntropy } from '../src/losses/softmax-cross-entropy';
import { Sequential } from '../src/net/sequential';
import { fit } from '../src/net/train';
import { sliceRows } from '../src/data/batches';
import { imagesToTensor, labelsToInt32, pixelStats, readMnist } from '../src/data/mnist';
import { MemoryOwner } from '../src/memory';
import { execFileSync } from 'node:child_process';
import { matmul } from '../src/kernels/gemm';
import { kernelBackend, wasmStatus } from '../src/kernels/backend';
import { getThreads, setThreads } from '../src/kernels/wasm/threads';
import type { Tensor } from '../src/tensor';
import * as os from 'node:os';
import { stat, type Stat } from './train-throughput';
import { BENCH_MODEL_NAMES as MODEL_NAMES, BENCH_MODELS as MODELS, BENCH_MODEL_TITLES as MODEL_TITLES } from './models';

interface Args {
  threads: number;
  json: boolean;
  quick: boolean;
  browser: boolean;
  batches: number[];
  models: string[];
  compareTorch: boolean;
}

function listOption(name: string, v: string | undefined): string[] {
  if (v === undefined || v === '') throw new RangeError(`bench: ${name} needs a value`);
  return v.split(',').map((x) => x.trim());
}

function parseArgs(argv: string[]): Args {
  const args: Args = { threads: 1, json: false, quick: false, browser: false, batches: [100], models: [...MODEL_NAMES], compareTorch: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
    if (a === '--json') args.json = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--browser') args.browser = true;
    else if (a === '--compare-torch') args.compareTorch = true;
    else if (a === '--batch' || a.startsWith('--batch=')) {
      args.batches = listOption('--batch', value()).map((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new RangeError(`bench: --batch takes positive integers separated by commas, got ${JSON.stringify(v)}`);
        return n;
      });
    } else if (a === '--models' || a.startsWith('--models=')) {
      args.models = listOption('--models', value());
      const unknown = args.models.filter((m) => !(MODEL_NAMES as readonly string[]).includes(m));
      if (unknown.length > 0) throw new RangeError(`bench: unknown model ${unknown[0]} (known: ${MODEL_NAMES.join(', ')})`);
    }
    else if (a === '--threads' || a.startsWith('--threads=')) {
      const v = a.includes('=') ? a.slice('--threads='.length) : argv[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`bench: --threads must be a positive integer, got ${JSON.stringify(v)}`);
      args.threads = n;
    } else throw new RangeError(`bench: unknown option ${a} (known: --threads N, --batch B[,B…], --models M[,M…], --compare-torch, --json, --quick, --browser)`);
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

interface ModelResult {
  train: Stat;
  /** Training samples per CPU-second. */
  trainCpu: Stat;
  infer: Stat;
  /** Training loss of the last window, a sanity check that the net learns. */
  loss: number;
}

/**
 * Trains with fit (Adam, the given batch size, one epoch over `batches` batches) timing windows of `windowBatches`
 * updates after `warmupBatches`; then times inference (forward, training = false) over the test set.
 */
async function benchModel(name: string, data: Mnist, batch: number, warmupBatches: number, windowBatches: number, windows: number): Promise<ModelResult> {
  const net = new Sequential(MODELS[name](), { inputShape: [1, 28, 28], seed: 1 });
  const loss = new SoftmaxCrossEntropy();
  const optimizer = new Adam({ lr: 1e-3 });
  const batches = warmupBatches + windowBatches * windows;
  const count = Math.min(batches * batch, data.train.x.shape[0]);
  const train = { x: sliceRows(data.train.x, 0, count), y: data.train.y.subarray(0, count) };
  const stamps: number[] = [];
  const cpuStamps: number[] = [];
  let lastLoss = NaN;
  await fit(net, loss, optimizer, train, {
    epochs: 1, batchSize: batch, seed: 1, shuffle: true,
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
    trainRates.push((windowBatches * batch) / ((stamps[end] - stamps[start]) / 1000));
    trainCpuRates.push((windowBatches * batch) / (cpuStamps[end] - cpuStamps[start]));
  }

  const testCount = data.test.x.shape[0];
  const testBatches = Math.max(1, Math.floor(testCount / batch));
  for (let i = 0; i < Math.min(10, testBatches); i++) net.forward(sliceRows(data.test.x, i * batch, batch), false);
  const inferRates: number[] = [];
  const perWindow = Math.max(1, Math.floor(testBatches / windows));
  for (let w = 0; w < windows; w++) {
    const t0 = performance.now();
    for (let i = 0; i < perWindow; i++) net.forward(sliceRows(data.test.x, ((w * perWindow + i) % testBatches) * batch, batch), false);
    inferRates.push((perWindow * batch) / ((performance.now() - t0) / 1000));
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

  // Windows of a fixed number of SAMPLES whatever the batch size (so batch 32 and 256 are timed alike):
  // the MLP's steps are ~40× cheaper than the convnets'.
  const plan = (name: string, batch: number) => {
    const samples = (name === 'mlp' ? 6000 : name === 'cnn' ? 2000 : 640) * (args.quick ? 0.25 : 1);
    const window = Math.max(2, Math.ceil(samples / batch));
    return { warmup: Math.max(3, Math.ceil(window / 2)) + (name === 'mlp' ? window : 0), window };
  };
  let needed = 0;
  for (const name of args.models) for (const batch of args.batches) {
    const p = plan(name, batch);
    needed = Math.max(needed, (p.warmup + p.window * windows + 1) * batch);
  }
  const data = loadData(Math.min(60000, needed));
  log(`data: ${data.dir} (${data.train.x.shape[0]} training, ${data.test.x.shape[0]} test images), batch ${args.batches.join(', ')}`);

  const results: Record<string, ModelResult> = {};
  for (const name of args.models) {
    for (const batch of args.batches) {
      const p = plan(name, batch);
      const r = await benchModel(name, data, batch, p.warmup, p.window, windows);
      results[`${name}@${batch}`] = r;
      log(`${`${MODEL_TITLES[name]}, batch ${batch}`.padEnd(34)} train samples/s ${fmt(r.train)}   per CPU-s ${fmt(r.trainCpu)}`);
      log(`${''.padEnd(34)} infer samples/s ${fmt(r.infer)}`);
    }
  }

  let torch: TorchResults | null = null;
  if (args.compareTorch) {
    torch = torchBench(data, args, windows, plan, log);
    if (torch !== null) {
      log(`PyTorch ${torch.torch} on ${torch.threads} thread(s), the same images, models, batch sizes and Adam; training samples/s:`);
      for (const key of Object.keys(results)) {
        const [name, batch] = key.split('@');
        const t = torch.results[key];
        if (!t) continue;
        log(`${`${MODEL_TITLES[name]}, batch ${batch}`.padEnd(34)} millefeuille ${results[key].train.median.toFixed(0).padStart(7)}   PyTorch ${t.median.toFixed(0).padStart(7)} (range ${t.min.toFixed(0)}–${t.max.toFixed(0)})   ratio ${(results[key].train.median / t.median).toFixed(2)}×`);
      }
    }
  }

  if (args.json) {
    const at100 = (name: string) => results[`${name}@100`];
    const summary = (r: ModelResult | undefined) => r && { trainSamplesPerSecond: r.train, trainSamplesPerCpuSecond: r.trainCpu, inferSamplesPerSecond: r.infer, lastLoss: r.loss };
    console.log(JSON.stringify({
      kernels: kernelBackend(),
      wasmFile: status.file === null ? null : path.basename(status.file),
      threads: getThreads(),
      cpu: os.cpus()[0]?.model ?? null,
      cores: os.cpus().length,
      node: process.version,
      loadAverage: os.loadavg(),
      batchSizes: args.batches,
      gemmGflops: { '100x784x100': gemmSmall.wall, '512x512x512': gemmLarge.wall },
      gemmGflopsPerCpuSecond: { '100x784x100': gemmSmall.cpu, '512x512x512': gemmLarge.cpu },
      mlp: summary(at100('mlp')),
      simpleConvNet: summary(at100('cnn')),
      best: summary(at100('best')),
      results: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, summary(r)])),
      torch,
      loadAverageAfter: os.loadavg(),
    }));
  }
  setThreads(1);
}

interface TorchResults {
  torch: string;
  threads: number;
  results: Record<string, Stat & { lastLoss: number }>;
}

/** The first interpreter that imports torch: $NN_PYTHON, python3, /usr/bin/python3 (pyenv shims often hide Debian's). */
function findTorchPython(): string | null {
  const candidates = process.env.NN_PYTHON ? [process.env.NN_PYTHON] : ['python3', '/usr/bin/python3'];
  for (const python of candidates) {
    try {
      execFileSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
      return python;
    } catch {
      // not this one
    }
  }
  return null;
}

/**
 * PyTorch's training samples/s for the same models and batch sizes on the same (already standardised) images,
 * through bench/torch-bench.py; null (with one line saying why) when no interpreter with torch is found.
 */
function torchBench(
  data: Mnist, args: Args, windows: number, plan: (name: string, batch: number) => { warmup: number; window: number }, log: (l: string) => void,
): TorchResults | null {
  const python = findTorchPython();
  if (python === null) {
    const line = 'bench: --compare-torch: no Python with torch and numpy found (apt-get install python3-torch, or set NN_PYTHON)';
    if (args.json) console.error(line);
    else log(line);
    return null;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'millefeuille-torch-'));
  try {
    const count = data.train.x.shape[0];
    const images = path.join(dir, 'images.f32'), labels = path.join(dir, 'labels.i64');
    fs.writeFileSync(images, new Uint8Array(data.train.x.data.buffer, data.train.x.data.byteOffset, count * 784 * 4));
    fs.writeFileSync(labels, new Uint8Array(BigInt64Array.from(data.train.y, (v) => BigInt(v)).buffer));
    // One run of the script per model and batch size, with the same warm-up and windows (in batches) as ours.
    const results: TorchResults['results'] = {};
    let version = '', threads = args.threads;
    for (const name of args.models) {
      for (const batch of args.batches) {
        const p = plan(name, batch);
        const script = path.resolve(__dirname, '..', '..', 'bench', 'torch-bench.py');
        const out = execFileSync(python, [script, images, labels, String(count), String(args.threads), name, String(batch),
          String(p.warmup), String(p.window), String(windows)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        const parsed = JSON.parse(out) as TorchResults;
        version = parsed.torch;
        threads = parsed.threads;
        Object.assign(results, parsed.results);
      }
    }
    return { torch: version, threads, results };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
