/**
 * `npm run bench:local-norm [-- --quick] [-- --json]`: is local normalisation "fast enough to use"? The
 * bar (issue 14): no slower than a 3×3 convolution with the same channels on the same input. For C in
 * 1, 3, 8, 16, 30 channels of 28×28 images, batch 16, one thread, it times forward + backward of
 *   Conv2D({ filters: C, kernelSize: 3, padding: 1 })   the yardstick (C → C channels, wasm GEMM when loaded)
 *   LocalResponseNorm({ size: 5 })                        β = 0.75 (the default)
 *   LocalContrastNorm({ size: 9 })                        the default 9×9 window
 * in interleaved rounds (conv, LRN, LCN, conv, …) so that a busy machine slows all three alike, and
 * prints per layer the MEDIAN milliseconds of process CPU time per pass (wall time in --json too) and
 * the ratios LRN/conv and LCN/conv of those medians.
 */
import { performance } from 'node:perf_hooks';
import { kernelBackend } from '../src/kernels/backend';
import { setThreads } from '../src/kernels/wasm/threads';
import { Conv2D } from '../src/layers/conv2d';
import type { Layer } from '../src/layers/layer';
import { LocalContrastNorm } from '../src/layers/local-contrast-norm';
import { LocalResponseNorm } from '../src/layers/local-response-norm';
import { Rng } from '../src/random';
import { tensor, type Tensor } from '../src/tensor';

const BATCH = 16, SIDE = 28;
const CHANNELS = [1, 3, 8, 16, 30];
const LAYERS: [string, (channels: number) => Layer][] = [
  ['conv3x3', (channels) => new Conv2D({ filters: channels, kernelSize: 3, padding: 1 })],
  ['lrn5', () => new LocalResponseNorm({ size: 5 })],
  ['lcn9', () => new LocalContrastNorm({ size: 9 })],
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function randomTensor(shape: number[], rng: Rng): Tensor {
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(-1, 1);
  return t;
}

/** CPU and wall milliseconds of `reps` forward + backward passes. */
function timePasses(layer: Layer, x: Tensor, dy: Tensor, reps: number): { cpu: number; wall: number } {
  const c0 = process.cpuUsage(), t0 = performance.now();
  for (let r = 0; r < reps; r++) {
    layer.forward(x, true);
    layer.backward(dy);
  }
  const u = process.cpuUsage(c0);
  return { cpu: (u.user + u.system) / 1000 / reps, wall: (performance.now() - t0) / reps };
}

function main(): void {
  const argv = process.argv.slice(2);
  for (const a of argv) if (a !== '--quick' && a !== '--json') throw new RangeError(`bench:local-norm: unknown option ${a} (known: --quick, --json)`);
  const quick = argv.includes('--quick'), json = argv.includes('--json');
  const rounds = quick ? 3 : 9, reps = quick ? 2 : 5;
  setThreads(1);
  const rows: Record<string, number | string>[] = [];
  for (const C of CHANNELS) {
    const rng = new Rng(C);
    const x = randomTensor([BATCH, C, SIDE, SIDE], rng), dy = randomTensor([BATCH, C, SIDE, SIDE], rng);
    const layers = LAYERS.map(([name, make]) => {
      const layer = make(C);
      layer.build([C, SIDE, SIDE], new Rng(1));
      timePasses(layer, x, dy, quick ? 3 : 10); // warm-up: JIT, buffers
      return { name, layer, cpu: [] as number[], wall: [] as number[] };
    });
    for (let r = 0; r < rounds; r++) {
      for (const l of layers) {
        const t = timePasses(l.layer, x, dy, reps);
        l.cpu.push(t.cpu);
        l.wall.push(t.wall);
      }
    }
    const row: Record<string, number | string> = { channels: C };
    for (const l of layers) {
      row[`${l.name}CpuMs`] = median(l.cpu);
      row[`${l.name}WallMs`] = median(l.wall);
    }
    row.lrnOverConv = (row.lrn5CpuMs as number) / (row.conv3x3CpuMs as number);
    row.lcnOverConv = (row.lcn9CpuMs as number) / (row.conv3x3CpuMs as number);
    rows.push(row);
  }
  if (json) {
    console.log(JSON.stringify({ backend: kernelBackend(), batch: BATCH, side: SIDE, rounds, reps, rows }));
    return;
  }
  console.log(`forward + backward, batch ${BATCH} of C×${SIDE}×${SIDE}, 1 thread, ${kernelBackend()} kernels; median CPU ms per pass over ${rounds} rounds of ${reps}`);
  console.log('channels   conv 3×3    LRN 5     LCN 9    LRN/conv  LCN/conv');
  for (const r of rows) {
    const f = (v: unknown, w: number, d = 2) => (v as number).toFixed(d).padStart(w);
    console.log(`${String(r.channels).padStart(8)} ${f(r.conv3x3CpuMs, 10)} ${f(r.lrn5CpuMs, 8)} ${f(r.lcn9CpuMs, 9)} ${f(r.lrnOverConv, 9)} ${f(r.lcnOverConv, 9)}`);
  }
}

main();
