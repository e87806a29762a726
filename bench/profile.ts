/**
 * `npm run bench:profile -- [--model cnn|best|mlp|mlp-bench|cnn-bench|best-bench] [--fit] [--threads N] [--batch B]
 * [--steps S]`: where a training step's time goes, per layer (forward and backward) and per kernel, on real MNIST.
 * `--model X-bench` is the bench's model X (bench/models.ts; the bench's mlp is 784-100-10, not the zoo's mlp).
 *
 * Each step is the one fit runs (zeroGrad → forward → loss → backward without dInput → Adam step) on a fixed
 * batch. With `--fit` the steps are fit's own, as the bench runs them (shuffled batches gathered from 50,000
 * images, the finiteness check, onBatch): the step is the time between two onBatch calls, first measured with
 * nothing wrapped ("step, no timers"), then again on a fresh net with every piece timed; "fit rest" is what no
 * row covers (Sequential's own checks, countCorrect, the loop). Each timed call costs a few µs of timers
 * (process.cpuUsage is a system call): they are measured first and taken off every row (timerCost).
 * Layers are timed by wrapping their forward/backward; kernels by wrapping the exported dispatch
 * functions of src/kernels/ (the CommonJS build reads them through the module object at every call, so the
 * wrappers see every call). Times are wall-clock (a kernel split over threads counts once, as the main
 * thread waits for it); "step" is the whole step, so the layer rows add up to a little less (loss, zeroGrad).
 * The machine is shared: each figure is the median over `--repeats` windows of `--steps` steps.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Adam } from '../src/optimizers/adam';
import { SoftmaxCrossEntropy } from '../src/losses/softmax-cross-entropy';
import { Sequential } from '../src/net/sequential';
import { fit } from '../src/net/train';
import { BatchGatherer, sliceRows } from '../src/data/batches';
import { imagesToTensor, labelsToInt32, pixelStats, readMnist } from '../src/data/mnist';
import type { Layer } from '../src/layers/layer';
import { mnistModel } from '../src/models/mnist';
import { getThreads, setThreads } from '../src/kernels/wasm/threads';
import { kernelBackend, wasmStatus } from '../src/kernels/backend';
import type { Tensor } from '../src/tensor';
import { BENCH_MODELS } from './models';

/* eslint-disable @typescript-eslint/no-require-imports */
const KERNEL_MODULES: Record<string, Record<string, unknown>> = {
  gemm: require('../src/kernels/gemm'),
  im2col: require('../src/kernels/im2col'),
  layout: require('../src/kernels/layout'),
  activation: require('../src/kernels/activation'),
  pooling: require('../src/kernels/pooling'),
  batchnorm: require('../src/kernels/batchnorm'),
  optimizer: require('../src/kernels/optimizer'),
  conv: require('../src/kernels/conv-product'),
  convDx: require('../src/kernels/conv-input-gradient'),
  convDW: require('../src/kernels/conv-weight-gradient'),
  bias: require('../src/kernels/bias'),
  fill: require('../src/kernels/fill'),
  finite: require('../src/kernels/finite'),
};
/** fit's divergence guard (gradientsFinite, globalGradNorm): read through this module object by train.ts. */
const OPTIMIZER_MODULE: Record<string, unknown> = require('../src/optimizers/optimizer');
/* eslint-enable @typescript-eslint/no-require-imports */

interface Args { model: string; fit: boolean; threads: number; batch: number; steps: number; repeats: number; json: boolean }

function parseArgs(argv: string[]): Args {
  const args: Args = { model: 'cnn', fit: false, threads: 1, batch: 100, steps: 20, repeats: 5, json: false };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    switch (key) {
      case '--model': args.model = value(); break;
      case '--fit': args.fit = true; break;
      case '--threads': args.threads = positive(key, value()); break;
      case '--batch': args.batch = positive(key, value()); break;
      case '--steps': args.steps = positive(key, value()); break;
      case '--repeats': args.repeats = positive(key, value()); break;
      case '--json': args.json = true; break;
      default: throw new RangeError(`profile: unknown option ${argv[i]} (known: --model, --fit, --threads, --batch, --steps, --repeats, --json)`);
    }
  }
  return args;
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`profile: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** The zoo's model (mlp, cnn, best) or, as `<name>-bench`, the bench's (bench/models.ts). */
function modelLayers(model: string): Layer[] {
  const bench = /^(.*)-bench$/.exec(model);
  if (bench === null) return mnistModel(model).layers();
  const make = BENCH_MODELS[bench[1]];
  if (make === undefined) throw new RangeError(`profile: unknown bench model ${bench[1]} (known: ${Object.keys(BENCH_MODELS).map((m) => `${m}-bench`).join(', ')})`);
  return make();
}

/** Wall-clock ms and process CPU ms (all threads) per row; per row its timed calls, and the timed calls nested inside them. */
const totals = new Map<string, number>();
const cpuTotals = new Map<string, number>();
const calls = new Map<string, number>();
const nested = new Map<string, number>();
let timedCalls = 0;
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
/** Runs fn, adding its wall and CPU time to row `name`. */
function timed<T>(name: string, fn: () => T): T {
  const before = ++timedCalls;
  const t0 = performance.now(), c0 = cpuMs();
  const r = fn();
  totals.set(name, (totals.get(name) ?? 0) + performance.now() - t0);
  cpuTotals.set(name, (cpuTotals.get(name) ?? 0) + cpuMs() - c0);
  calls.set(name, (calls.get(name) ?? 0) + 1);
  nested.set(name, (nested.get(name) ?? 0) + timedCalls - before);
  return r;
}

function clearRows(): void {
  totals.clear();
  cpuTotals.clear();
  calls.clear();
  nested.clear();
}

/**
 * What the timers themselves cost, in ms (process.cpuUsage is a system call, ~3 µs here): `own` is what one
 * timed call adds to its own row, `whole` what it adds to whatever encloses it. Rows are reported with
 * these taken off (calls × own + nested calls × whole), so small kernels are not inflated by their timers.
 */
interface TimerCost { wall: { own: number; whole: number }; cpu: { own: number; whole: number } }
function timerCost(): TimerCost {
  const n = 4000, noop = () => 0;
  for (let i = 0; i < n; i++) timed('calibration', noop);
  clearRows();
  const w0 = performance.now(), c0 = cpuMs();
  for (let i = 0; i < n; i++) timed('calibration', noop);
  const whole = { wall: (performance.now() - w0) / n, cpu: (cpuMs() - c0) / n };
  const cost = { wall: { own: totals.get('calibration')! / n, whole: whole.wall }, cpu: { own: cpuTotals.get('calibration')! / n, whole: whole.cpu } };
  clearRows();
  return cost;
}
let cost: TimerCost = { wall: { own: 0, whole: 0 }, cpu: { own: 0, whole: 0 } };

/** Replaces exports[name] (a function) by a timed wrapper under row `key`; false for a getter-only re-export. */
function wrapExport(exports: Record<string, unknown>, name: string, key: string): boolean {
  const original = exports[name] as (...a: unknown[]) => unknown;
  try {
    exports[name] = function (this: unknown, ...a: unknown[]) {
      return timed(key, () => original.apply(this, a));
    };
    return true;
  } catch {
    return false;
  }
}

function wrapKernels(): void {
  for (const [mod, exports] of Object.entries(KERNEL_MODULES)) {
    for (const [name, fn] of Object.entries(exports)) {
      if (typeof fn !== 'function' || /^[A-Z]/.test(name) || name.endsWith('TS') || name.endsWith('Plain') || name.endsWith('Reference')) continue;
      wrapExport(exports, name, `kernel ${mod}.${name}`);
    }
  }
}

/** Times every layer's forward and backward, zeroGrad, the loss and the optimizer's step on these objects. */
function instrumentStep(net: Sequential, loss: SoftmaxCrossEntropy, optimizer: Adam): void {
  net.layers.forEach((layer, i) => {
    const l = layer as unknown as { forward: (...a: unknown[]) => unknown; backward: (...a: unknown[]) => unknown };
    const f = l.forward.bind(layer), b = l.backward.bind(layer);
    const name = `${String(i).padStart(2)} ${layer.kind}`;
    l.forward = (...a) => timed(`layer ${name} fwd`, () => f(...a));
    l.backward = (...a) => timed(`layer ${name} bwd`, () => b(...a));
  });
  const zeroGrad = net.zeroGrad.bind(net);
  net.zeroGrad = () => timed('zeroGrad', zeroGrad);
  const lossForward = loss.forward.bind(loss), lossBackward = loss.backward.bind(loss);
  loss.forward = (scores, targets) => timed('loss forward', () => lossForward(scores, targets));
  loss.backward = () => timed('loss backward', lossBackward);
  const adamStep = optimizer.step.bind(optimizer);
  optimizer.step = (p, lr, norm) => timed('optimizer step', () => adamStep(p, lr, norm));
}

/** fit's own pieces outside the net: the batch gather and the divergence guard. */
function instrumentFit(): void {
  const gather = BatchGatherer.prototype.gather;
  BatchGatherer.prototype.gather = function (this: BatchGatherer, order, start, count) {
    return timed('fit gather', () => gather.call(this, order, start, count));
  };
  wrapExport(OPTIMIZER_MODULE, 'gradientsFinite', 'fit gradientsFinite');
  wrapExport(OPTIMIZER_MODULE, 'globalGradNorm', 'fit globalGradNorm');
}

function dataDir(): string {
  if (process.env.NN_DATA_DIR) return process.env.NN_DATA_DIR;
  return path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'mnist');
}

/** The first `count` training images (standardised as the bench does) and their labels. */
function loadTrain(count: number): { x: Tensor; y: Int32Array } {
  const dir = dataDir();
  if (!fs.existsSync(dir)) throw new Error(`profile: MNIST not found in ${dir}; set NN_DATA_DIR`);
  const data = readMnist(dir);
  const { rows, cols } = data.train;
  const norm = pixelStats(data.train.images, rows * cols, 0, Math.min(count, 10000));
  return { x: imagesToTensor(data.train.images, rows, cols, 0, count, norm), y: labelsToInt32(data.train.labels, 0, count) };
}

/** Per window: the rows' wall and CPU ms per step. */
interface Windows { wall: Map<string, number>[]; cpu: Map<string, number>[] }

/**
 * Ends a window of `steps` steps: every row per step, less its timers' cost. `timersInStep` says whether
 * the step row was measured around all the window's timed calls without being one itself (fit mode).
 */
function closeWindow(windows: Windows, steps: number, timersInStep = false): void {
  const windowCalls = [...calls.values()].reduce((a, b) => a + b, 0);
  for (const [kind, rows] of [['wall', totals], ['cpu', cpuTotals]] as const) {
    const c = cost[kind];
    windows[kind].push(new Map([...rows].map(([k, v]) => {
      const timers = k === 'step' && timersInStep ? windowCalls * c.whole : (calls.get(k) ?? 0) * c.own + (nested.get(k) ?? 0) * c.whole;
      return [k, (v - timers) / steps];
    })));
  }
  clearRows();
}

/** The hand-written step (fit's order) on 8 fixed batches, every piece timed. */
function profileHandStep(args: Args): Windows {
  const { x, y } = loadTrain(args.batch * 8);
  const net = new Sequential(modelLayers(args.model), { inputShape: [1, 28, 28], seed: 1 });
  const loss = new SoftmaxCrossEntropy();
  const optimizer = new Adam({ lr: 1e-3 });
  const params = net.params();
  instrumentStep(net, loss, optimizer);
  wrapKernels();
  const batches = Array.from({ length: 8 }, (_, i) => ({ x: sliceRows(x, i * args.batch, args.batch), y: y.subarray(i * args.batch, (i + 1) * args.batch) }));
  let s = 0;
  const step = () => {
    const b = batches[s++ % batches.length];
    timed('step', () => {
      net.zeroGrad();
      const scores = net.forward(b.x, true);
      loss.forward(scores, b.y);
      net.backward(loss.backward(), false);
      optimizer.step(params);
    });
  };
  for (let i = 0; i < Math.max(5, args.steps); i++) step();
  const windows: Windows = { wall: [], cpu: [] };
  for (let r = 0; r < args.repeats; r++) {
    clearRows();
    for (let i = 0; i < args.steps; i++) step();
    closeWindow(windows, args.steps);
  }
  return windows;
}

/**
 * fit's steps, as the bench runs them: Adam, shuffled batches of 50,000 heap images (at least), windows of
 * `steps` updates after a warm-up, the step timed from one onBatch to the next. Instrumented or not.
 */
async function fitWindows(args: Args, data: { x: Tensor; y: Int32Array }, instrumented: boolean): Promise<Windows> {
  const net = new Sequential(modelLayers(args.model), { inputShape: [1, 28, 28], seed: 1 });
  const loss = new SoftmaxCrossEntropy();
  const optimizer = new Adam({ lr: 1e-3 });
  if (instrumented) instrumentStep(net, loss, optimizer);
  const warmup = Math.max(5, args.steps);
  const updates = warmup + args.steps * args.repeats;
  const epochs = Math.ceil(updates / Math.floor(data.x.shape[0] / args.batch));
  const windows: Windows = { wall: [], cpu: [] };
  let wall0 = 0, cpu0 = 0;
  await fit(net, loss, optimizer, data, {
    epochs, batchSize: args.batch, seed: 1, dropLast: true,
    onBatch: (info) => {
      const k = info.step - warmup;
      if (k < 0 || k > args.steps * args.repeats || k % args.steps !== 0) return;
      if (k > 0) {
        totals.set('step', performance.now() - wall0);
        cpuTotals.set('step', cpuMs() - cpu0);
        closeWindow(windows, args.steps, true);
      }
      clearRows();
      wall0 = performance.now();
      cpu0 = cpuMs();
    },
  });
  net.dispose();
  return windows;
}

/** `--fit`: the bare step first (nothing wrapped), then every piece timed on a fresh net; adds "step, no timers" and "fit rest". */
async function profileFit(args: Args): Promise<Windows> {
  const updates = Math.max(5, args.steps) + args.steps * args.repeats + 1;
  const data = loadTrain(Math.min(60000, Math.max(50000, updates * args.batch)));
  const bare = await fitWindows(args, data, false);
  wrapKernels();
  instrumentFit();
  const windows = await fitWindows(args, data, true);
  const topLevel = (k: string) => k.startsWith('layer ') || k.startsWith('fit ') || k.startsWith('loss ') || k === 'zeroGrad' || k === 'optimizer step';
  for (const kind of ['wall', 'cpu'] as const) {
    windows[kind].forEach((w, r) => {
      let covered = 0;
      for (const [k, v] of w) if (topLevel(k)) covered += v;
      w.set('fit rest (step − the rows above)', (w.get('step') ?? 0) - covered);
      w.set('step, no timers', bare[kind][r]?.get('step') ?? NaN);
    });
  }
  return windows;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  setThreads(args.threads);
  cost = timerCost();
  const windows = args.fit ? await profileFit(args) : profileHandStep(args);
  report(args, windows);
  setThreads(1);
}

/** The table (or JSON): per row the median over the windows, wall and CPU, and its share of the step. */
function report(args: Args, windows: Windows): void {
  const keys = [...windows.wall[0].keys()];
  const medianOf = (ws: Map<string, number>[], k: string) => {
    const v = ws.map((w) => w.get(k) ?? 0).sort((a, b) => a - b);
    return v[v.length >> 1];
  };
  const median = (k: string) => medianOf(windows.wall, k);
  const cpuMedian = (k: string) => medianOf(windows.cpu, k);
  const stepMs = median('step');
  const stepCpu = cpuMedian('step');
  const isLayer = (k: string) => k.startsWith('layer');
  const rows = keys.filter((k) => k !== 'step').sort((a, b) => (isLayer(a) === isLayer(b) ? (isLayer(a) ? a.localeCompare(b) : median(b) - median(a)) : isLayer(a) ? -1 : 1));
  const model = `${args.model}${args.fit ? ' (fit)' : ''}`;
  if (args.json) {
    console.log(JSON.stringify({ model, threads: getThreads(), batch: args.batch, stepMs, stepCpuMs: stepCpu,
      samplesPerSecond: (args.batch * 1000) / stepMs, samplesPerCpuSecond: (args.batch * 1000) / stepCpu,
      rows: Object.fromEntries(rows.map((k) => [k, { wallMs: median(k), cpuMs: cpuMedian(k) }])), load: os.loadavg() }));
    return;
  }
  const status = wasmStatus();
  console.log(`profile ${model}, batch ${args.batch}, threads ${getThreads()}, kernels ${kernelBackend()}${status.file ? ` (${status.file})` : ''}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`step ${stepMs.toFixed(2)} ms wall = ${((args.batch * 1000) / stepMs).toFixed(0)} samples/s; ${stepCpu.toFixed(2)} ms CPU (all threads) = ` +
    `${((args.batch * 1000) / stepCpu).toFixed(0)} samples per CPU-s (median of ${args.repeats} × ${args.steps} steps)`);
  console.log(`${''.padEnd(40)} ${'wall ms'.padStart(8)} ${'%'.padStart(5)}  ${'CPU ms'.padStart(8)} ${'%'.padStart(5)}`);
  for (const k of rows) {
    const ms = median(k), cpu = cpuMedian(k);
    console.log(`${k.padEnd(40)} ${ms.toFixed(3).padStart(8)} ${((100 * ms) / stepMs).toFixed(1).padStart(5)}  ${cpu.toFixed(3).padStart(8)} ${((100 * cpu) / stepCpu).toFixed(1).padStart(5)}`);
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
