/**
 * `npm run bench -- --browser`: SimpleConvNet training samples/s in headless Chromium next to Node's, in one
 * run on the same machine, the same images and the same measurement (bench/train-throughput.ts):
 *
 *   Node, 1 thread · the page's main thread · a Worker, 1 thread · Node, 2 threads · a Worker, 2 threads
 *
 * The page is served cross-origin isolated (threads need it) from a temporary directory holding the library's
 * one-file build (dist/browser/millefeuille.mjs, what a page imports) and bench/browser-page.ts bundled against
 * it; the training images go to the page as raw float32/int32 bytes. Chromium is Debian's, driven by
 * playwright-core, as in the browser tests (bench/chromium.ts). A full run is three rounds of all five
 * configurations in turn (a change in the machine's load then touches each of them alike); each figure is the
 * median of its windows over the rounds. On a busy machine compare the ratios rather than single figures.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as http from 'node:http';
import { setThreads, threadsReady, type Tensor } from '../src/node';
import { launchChromium, serveStatic } from './chromium';
import { simpleConvNetThroughput, stat, throughputPlan, type Stat, type ThroughputPlan, type ThroughputResult } from './train-throughput';

/** dist/bench/browser.js → the repository root (the bundle is built there, the page's source read there). */
const ROOT = path.resolve(__dirname, '..', '..');
const LIBRARY = path.join(ROOT, 'dist', 'browser', 'millefeuille.mjs');
const PAGE_SOURCE = path.join(ROOT, 'bench', 'browser-page.ts');
/** Rounds of all configurations in a full run. */
const ROUNDS = 3;

export interface BrowserBenchOptions {
  quick: boolean;
  json: boolean;
}

interface Row {
  key: 'node1' | 'page' | 'worker1' | 'worker2' | 'node2';
  label: string;
  /** The row this one is compared with. */
  versus?: Row['key'];
}

const ROWS: Row[] = [
  { key: 'node1', label: 'Node, 1 thread' },
  { key: 'page', label: 'Chromium, page main thread', versus: 'node1' },
  { key: 'worker1', label: 'Chromium, Worker, 1 thread', versus: 'node1' },
  { key: 'node2', label: 'Node, 2 threads' },
  { key: 'worker2', label: 'Chromium, Worker, 2 threads', versus: 'node2' },
];

/** Measures every row of ROWS on `train` (which must hold imagesNeeded(throughputPlan(quick)) images) and prints them. */
export async function browserBench(train: { x: Tensor; y: Int32Array }, options: BrowserBenchOptions): Promise<void> {
  if (!fs.existsSync(LIBRARY)) throw new Error(`bench --browser: ${path.relative(ROOT, LIBRARY)} is missing; run "npm run build"`);
  const plan = throughputPlan(options.quick);
  const rounds = options.quick ? 1 : ROUNDS;
  const log = (line: string): void => {
    if (!options.json) console.log(line);
  };
  const loadBefore = os.loadavg();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-bench-browser-'));
  const server = await servePage(dir, train);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => 'benchInWorker' in globalThis);
    if (!(await page.evaluate(() => globalThis.crossOriginIsolated))) throw new Error('bench --browser: the page is not cross-origin isolated');
    log(`Chromium ${browser.version()} (headless), Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores`);
    log(`SimpleConvNet training (Adam, batch 100, ${train.x.shape[0]} real MNIST images), samples/s: median of ${rounds} rounds × ${plan.windows} windows of ${plan.windowBatches} updates (after ${plan.warmupBatches}), with the range`);
    log(`load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);

    const measure: Record<Row['key'], () => Promise<ThroughputResult>> = {
      node1: () => inNode(1, train, plan),
      page: () => page.evaluate((p) => (globalThis as unknown as Bench).benchOnPage(p), plan),
      worker1: () => page.evaluate((p) => (globalThis as unknown as Bench).benchInWorker(1, p), plan),
      node2: () => inNode(2, train, plan),
      worker2: () => page.evaluate((p) => (globalThis as unknown as Bench).benchInWorker(2, p), plan),
    };
    // Rounds of every configuration in turn, so that a change in the machine's load spreads over all of them.
    const rates = Object.fromEntries(ROWS.map((r) => [r.key, [] as number[]])) as Record<Row['key'], number[]>;
    for (let round = 1; round <= rounds; round++) {
      for (const row of ROWS) {
        const result = await measure[row.key]();
        if (errors.length > 0) throw new Error(`bench --browser: the page reported ${errors.join('; ')}`);
        if (!Number.isFinite(result.loss)) throw new Error(`bench --browser: ${row.label}: the training loss is ${result.loss}`);
        rates[row.key].push(...result.rates);
      }
      log(`round ${round}/${rounds}: ${ROWS.map((r) => `${r.key} ${Math.round(stat(rates[r.key].slice(-plan.windows)).median)}`).join(', ')}`);
    }
    const results = Object.fromEntries(ROWS.map((r) => [r.key, stat(rates[r.key])])) as Record<Row['key'], Stat>;
    for (const row of ROWS) {
      const result = results[row.key];
      const versus = row.versus === undefined ? '' : `   ${(result.median / results[row.versus].median).toFixed(2)}× ${ROWS.find((r) => r.key === row.versus)!.label}`;
      log(`${row.label.padEnd(30)} ${fmt(result)}${versus}`);
    }
    const loadAfter = os.loadavg();
    log(`load average after: ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
    if (options.json) {
      console.log(JSON.stringify({
        chromium: browser.version(), node: process.version, cpu: os.cpus()[0]?.model ?? null, cores: os.cpus().length,
        trainImages: train.x.shape[0], plan, rounds, loadAverage: loadBefore, samplesPerSecond: results, loadAverageAfter: loadAfter,
      }));
    }
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface Bench {
  benchOnPage(plan: ThroughputPlan): Promise<ThroughputResult>;
  benchInWorker(threads: number, plan: ThroughputPlan): Promise<ThroughputResult>;
}

async function inNode(threads: number, train: { x: Tensor; y: Int32Array }, plan: ThroughputPlan): Promise<ThroughputResult> {
  setThreads(threads);
  await threadsReady();
  try {
    return await simpleConvNetThroughput(train, plan);
  } finally {
    setThreads(1);
  }
}

/** Writes the page (the library, the bundled benchmark script, index.html) to `dir` and serves it isolated. */
async function servePage(dir: string, train: { x: Tensor; y: Int32Array }) {
  // esbuild is a devDependency, as is this benchmark; loaded here so that `npm run bench` without --browser never needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  fs.copyFileSync(LIBRARY, path.join(dir, 'millefeuille.mjs'));
  await esbuild.build({
    entryPoints: [PAGE_SOURCE], outfile: path.join(dir, 'bench.mjs'),
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'silent',
    plugins: [{
      name: 'millefeuille-is-the-bundle',
      setup(build) {
        build.onResolve({ filter: /^\.\.\/src(\/index)?$/ }, () => ({ path: './millefeuille.mjs', external: true }));
      },
    }],
  });
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>millefeuille bench</title><script type="module" src="./bench.mjs"></script>');
  const bytes = (view: ArrayBufferView) => (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(Buffer.from(view.buffer, view.byteOffset, view.byteLength));
  };
  return serveStatic({ root: dir, isolated: true, routes: { '/data/x.f32': bytes(train.x.data), '/data/y.i32': bytes(train.y) } });
}

function fmt(s: Stat): string {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  return `${n(s.median).padStart(7)}  (${n(s.min)}–${n(s.max)})`;
}
