/**
 * The browser benchmark's page and Worker (one script, bundled by bench/browser.ts with the library's
 * one-file build, dist/browser/millefeuille.mjs, standing in for `../src/index`). On the page it defines
 * `benchOnPage(plan)`, which trains on the page's main thread, and `benchInWorker(threads, plan)`, which starts
 * this same script as a module Worker and trains there, on `threads` kernel threads. Both fetch the same
 * training images from the benchmark's server (`data/x.f32`: N×1×28×28 float32, standardised;
 * `data/y.i32`: N int32 labels) and run bench/train-throughput.ts, the function Node runs.
 */
import { setThreads, threadsReady, type Tensor } from '../src/index';
import { simpleConvNetThroughput, type ThroughputPlan, type ThroughputResult } from './train-throughput';

interface Request {
  threads: number;
  plan: ThroughputPlan;
}
type Reply = { ok: true; result: ThroughputResult } | { ok: false; message: string };

async function trainingData(): Promise<{ x: Tensor; y: Int32Array }> {
  const [x, y] = await Promise.all(['data/x.f32', 'data/y.i32'].map(async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.arrayBuffer();
  }));
  const data = new Float32Array(x);
  return { x: { shape: [data.length / 784, 1, 28, 28], data }, y: new Int32Array(y) };
}

async function run(request: Request): Promise<ThroughputResult> {
  setThreads(request.threads);
  if (request.threads > 1) await threadsReady(); // or the first updates run before the kernel workers exist
  const result = await simpleConvNetThroughput(await trainingData(), request.plan);
  setThreads(1);
  return result;
}

/** This script's name beside the page (bench/browser.ts writes it there). */
const SCRIPT = 'bench.mjs';
const isWorker = typeof document === 'undefined';

if (isWorker) {
  const scope = self as unknown as { onmessage: ((event: MessageEvent<Request>) => void) | null; postMessage(reply: Reply): void };
  scope.onmessage = (event) => {
    run(event.data).then(
      (result) => scope.postMessage({ ok: true, result }),
      (e: unknown) => scope.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) }),
    );
  };
} else {
  const page = globalThis as unknown as {
    benchOnPage(plan: ThroughputPlan): Promise<ThroughputResult>;
    benchInWorker(threads: number, plan: ThroughputPlan): Promise<ThroughputResult>;
  };
  page.benchOnPage = (plan) => run({ threads: 1, plan });
  page.benchInWorker = (threads, plan) => new Promise((resolve, reject) => {
    const worker = new Worker(SCRIPT, { type: 'module' });
    worker.onmessage = (event: MessageEvent<Reply>) => {
      worker.terminate();
      if (event.data.ok) resolve(event.data.result);
      else reject(new Error(event.data.message));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`the benchmark Worker failed: ${event.message}`));
    };
    worker.postMessage({ threads, plan } satisfies Request);
  });
}
