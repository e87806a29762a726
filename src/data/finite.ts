/**
 * Inputs must be finite numbers. A NaN or ±Infinity in a dataset does not always show in the loss — a ReLU
 * turns a NaN into 0, the loss stays finite, and only the weight gradients (x·dy) become NaN — so a training
 * could "complete" with a broken net. fit, evaluate and predict check every dataset they are given, once,
 * and name the first bad value.
 */
import type { Targets } from '../losses/loss';
import type { Shape, Tensor } from '../tensor';
import { isByteInputs, type Inputs } from './batches';

/** A dataset holds a NaN or an infinite value. */
export class NonFiniteDataError extends Error {
  constructor(
    message: string,
    /** The sample (row) of the first bad value, from 0. */
    readonly sample: number,
    /** Its position within the sample (flat index over the per-sample shape), from 0. */
    readonly feature: number,
    readonly value: number,
  ) {
    super(message);
    this.name = 'NonFiniteDataError';
  }
}

/**
 * Throws NonFiniteDataError at the first NaN or ±Infinity of `t` [N, …]. `what` names the data
 * ("training data: x"). One pass; a clean tensor costs a comparison per value.
 */
export function assertFiniteTensor(t: Tensor, what: string): void {
  const data = t.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // v − v is 0 for every finite v, NaN for NaN and ±Infinity.
    if (v - v !== 0) throw nonFinite(t.shape, t.data.length, i, v, what);
  }
}

/**
 * As assertFiniteTensor, for a tensor or byte inputs. Bytes are finite when their lookup is: only a byte
 * whose value is not makes the pass over the bytes look for the first sample that holds it.
 */
export function assertFiniteInputs(x: Inputs, what: string): void {
  if (!isByteInputs(x)) {
    assertFiniteTensor(x, what);
    return;
  }
  const lookup = x.lookup;
  if (lookup.every((v) => v - v === 0)) return;
  const bytes = x.bytes;
  for (let i = 0; i < bytes.length; i++) {
    const v = lookup[bytes[i]];
    if (v - v !== 0) throw nonFinite(x.shape, bytes.length, i, v, what);
  }
}

/** The inputs and, when they are a tensor, the targets (class indices are integers: always finite). */
export function assertFiniteDataset(data: { x: Inputs; y: Targets }, what: string): void {
  assertFiniteInputs(data.x, `${what}: x`);
  if (!(data.y instanceof Int32Array)) assertFiniteTensor(data.y, `${what}: y`);
}

function nonFinite(shape: Shape, length: number, index: number, value: number, what: string): NonFiniteDataError {
  const n = shape[0];
  const rowSize = n > 0 ? length / n : length;
  const sample = Math.floor(index / rowSize);
  const feature = index - sample * rowSize;
  const perSample = shape.slice(1);
  const position = perSample.length > 1 ? ` (${coordinates(feature, perSample)} of [${perSample.join(', ')}])` : '';
  return new NonFiniteDataError(
    `${what} holds ${value} at sample ${sample}, feature ${feature}${position}; inputs must be finite numbers — ` +
      `fix or drop that sample (it is the first non-finite value)`,
    sample,
    feature,
    value,
  );
}

/** A flat index as coordinates of a shape: 203 in [1, 28, 28] → "[0, 7, 7]". */
function coordinates(flat: number, shape: readonly number[]): string {
  const out: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    out.unshift(flat % shape[d]);
    flat = Math.floor(flat / shape[d]);
  }
  return `at [${out.join(', ')}]`;
}
