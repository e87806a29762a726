/**
 * `npm run bench:profile -- [--model cnn|best|mlp] [--threads N] [--batch B] [--steps S]`: where a training
 * step's time goes, per layer (forward and backward) and per kernel, on real MNIST.
 *
 * Each step is the one fit runs (zeroGrad → forward → loss → backward without dInput → Adam step) on a fixed
 * batch. Layers are timed by wrapping their forward/backward; kernels by wrapping the exported dispatch
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
import { sliceRows } from '../src/data/batches';
import { imagesToTensor, labelsToInt32, pixelStats, readMnist } from '../src/data/mnist';
import { mnistModel } from '../src/models/mnist';
import { getThreads, setThreads } from '../src/kernels/wasm/threads';
import { kernelBackend, wasmStatus } from '../src/kernels/backend';

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
};

interface Args { model: string; threads: number; batch: number; steps: number; repeats: number; json: boolean }

function parseArgs(argv: string[]): Args {
  const args: Args = { model: 'cnn', threads: 1, batch: 100, steps: 20, repeats: 5, json: false };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    switch (key) {
      case '--model': args.model = value(); break;
      case '--threads': args.threads = positive(key, value()); break;
      case '--batch': args.batch = positive(key, value()); break;
      case '--steps': args.steps = positive(key, value()); break;
      case '--repeats': args.repeats = positive(key, value()); break;
      case '--json': args.json = true; break;
      default: throw new RangeError(`profile: unknown option ${argv[i]} (known: --model, --threads, --batch, --steps, --repeats, --json)`);
    }
  }
  return args;
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`profile: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** Wall-clock ms and process CPU ms (all threads) per row. */
const totals = new Map<string, number>();
const cpuTotals = new Map<string, number>();
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
/** Runs fn, adding its wall and CPU time to row `name`. */
function timed<T>(name: string, fn: () => T): T {
  const t0 = performance.now(), c0 = cpuMs();
  const r = fn();
  totals.set(name, (totals.get(name) ?? 0) + performance.now() - t0);
  cpuTotals.set(name, (cpuTotals.get(name) ?? 0) + cpuMs() - c0);
  return r;
}

function wrapKernels(): void {
  for (const [mod, exports] of Object.entries(KERNEL_MODULES)) {
    for (const [name, fn] of Object.entries(exports)) {
      if (typeof fn !== 'function' || /^[A-Z]/.test(name) || name.endsWith('TS') || name.endsWith('Plain') || name.endsWith('Reference')) continue;
      const original = fn as (...a: unknown[]) => unknown;
      const key = `kernel ${mod}.${name}`;
      try {
        exports[name] = function (this: unknown, ...a: unknown[]) {
          return timed(key, () => original.apply(this, a));
        };
      } catch {
        // a getter-only re-export: not a kernel entry point
      }
    }
  }
}

function dataDir(): string {
  if (process.env.NN_DATA_DIR) return process.env.NN_DATA_DIR;
  return path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'mnist');
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  setThreads(args.threads);
  const dir = dataDir();
  if (!fs.existsSync(dir)) throw new Error(`profile: MNIST not found in ${dir}; set NN_DATA_DIR`);
  const data = readMnist(dir);
  const { rows, cols } = data.train;
  const norm = pixelStats(data.train.images, rows * cols, 0, 10000);
  const count = args.batch * 8;
  const x = imagesToTensor(data.train.images, rows, cols, 0, count, norm);
  const y = labelsToInt32(data.train.labels, 0, count);

  const net = new Sequential(mnistModel(args.model).layers(), { inputShape: [1, 28, 28], seed: 1 });
  const loss = new SoftmaxCrossEntropy();
  const optimizer = new Adam({ lr: 1e-3 });
  const params = net.params();
  net.layers.forEach((layer, i) => {
    const l = layer as unknown as { forward: (...a: unknown[]) => unknown; backward: (...a: unknown[]) => unknown };
    const f = l.forward.bind(layer), b = l.backward.bind(layer);
    const name = `${String(i).padStart(2)} ${layer.kind}`;
    l.forward = (...a) => timed(`layer ${name} fwd`, () => f(...a));
    l.backward = (...a) => timed(`layer ${name} bwd`, () => b(...a));
  });
  const adamStep = optimizer.step.bind(optimizer);
  optimizer.step = (p, lr) => timed('optimizer step', () => adamStep(p, lr));
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
  const windows: Map<string, number>[] = [];
  const cpuWindows: Map<string, number>[] = [];
  for (let r = 0; r < args.repeats; r++) {
    totals.clear();
    cpuTotals.clear();
    for (let i = 0; i < args.steps; i++) step();
    windows.push(new Map([...totals].map(([k, v]) => [k, v / args.steps])));
    cpuWindows.push(new Map([...cpuTotals].map(([k, v]) => [k, v / args.steps])));
  }
  const keys = [...windows[0].keys()];
  const medianOf = (ws: Map<string, number>[], k: string) => {
    const v = ws.map((w) => w.get(k) ?? 0).sort((a, b) => a - b);
    return v[v.length >> 1];
  };
  const median = (k: string) => medianOf(windows, k);
  const cpuMedian = (k: string) => medianOf(cpuWindows, k);
  const stepMs = median('step');
  const stepCpu = cpuMedian('step');
  const rows_ = keys.filter((k) => k !== 'step').sort((a, b) => (a.startsWith('layer') === b.startsWith('layer') ? (a.startsWith('layer') ? a.localeCompare(b) : median(b) - median(a)) : a.startsWith('layer') ? -1 : 1));
  if (args.json) {
    console.log(JSON.stringify({ model: args.model, threads: getThreads(), batch: args.batch, stepMs, stepCpuMs: stepCpu,
      samplesPerSecond: (args.batch * 1000) / stepMs, samplesPerCpuSecond: (args.batch * 1000) / stepCpu,
      rows: Object.fromEntries(rows_.map((k) => [k, { wallMs: median(k), cpuMs: cpuMedian(k) }])), load: os.loadavg() }));
    setThreads(1);
    return;
  }
  const status = wasmStatus();
  console.log(`profile ${args.model}, batch ${args.batch}, threads ${getThreads()}, kernels ${kernelBackend()}${status.file ? ` (${status.file})` : ''}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`step ${stepMs.toFixed(2)} ms wall = ${((args.batch * 1000) / stepMs).toFixed(0)} samples/s; ${stepCpu.toFixed(2)} ms CPU (all threads) = ` +
    `${((args.batch * 1000) / stepCpu).toFixed(0)} samples per CPU-s (median of ${args.repeats} × ${args.steps} steps)`);
  console.log(`${''.padEnd(40)} ${'wall ms'.padStart(8)} ${'%'.padStart(5)}  ${'CPU ms'.padStart(8)} ${'%'.padStart(5)}`);
  for (const k of rows_) {
    const ms = median(k), cpu = cpuMedian(k);
    console.log(`${k.padEnd(40)} ${ms.toFixed(3).padStart(8)} ${((100 * ms) / stepMs).toFixed(1).padStart(5)}  ${cpu.toFixed(3).padStart(8)} ${((100 * cpu) / stepCpu).toFixed(1).padStart(5)}`);
  }
  setThreads(1);
}

try {
  main();
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
}
