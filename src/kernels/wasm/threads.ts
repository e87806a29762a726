/**
 * The optional multi-threaded path: `setThreads(n)` starts n − 1 worker threads, each instantiating
 * the same wasm module over the same shared memory. A kernel call splits its output into n parts;
 * the calling thread computes part 0 while the workers compute the others, and the call returns
 * when all parts are done. Parts never overlap and each output element is computed by the same
 * instruction sequence whatever the split, so results are bit-identical for any thread count.
 *
 * Hand-off is through small SharedArrayBuffers (per worker: sequence number, done number, opcode and
 * a claim word; float64 arguments) with Atomics.wait/notify — no message passing in the hot path.
 * A part no worker has claimed when the caller is done with its own is run by the caller (see
 * waitAll). Workers come from a ThreadHost (thread-host.ts): worker_threads in Node (unref'd: they never
 * keep the process alive), Web Workers in a cross-origin isolated browser context.
 */
import { wasmKernels } from './loader';
import { threadHost, ThreadsUnavailableError, type ThreadHost } from './thread-host';

/**
 * The kernels a worker can run, by opcode (the index here): a worker calls the module's export of
 * that name with its slot's arguments (extra arguments are ignored by a wasm call).
 */
const OPS = ['gemm', 'gemmAbt', 'im2col', 'col2im', 'reluForward', 'reluBackward', 'filterRowsToBatch', 'batchToFilterRows', 'adamUpdate', 'maxPool2x2', 'maxPoolBackward', 'batchNormForward', 'batchNormBackward', 'convForwardProduct', 'convInputGradient', 'convWeightGradient', 'convWeightGradientSparse'] as const;
export type KernelName = (typeof OPS)[number];

/** Int32s per worker slot: [seq, done, op, claim, ready]; slot 0 (the caller's) holds the count of parts workers ran. */
const SLOT = 16;
/** Float64 arguments per worker slot (pointers, sizes and float parameters alike). */
const ARGS = 24;
/** A done value a worker writes when it could not start; the caller then throws. */
const FAILED = -2;
/** Upper bound on setThreads: a guard against typos, far above any useful count. */
export const MAX_THREADS = 64;

// The worker's whole program (its host calls run(init)). Inline so it runs under jest (which cannot
// start a .ts worker), from dist/ and from a bundle in a page alike. It polls ~20,000 times (tens of µs) before sleeping: kernel calls come in
// bursts, and a sleeping worker wakes too late for a 0.2 ms product (measured on an idle machine:
// SimpleConvNet 8,500 samples/s with this spin, 7,700 with a tenth of it). Threads are opt-in: on a
// machine whose cores are busy, one thread is the better choice anyway.
const WORKER_PROGRAM = `
function run({ module, memory, control, args, slot }) {
const ctl = new Int32Array(control);
const arg = new Float64Array(args);
const base = slot * ${SLOT};
const a0 = slot * ${ARGS};
let fns;
try {
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  fns = ${JSON.stringify(OPS)}.map((name) => ex[name]);
  Atomics.store(ctl, base + 4, 1);
} catch (err) {
  Atomics.store(ctl, base + 1, ${FAILED});
  Atomics.notify(ctl, base + 1);
  throw err;
}
const a = (i) => arg[a0 + i];
let seen = 0;
for (;;) {
  let seq = Atomics.load(ctl, base);
  for (let spin = 0; seq === seen && spin < 20000; spin++) seq = Atomics.load(ctl, base);
  if (seq === seen) { Atomics.wait(ctl, base, seen); continue; }
  if (seq < 0) break;
  seen = seq;
  // Claim the part: the caller takes back a part no worker has started (see waitAll).
  if (Atomics.compareExchange(ctl, base + 3, seq, -seq) === seq) {
    fns[ctl[base + 2]](a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8), a(9), a(10), a(11),
      a(12), a(13), a(14), a(15), a(16), a(17), a(18), a(19), a(20), a(21), a(22), a(23));
    Atomics.add(ctl, 0, 1);
  }
  Atomics.store(ctl, base + 1, seq);
  Atomics.notify(ctl, base + 1);
}
}
`;

// The control and argument blocks. Plain arrays until the first worker starts: a page without
// cross-origin isolation has no SharedArrayBuffer, and one thread never needs one.
let control: Int32Array<ArrayBufferLike> = new Int32Array(SLOT * MAX_THREADS);
let args: Float64Array<ArrayBufferLike> = new Float64Array(ARGS * MAX_THREADS);
let workers: { terminate(): void }[] = [];
let sequence = 0;
let batches = 0;

/** How many calls have been split over worker threads so far (tests check the path is taken). */
export function parallelBatchCount(): number {
  return batches;
}

/** How many parts worker threads (not the caller) have run so far. */
export function workerPartCount(): number {
  return Atomics.load(control, 0);
}

/**
 * The threads in use and where they come from, for a page or a benchmark to show: `host` is
 * "worker_threads" or "Web Workers" (null with one thread), `partsRunByWorkers` counts the kernel parts
 * the workers (not the calling thread) have run so far — proof that they are working.
 */
export function threadStatus(): { threads: number; host: string | null; partsRunByWorkers: number } {
  return { threads: getThreads(), host: workers.length > 0 ? hostName : null, partsRunByWorkers: workerPartCount() };
}

let hostName: string | null = null;

/** The number of threads kernels use (1 = the calling thread only). */
export function getThreads(): number {
  return workers.length + 1;
}

/**
 * Uses n threads for the wasm kernels (the calling thread plus n − 1 workers). 1 stops the workers.
 * Throws a RangeError if n is not an integer in 1..MAX_THREADS; a ThreadsUnavailableError if n > 1 where
 * threads cannot work (no wasm kernels; a browser page without cross-origin isolation, or its main thread).
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RangeError(`setThreads: threads must be an integer from 1 to ${MAX_THREADS}, got ${n}`);
  }
  if (n > 1 && wasmKernels === null) {
    throw new ThreadsUnavailableError('setThreads: more than one thread needs the WebAssembly kernels, which are not loaded');
  }
  while (workers.length > n - 1) stopWorker(workers.length - 1);
  if (workers.length < n - 1) {
    const host = threadHost(); // throws ThreadsUnavailableError, saying why, before anything changes
    hostName = host.name;
    shareBlocks();
    while (workers.length < n - 1) startWorker(workers.length, host);
  }
}

/**
 * Resolves when every worker has started and instantiated the kernels (rejects if one failed, or after
 * `timeoutMs`). Not needed for correct results — a part no worker has claimed is run by the caller — but
 * workers start asynchronously (a Web Worker only after its creator returns to its event loop), so a short
 * run straight after setThreads may otherwise do all the work on the calling thread.
 */
export async function threadsReady(timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ready = 0;
    for (let w = 0; w < workers.length; w++) {
      const base = (w + 1) * SLOT;
      if (Atomics.load(control, base + 1) === FAILED) throw new ThreadsUnavailableError(`kernel worker ${w + 1} failed to start; use setThreads(1)`);
      if (Atomics.load(control, base + 4) === 1) ready++;
    }
    if (ready === workers.length) return;
    if (Date.now() > deadline) throw new ThreadsUnavailableError(`${workers.length - ready} kernel worker(s) did not start within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Moves the control and argument blocks into SharedArrayBuffers (once), before the first worker starts. */
function shareBlocks(): void {
  if (control.buffer instanceof SharedArrayBuffer) return;
  const sharedControl = new Int32Array(new SharedArrayBuffer(SLOT * 4 * MAX_THREADS));
  sharedControl.set(control);
  control = sharedControl;
  args = new Float64Array(new SharedArrayBuffer(ARGS * 8 * MAX_THREADS));
  argBlocks.length = 0;
}

function startWorker(index: number, host: ThreadHost): void {
  const kernels = wasmKernels!;
  const slot = index + 1;
  const base = slot * SLOT;
  Atomics.store(control, base, 0);
  Atomics.store(control, base + 1, 0);
  Atomics.store(control, base + 3, 0);
  Atomics.store(control, base + 4, 0);
  const init = { module: kernels.module, memory: kernels.memory, control: control.buffer as SharedArrayBuffer, args: args.buffer as SharedArrayBuffer, slot };
  // A worker that dies is reported through its slot (FAILED) or by the timeout in `waitAll`.
  const ctl = control;
  workers.push(host.start(WORKER_PROGRAM, init, () => Atomics.store(ctl, base + 1, FAILED)));
}

function stopWorker(index: number): void {
  const base = (index + 1) * SLOT;
  Atomics.store(control, base, -1);
  Atomics.notify(control, base);
  workers[index].terminate();
  workers = workers.slice(0, index);
}

const argBlocks: Float64Array[] = [];

/** The argument block of worker `w` (0-based): fill it, then `start(w, op, seq)`. */
export function workerArgs(w: number): Float64Array {
  while (argBlocks.length <= w) {
    const base = (argBlocks.length + 1) * ARGS;
    argBlocks.push(args.subarray(base, base + ARGS));
  }
  return argBlocks[w];
}

/** Begins a batch of parallel parts: returns the sequence number the workers will echo when done. */
export function beginBatch(): number {
  batches++;
  sequence = (sequence + 1) & 0x3fffffff;
  if (sequence === 0) sequence = 1;
  return sequence;
}

/** Hands the filled argument block of worker `w` to it, to run kernel `name`. */
export function start(w: number, name: KernelName, seq: number): void {
  const base = (w + 1) * SLOT;
  control[base + 2] = OPS.indexOf(name);
  Atomics.store(control, base + 3, seq); // unclaimed
  Atomics.store(control, base, seq);
  Atomics.notify(control, base);
}

let mainExports: Record<string, (...args: number[]) => void> | undefined;

/**
 * Returns when workers 0..count−1 have finished batch `seq`. A part its worker has not yet claimed
 * (on a busy machine a woken worker may wait a whole time slice for a core) is claimed back and run
 * here: the result is the same, and two threads are then never much slower than one.
 */
export function waitAll(count: number, seq: number): void {
  for (let w = 0; w < count; w++) {
    const base = (w + 1) * SLOT;
    if (Atomics.compareExchange(control, base + 3, seq, 0) === seq) {
      mainExports ??= wasmKernels!.exports as unknown as Record<string, (...args: number[]) => void>;
      const a = workerArgs(w);
      mainExports[OPS[control[base + 2]]](a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11],
        a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19], a[20], a[21], a[22], a[23]);
      continue;
    }
    const doneIndex = base + 1;
    let waited = 0;
    for (;;) {
      const done = Atomics.load(control, doneIndex);
      if (done === seq) break;
      if (done === FAILED) throw new Error(`kernel worker ${w + 1} failed to start; use setThreads(1)`);
      if (Atomics.wait(control, doneIndex, done, 1000) === 'timed-out' && ++waited > 60) {
        throw new Error(`kernel worker ${w + 1} did not answer within a minute; use setThreads(1)`);
      }
    }
  }
}

/**
 * Runs a kernel over [0, total) split into up to getThreads() contiguous parts whose bounds are
 * multiples of `grain` (except the end): `fill(args, lo, hi)` writes a worker's arguments for its
 * part, `local(lo, hi)` runs part 0 on the calling thread. Parts under `minPart` units are not worth
 * a worker's wake-up, so small totals run on the calling thread alone.
 */
export function parallelFor(
  name: KernelName, total: number, grain: number, minPart: number,
  fill: (args: Float64Array, lo: number, hi: number) => void, local: (lo: number, hi: number) => void,
): void {
  const units = Math.ceil(total / grain);
  const parts = Math.min(getThreads(), Math.floor(total / Math.max(1, minPart)), units);
  if (parts <= 1) {
    local(0, total);
    return;
  }
  const seq = beginBatch();
  for (let t = 1; t < parts; t++) {
    const lo = Math.floor((units * t) / parts) * grain;
    const hi = Math.min(total, Math.floor((units * (t + 1)) / parts) * grain);
    fill(workerArgs(t - 1), lo, hi);
    start(t - 1, name, seq);
  }
  local(0, Math.min(total, Math.floor(units / parts) * grain));
  waitAll(parts - 1, seq);
}
