/**
 * `node dist/bench/conv-product.js [--batch N] [--threads T] [--rounds R] [--against DIR]`: Conv2D forward's
 * product (kernels/conv-product.ts) on the MNIST models' three Conv2D shapes, in process CPU milliseconds per
 * call (all threads), medians over R rounds; beside it the plain GEMM on one sample's shape with B in cache,
 * called N times: the GEMM's own speed under the same load.
 *
 * `--against DIR` loads a second build (another checkout's dist/, e.g. main's) into the same process and
 * alternates the two call by call, printing the median of the per-round ratios this/other: the machine is
 * shared, and ratios of alternated calls are what survives its load. A build whose convForwardProduct takes
 * (w, cols, y, bias, filters, k, plane, batch) — the per-sample GEMM before issue 13 — is called that way.
 * Before every call cols is rewritten in order, as im2col just did in a training step.
 */
import * as path from 'node:path';

interface Args { batch: number; threads: number; rounds: number; against: string | null }

function parseArgs(argv: string[]): Args {
  const args: Args = { batch: 100, threads: 1, rounds: 11, against: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--batch') args.batch = Number(value);
    else if (flag === '--threads') args.threads = Number(value);
    else if (flag === '--rounds') args.rounds = Number(value);
    else if (flag === '--against') args.against = path.resolve(value);
    else throw new Error(`unknown option ${flag}`);
  }
  return args;
}

/** One Conv2D layer's shape: F filters of 5×5 over a C×H×H input with `pad`. */
const SHAPES = [
  { name: 'SimpleConvNet 30×25·25×576', filters: 30, channels: 1, size: 28, pad: 0, bias: true },
  { name: 'default conv 1 16×25·25×784', filters: 16, channels: 1, size: 28, pad: 2, bias: false },
  { name: 'default conv 2 32×400·400×196', filters: 32, channels: 16, size: 14, pad: 2, bias: false },
];
type Shape = (typeof SHAPES)[number];

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** A build's timed calls (its own arena and module instance): the product on `shape`, and the yardstick GEMM. */
function loadBuild(root: string, args: Args): (shape: Shape) => { product: () => number; gemm: () => number } {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { MemoryOwner } = require(path.join(root, 'src/memory'));
  const { convForwardProduct } = require(path.join(root, 'src/kernels/conv-product'));
  const { matmul } = require(path.join(root, 'src/kernels/gemm'));
  const { windowGeometry, withBatch } = require(path.join(root, 'src/kernels/conv-geometry'));
  require(path.join(root, 'src/kernels/wasm/threads')).setThreads(args.threads);
  /* eslint-enable @typescript-eslint/no-require-imports */
  const memory = new MemoryOwner('bench');
  const random = (n: number): Float32Array => memory.arenaFloat32(n).map(() => Math.random() - 0.5);
  return (shape) => {
    const n = args.batch, f = shape.filters;
    const g = withBatch(windowGeometry('bench', [shape.channels, shape.size, shape.size], [5, 5], [1, 1], shape.pad), n);
    const k = shape.channels * 25, plane = g.outH * g.outW;
    const x = random(n * shape.channels * shape.size * shape.size), w = random(f * k), cols = random(k * n * plane);
    const y = memory.arenaFloat32(n * f * plane), bias = shape.bias ? random(f) : undefined;
    const b1 = random(k * plane), c1 = memory.arenaFloat32(f * plane);
    const implicit = convForwardProduct.length === 7;
    return {
      product: () => {
        cols.fill(0.5);
        const t0 = cpuMs();
        if (implicit) convForwardProduct(w, x, cols, y, bias, f, g);
        else convForwardProduct(w, cols, y, bias, f, k, plane, n);
        return cpuMs() - t0;
      },
      gemm: () => {
        const t0 = cpuMs();
        for (let i = 0; i < n; i++) matmul(w, b1, c1, f, k, plane, false);
        return cpuMs() - t0;
      },
    };
  };
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1];

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const self = loadBuild(path.join(__dirname, '..'), args);
  const other = args.against === null ? null : loadBuild(args.against, args);
  console.log(`batch ${args.batch}, ${args.threads} thread(s), ${args.rounds} rounds; CPU ms per call, medians`);
  for (const shape of SHAPES) {
    const gflop = (2 * shape.filters * shape.channels * 25 * (shape.size + 2 * shape.pad - 4) ** 2 * args.batch) / 1e6;
    const a = self(shape), b = other?.(shape);
    const t: number[] = [], u: number[] = [], ratio: number[] = [], gemm: number[] = [];
    for (let r = 0; r < args.rounds; r++) {
      const ta = a.product();
      t.push(ta);
      if (b) {
        const tb = b.product();
        u.push(tb);
        ratio.push(ta / tb);
      }
      gemm.push(a.gemm());
    }
    const rate = (ms: number): string => `${ms.toFixed(2)} ms (${(gflop / ms).toFixed(1)} GFLOP/s)`;
    let line = `${shape.name}: ${rate(median(t))}`;
    if (b) line += `, other ${rate(median(u))}, this/other ${median(ratio).toFixed(3)}`;
    console.log(`${line}; GEMM per sample ${rate(median(gemm))}`);
  }
}

main();
