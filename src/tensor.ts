/**
 * Tensors: a shape and a row-major Float32Array, batch first.
 * Dense data is [N, D]; images are NCHW [N, C, H, W]. A layer describes itself by its
 * per-sample shape ([D] or [C, H, W]); the batch size may change from call to call.
 */
import type { MemoryOwner } from './memory';

/** A shape: one non-negative integer per axis. */
export type Shape = readonly number[];

/** A batch-first tensor. `data.length` is always the product of `shape`. */
export interface Tensor {
  readonly shape: Shape;
  readonly data: Float32Array;
}

/** A shape that cannot work: wrong rank, wrong size, or sizes that are not positive integers. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

/** Number of elements of a shape (1 for the scalar shape []). */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** `[2, 3, 4]`, the way every error message prints a shape. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Throws unless every size is a positive integer; `what` names the argument in the message. */
export function assertValidShape(shape: Shape, what: string): void {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new ShapeError(`${what} must be a non-empty array of positive integers, got ${JSON.stringify(shape)}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d <= 0) {
      throw new ShapeError(`${what} must hold positive integers, got ${formatShape(shape)}`);
    }
  }
}

/**
 * The batch size N of `x`, after checking that it is [N, …sampleShape] with N ≥ 1 and the data to match;
 * otherwise a ShapeError "<owner> was built for input [N, …], got […]". Allocates nothing (a hot-path check).
 */
export function checkBatch(owner: string, x: Tensor, sampleShape: Shape): number {
  const s = x.shape;
  let ok = s.length === sampleShape.length + 1 && Number.isInteger(s[0]) && s[0] > 0;
  let size = ok ? s[0] : 0;
  for (let i = 0; ok && i < sampleShape.length; i++) {
    ok = s[i + 1] === sampleShape[i];
    size *= sampleShape[i];
  }
  if (!ok || x.data.length !== size) {
    throw new ShapeError(`${owner} was built for input [N, ${sampleShape.join(', ')}], got ${formatShape(s)}` +
      (ok ? ` holding ${x.data.length} values instead of ${size}` : ''));
  }
  return s[0];
}

/**
 * Throws a ShapeError naming the mismatch when `t.data` does not hold exactly one value per element of
 * `t.shape` (a longer buffer would be read as the wrong samples, a shorter one past its end, into NaN).
 * `what` names the tensor ("ReLU input", "SoftmaxCrossEntropy scores"). Allocates nothing.
 */
export function checkDataLength(what: string, t: Tensor): void {
  let size = 1;
  for (let i = 0; i < t.shape.length; i++) size *= t.shape[i];
  if (t.data.length !== size) {
    throw new ShapeError(`${what}: the data holds ${t.data.length} values but the shape ${formatShape(t.shape)} needs ${size}; give data of exactly that length (or subarray it)`);
  }
}

/**
 * The check at the top of every layer's backward: `dy` must hold one value per output of the last forward
 * (`outputShape`); otherwise a ShapeError "<owner>.backward: expected dy [..], got [..]". Allocates nothing.
 */
export function checkUpstreamGradient(owner: string, dy: Tensor, outputShape: Shape): void {
  if (dy.data.length !== sizeOf(outputShape)) {
    throw new ShapeError(`${owner}.backward: expected dy ${formatShape(outputShape)}, got ${formatShape(dy.shape)}`);
  }
}

/** A new tensor of the given shape, zero-filled, or wrapping `data` (which must have the right length). */
export function tensor(shape: Shape, data?: Float32Array | ArrayLike<number>): Tensor {
  const size = sizeOf(shape);
  let buffer: Float32Array;
  if (data === undefined) {
    // A plain heap array: tensors handed to users are garbage-collected like any other value. Only
    // the buffers layers reuse batch after batch (`reuse`) live in the kernels' memory.
    buffer = new Float32Array(size);
  } else {
    buffer = data instanceof Float32Array ? data : Float32Array.from(data);
    if (buffer.length !== size) {
      throw new ShapeError(`tensor data has ${buffer.length} elements but shape ${formatShape(shape)} needs ${size}`);
    }
  }
  return { shape: [...shape], data: buffer };
}

/** The same data seen with another shape of equal size (no copy). */
export function reshape(t: Tensor, shape: Shape): Tensor {
  if (sizeOf(shape) !== t.data.length) {
    throw new ShapeError(`cannot reshape ${formatShape(t.shape)} to ${formatShape(shape)}`);
  }
  return { shape: [...shape], data: t.data };
}

/** A deep copy (own buffer): use it to keep a layer's output past the layer's next call. */
export function cloneTensor(t: Tensor): Tensor {
  return { shape: [...t.shape], data: t.data.slice() };
}

/**
 * A layer's reusable buffer: returns `previous` when it already has `shape`, else a new zeroed tensor.
 * Layers keep their outputs and gradients in such buffers, allocated once per batch size. With the layer's
 * `owner` the buffer lives in the kernels' memory (and the one it replaces goes back there, see memory.ts);
 * without, it is a plain heap array.
 */
export function reuse(previous: Tensor | undefined, shape: Shape, owner?: MemoryOwner): Tensor {
  if (owner !== undefined) return owner.reuse(previous, shape);
  if (previous !== undefined && shapesEqual(previous.shape, shape)) return previous;
  return { shape: [...shape], data: new Float32Array(sizeOf(shape)) };
}
