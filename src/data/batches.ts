/**
 * Datasets held whole in memory, and the mini-batches the training loop draws from them: a shuffled
 * order per epoch, a validation split, and batches gathered into buffers that are reused every batch.
 * Inputs are a Float32 tensor, or bytes (images) decoded into the batch buffer a batch at a time, so a
 * data set of bytes costs its bytes once (ByteInputs).
 */
import type { Targets } from '../losses/loss';
import { OptionError } from '../errors';
import type { Rng } from '../random';
import { ShapeError, formatShape, type Shape, type Tensor } from '../tensor';
import { MemoryOwner } from '../memory';

/**
 * Inputs [N, …] held as bytes — images — whose values are `lookup[byte]` (256 floats, e.g. pixelLookup's
 * p/255 or standardised pixels). The floats exist only a batch at a time, in the batch buffer.
 */
export interface ByteInputs {
  readonly shape: Shape;
  readonly bytes: Uint8Array;
  readonly lookup: Float32Array;
}

/** A data set's inputs: a Float32 tensor, or bytes with their lookup table. */
export type Inputs = Tensor | ByteInputs;

/** Inputs `x` [N, …] and their targets: N class indices, or a tensor [N, …] (one-hot, regression). */
export interface Dataset {
  x: Inputs;
  y: Targets;
}

export function isByteInputs(x: Inputs): x is ByteInputs {
  return (x as ByteInputs).bytes instanceof Uint8Array;
}

/** N, after checking that x and y agree on it; `what` names the dataset in the error ("training data"). */
export function sampleCount(data: Dataset, what: string): number {
  if (data === null || typeof data !== 'object' || !data.x || !validInputs(data.x)) {
    throw new OptionError(`${what} must be { x: Tensor | ByteInputs, y: Int32Array | Tensor }`);
  }
  const n = data.x.shape[0];
  if (data.x.shape.length < 2 || !Number.isInteger(n) || n < 1) {
    throw new ShapeError(`${what}: x must be [N, …] with N ≥ 1 samples, got ${formatShape(data.x.shape)}`);
  }
  const labels = targetCount(data.y);
  if (labels === undefined) throw new OptionError(`${what}: y must be an Int32Array of class indices or a Tensor [N, …]`);
  if (labels !== n) {
    throw new ShapeError(`${what}: x holds ${n} samples (${formatShape(data.x.shape)}) but y holds ${labels}`);
  }
  return n;
}

function validInputs(x: Inputs): boolean {
  if (isByteInputs(x)) return x.lookup instanceof Float32Array && x.lookup.length === 256 && Array.isArray(x.shape);
  return x.data instanceof Float32Array && Array.isArray(x.shape);
}

function inputLength(x: Inputs): number {
  return isByteInputs(x) ? x.bytes.length : x.data.length;
}

function targetCount(y: Targets): number | undefined {
  if (y instanceof Int32Array) return y.length;
  if (y && typeof y === 'object' && y.data instanceof Float32Array && Array.isArray(y.shape) && y.shape.length >= 1) {
    return y.shape[0];
  }
  return undefined;
}

/** Rows [start, start + count) of a batch-first tensor, as a view (no copy). */
export function sliceRows(t: Tensor, start: number, count: number): Tensor {
  const rowSize = t.data.length / t.shape[0];
  return { shape: [count, ...t.shape.slice(1)], data: t.data.subarray(start * rowSize, (start + count) * rowSize) };
}

/** Rows [start, start + count) of inputs, as a view (no copy, no decoding). */
export function sliceInputs<X extends Inputs>(x: X, start: number, count: number): X {
  if (!isByteInputs(x)) return sliceRows(x as Tensor, start, count) as X;
  const rowSize = x.bytes.length / x.shape[0];
  const part: ByteInputs = { shape: [count, ...x.shape.slice(1)], bytes: x.bytes.subarray(start * rowSize, (start + count) * rowSize), lookup: x.lookup };
  return part as X;
}

/**
 * Rows of inputs as Float32 tensors, one batch at a time: a view of a tensor's rows, or bytes decoded into
 * a buffer of `memory` (one per batch size, reused). evaluate and predict read their data through it.
 */
export class RowReader {
  private readonly buffers = new Map<number, Tensor>();

  constructor(private readonly x: Inputs, private readonly memory: MemoryOwner) {}

  /** Rows [start, start + count): valid until the next call for the same count. */
  rows(start: number, count: number): Tensor {
    const x = this.x;
    if (!isByteInputs(x)) return sliceRows(x, start, count);
    let batch = this.buffers.get(count);
    if (batch === undefined) {
      batch = { shape: [count, ...x.shape.slice(1)], data: this.memory.float32(count * (x.bytes.length / x.shape[0])) };
      this.buffers.set(count, batch);
    }
    const rowSize = x.bytes.length / x.shape[0];
    decodeBytes(x, start * rowSize, count * rowSize, batch.data, 0);
    return batch;
  }
}

/** out[at + i] = lookup[bytes[from + i]] for i < length. */
function decodeBytes(x: ByteInputs, from: number, length: number, out: Float32Array, at: number): void {
  const bytes = x.bytes, lookup = x.lookup;
  for (let i = 0; i < length; i++) out[at + i] = lookup[bytes[from + i]];
}

/** Targets [start, start + count), as a view. */
export function sliceTargets(y: Targets, start: number, count: number): Targets {
  return y instanceof Int32Array ? y.subarray(start, start + count) : sliceRows(y, start, count);
}

/**
 * The last ⌈fraction·N⌉ samples as validation, the rest for training — a fixed tail, not a random draw,
 * so the split is the same on every run (like MNIST's customary last 5,000). Views, no copies.
 */
export function splitTail<X extends Inputs>(
  data: { x: X; y: Targets },
  fraction: number,
): { train: { x: X; y: Targets }; validation: { x: X; y: Targets } } {
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 1)) {
    throw new OptionError(`validationSplit must be a fraction in (0, 1), got ${String(fraction)}`);
  }
  const n = sampleCount(data, 'training data');
  const validationCount = Math.ceil(fraction * n);
  const trainCount = n - validationCount;
  if (trainCount < 1) {
    throw new OptionError(`validationSplit ${fraction} of ${n} samples leaves no training samples`);
  }
  return {
    train: { x: sliceInputs(data.x, 0, trainCount), y: sliceTargets(data.y, 0, trainCount) },
    validation: { x: sliceInputs(data.x, trainCount, validationCount), y: sliceTargets(data.y, trainCount, validationCount) },
  };
}

/**
 * How an epoch of `n` samples is cut into batches of `batchSize`: full batches, then the rest — kept as a
 * last smaller batch, or dropped with `dropLast`. One rule on top: a last batch of ONE sample is merged into
 * the batch before it (which then holds batchSize + 1), because a single sample cannot be normalised over a
 * batch (BatchNorm in training needs at least 2) and one sample's gradient is the noisiest step of the epoch.
 * So 129 samples in batches of 128 train as one batch of 129; 130 as 128 + 2; 1 sample alone stays a batch.
 */
export interface EpochBatches {
  /** Batches per epoch (updates per epoch). */
  count: number;
  /** Samples trained per epoch (n, or fewer with dropLast). */
  samples: number;
  /** Samples in batch b (from 0). */
  size(b: number): number;
}

export function epochBatches(n: number, batchSize: number, dropLast = false): EpochBatches {
  const full = Math.floor(n / batchSize);
  const rest = n - full * batchSize;
  if (dropLast || rest === 0) {
    return { count: full, samples: full * batchSize, size: () => batchSize };
  }
  if (rest === 1 && full > 0) {
    return { count: full, samples: n, size: (b) => (b === full - 1 ? batchSize + 1 : batchSize) };
  }
  return { count: full + 1, samples: n, size: (b) => (b === full ? rest : batchSize) };
}

/** Fill `order` with 0 … n−1, shuffled by `rng` (Fisher–Yates) when `shuffle` is true. */
export function fillOrder(order: Int32Array, rng: Rng, shuffle: boolean): Int32Array {
  for (let i = 0; i < order.length; i++) order[i] = i;
  if (shuffle) rng.shuffle(order);
  return order;
}

/**
 * Copies the samples named by a slice of an index order into batch buffers. There are at most two batch
 * sizes per epoch (full batches and the last one, see epochBatches), so at most two sets of buffers, allocated on
 * first use and reused for the rest of training: gathering allocates nothing. The buffers are the
 * gatherer's blocks of the kernels' memory: `dispose()` gives them back (fit does, in a finally).
 */
export class BatchGatherer {
  private readonly rowSize: number;
  private readonly targetRowSize: number;
  private readonly buffers = new Map<number, { x: Tensor; y: Targets }>();
  private readonly heapRows = new Map<number, Float32Array>();
  private readonly memory: MemoryOwner;

  /** @param memory the owner of the batch buffers (fit passes its own, for all its temporaries) */
  constructor(private readonly data: Dataset, memory = new MemoryOwner('BatchGatherer')) {
    this.memory = memory;
    const n = data.x.shape[0];
    this.rowSize = inputLength(data.x) / n;
    this.targetRowSize = data.y instanceof Int32Array ? 1 : data.y.data.length / n;
  }

  /** The batch of samples order[start … start + count), in that order. Valid until the next gather of that size. */
  gather(order: Int32Array, start: number, count: number): { x: Tensor; y: Targets } {
    this.memory.assertLive();
    const batch = this.buffersFor(count);
    const rowSize = this.rowSize;
    const x = this.data.x;
    const bx = batch.x.data;
    if (isByteInputs(x)) {
      // Bytes become floats here, one batch at a time: the data set stays bytes.
      for (let b = 0; b < count; b++) decodeBytes(x, order[start + b] * rowSize, rowSize, bx, b * rowSize);
    } else {
      const xs = x.data;
      const rows = this.rowsFor(xs, bx, count);
      for (let b = 0; b < count; b++) {
        const row = order[start + b] * rowSize;
        rows.set(xs.subarray(row, row + rowSize), b * rowSize);
      }
      if (rows !== bx) bx.set(rows);
    }
    const y = this.data.y;
    if (y instanceof Int32Array) {
      const by = batch.y as Int32Array;
      for (let b = 0; b < count; b++) by[b] = y[order[start + b]];
    } else {
      const size = this.targetRowSize;
      const by = (batch.y as Tensor).data;
      for (let b = 0; b < count; b++) {
        const row = order[start + b] * size;
        by.set(y.data.subarray(row, row + size), b * size);
      }
    }
    return batch;
  }

  /** Gives back the batch buffers (disposes its owner; idempotent); batches gathered before must not be used afterwards. */
  dispose(): void {
    this.buffers.clear();
    this.heapRows.clear();
    this.memory.dispose();
  }

  /**
   * Where to gather rows of `source` bound for `batch`: into `batch` itself, or — when batch lies in a
   * SharedArrayBuffer (the kernels' memory) and the source does not — into a heap array of the batch's
   * size (kept per size), then copied into `batch` in one `set`. V8 copies into shared memory through a
   * slow path per call (relaxed atomic words, no memcpy): a hundred row copies of 3 KB cost ~100 µs, a
   * hundred heap copies and one shared copy ~75 µs (2-core EPYC, Node 20; the MLP's step is ~1.2 ms).
   */
  private rowsFor(source: Float32Array, batch: Float32Array, count: number): Float32Array {
    if (typeof SharedArrayBuffer === 'undefined' || !(batch.buffer instanceof SharedArrayBuffer) || source.buffer instanceof SharedArrayBuffer) {
      return batch;
    }
    let rows = this.heapRows.get(count);
    if (rows === undefined) {
      rows = new Float32Array(count * this.rowSize);
      this.heapRows.set(count, rows);
    }
    return rows;
  }

  private buffersFor(count: number): { x: Tensor; y: Targets } {
    let batch = this.buffers.get(count);
    if (batch === undefined) {
      const x: Tensor = { shape: [count, ...this.data.x.shape.slice(1)], data: this.memory.float32(count * this.rowSize) };
      const y: Targets =
        this.data.y instanceof Int32Array
          ? new Int32Array(count)
          : { shape: [count, ...this.data.y.shape.slice(1)], data: this.memory.float32(count * this.targetRowSize) };
      batch = { x, y };
      this.buffers.set(count, batch);
    }
    return batch;
  }
}

