/**
 * Where kernel worker threads come from. threads.ts owns the protocol (shared control words, Atomics.wait
 * and notify, the worker program); a host only starts a worker with that program and its start data, and
 * stops it:
 *   - Node: `worker_threads` (reached at run time through `process.getBuiltinModule`, or handed over by
 *     millefeuille/node, so that the core has no `node:` import);
 *   - a browser: Web Workers from a Blob URL, given the wasm module and the shared memory by postMessage —
 *     which needs the page to be cross-origin isolated (COOP same-origin + COEP require-corp), and a
 *     Worker to call from: a page's main thread may not block in Atomics.wait.
 * Results are bit-identical to one thread wherever they run (the split never changes a sum's order).
 */
import { isNode, nodeBuiltin } from '../../platform';

/** What a worker receives: the kernels' module and memory, the control and argument blocks, its slot. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  args: SharedArrayBuffer;
  slot: number;
}

export interface WorkerHandle {
  terminate(): void;
}

export interface ThreadHost {
  /** "worker_threads" or "Web Workers", for messages. */
  readonly name: string;
  /**
   * Starts a worker running `program`, a script whose `run(init)` function the host calls with `init`;
   * `onError` is called if the worker dies.
   */
  start(program: string, init: WorkerInit, onError: (message: string) => void): WorkerHandle;
}

/** Thrown by setThreads(n > 1) where threads cannot work; the message says why and what would make them work. */
export class ThreadsUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ThreadsUnavailableError';
  }
}

/** The subset of node:worker_threads used here. */
export interface WorkerThreadsModule {
  Worker: new (source: string, options: { eval: true; workerData: unknown }) => {
    unref(): void;
    on(event: 'error', listener: (err: Error) => void): void;
    terminate(): Promise<number>;
  };
}

/** Node's host: an eval'd CommonJS worker, unref'd so that it never keeps the process alive. */
export function workerThreadsHost(threads: WorkerThreadsModule): ThreadHost {
  return {
    name: 'worker_threads',
    start(program, init, onError) {
      const source = `'use strict';\n${program}\nrun(require('node:worker_threads').workerData);\n`;
      const worker = new threads.Worker(source, { eval: true, workerData: init });
      worker.unref();
      worker.on('error', (err) => onError(err.message));
      return { terminate: () => void worker.terminate() };
    },
  };
}

/** A browser's host: a dedicated Worker per thread from a Blob URL; the start data follows by postMessage. */
export function webWorkerHost(): ThreadHost {
  return {
    name: 'Web Workers',
    start(program, init, onError) {
      const source = `'use strict';\n${program}\nself.onmessage = (e) => { self.onmessage = null; run(e.data); };\n`;
      // The URL is not revoked: the Worker fetches its script asynchronously, after the constructor returns,
      // and a revoked URL makes that fetch fail. One small Blob per thread, kept while the page lives.
      const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
      const worker = new Worker(url, { name: `millefeuille kernels ${init.slot}` });
      worker.onerror = (event) => onError(event.message || 'the worker failed to start');
      worker.postMessage(init);
      return { terminate: () => worker.terminate() };
    },
  };
}

let chosen: ThreadHost | null = null;

/** Makes `host` the source of kernel threads (millefeuille/node hands over worker_threads this way). */
export function setThreadHost(host: ThreadHost): void {
  chosen = host;
}

/**
 * The host for this environment, or a ThreadsUnavailableError saying why there is none. Checked when
 * threads are asked for, not at import: one thread works everywhere, isolated or not.
 */
export function threadHost(): ThreadHost {
  if (chosen !== null) return chosen;
  if (isNode()) {
    const threads = nodeBuiltin<WorkerThreadsModule>('node:worker_threads');
    if (threads === undefined) {
      throw new ThreadsUnavailableError('threads need node:worker_threads: import millefeuille/node (this Node has no process.getBuiltinModule)');
    }
    return (chosen = workerThreadsHost(threads));
  }
  const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown; Worker?: unknown };
  if (typeof g.Worker !== 'function') {
    throw new ThreadsUnavailableError('threads need Web Workers, which this environment does not have; use setThreads(1)');
  }
  if (g.crossOriginIsolated !== true || typeof SharedArrayBuffer !== 'function') {
    throw new ThreadsUnavailableError(
      'threads need a cross-origin isolated page (SharedArrayBuffer): serve it with the headers ' +
        '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"; one thread works without them',
    );
  }
  if (typeof g.document !== 'undefined') {
    throw new ThreadsUnavailableError(
      "threads cannot run on a page's main thread, which may not block in Atomics.wait: train in a Web Worker and call setThreads there",
    );
  }
  return (chosen = webWorkerHost());
}
