/**
 * Numeric feature columns (from a CSV) as network inputs: per-column mean and standard deviation measured
 * on the training rows only, missing values (NaN) filled with the training mean, and optionally
 * standardised, x' = (x − mean) / std. The statistics are saved with the model so that eval and predict
 * feed it the numbers it was trained on.
 */
import { tensor, type Tensor } from '../tensor';

export interface FeatureScaling {
  /** Per column: the training mean (also the value a missing cell gets). */
  readonly mean: readonly number[];
  /** Per column: the training standard deviation (1 for a constant column). */
  readonly std: readonly number[];
  /** true: (x − mean) / std; false: x as it is (missing cells still get the mean). */
  readonly standardize: boolean;
}

/**
 * Mean and standard deviation of each of the `width` columns over the rows `rows` (all rows when omitted),
 * ignoring NaN; accumulated in float64. A column with no value at all in those rows is an error the caller
 * names (returned in `empty`).
 */
export function columnStats(
  values: Float32Array,
  width: number,
  rows?: ArrayLike<number>,
): { mean: number[]; std: number[]; empty: number[] } {
  const count = rows ? rows.length : values.length / width;
  const sum = new Float64Array(width);
  const n = new Float64Array(width);
  for (let r = 0; r < count; r++) {
    const base = (rows ? rows[r] : r) * width;
    for (let j = 0; j < width; j++) {
      const v = values[base + j];
      if (v === v) {
        sum[j] += v;
        n[j]++;
      }
    }
  }
  const mean = Array.from(sum, (s, j) => (n[j] > 0 ? s / n[j] : 0));
  const squares = new Float64Array(width);
  for (let r = 0; r < count; r++) {
    const base = (rows ? rows[r] : r) * width;
    for (let j = 0; j < width; j++) {
      const v = values[base + j];
      if (v === v) squares[j] += (v - mean[j]) ** 2;
    }
  }
  const std = Array.from(squares, (s, j) => {
    const sd = n[j] > 0 ? Math.sqrt(s / n[j]) : 0;
    return sd > 0 ? sd : 1;
  });
  const empty = Array.from(n, (c, j) => (c === 0 ? j : -1)).filter((j) => j >= 0);
  return { mean, std, empty };
}

/** The rows `rows` of `values` (or all) as an [N, width] tensor, missing values filled and scaled. */
export function featuresToTensor(values: Float32Array, width: number, scaling: FeatureScaling, rows?: ArrayLike<number>): Tensor {
  if (scaling.mean.length !== width || scaling.std.length !== width) {
    throw new RangeError(`featuresToTensor: the scaling has ${scaling.mean.length} columns, the data ${width}`);
  }
  const count = rows ? rows.length : values.length / width;
  const out = tensor([count, width]);
  const data = out.data;
  for (let r = 0; r < count; r++) {
    const src = (rows ? rows[r] : r) * width;
    const dst = r * width;
    for (let j = 0; j < width; j++) {
      let v = values[src + j];
      if (v !== v) v = scaling.mean[j];
      data[dst + j] = scaling.standardize ? (v - scaling.mean[j]) / scaling.std[j] : v;
    }
  }
  return out;
}

/**
 * Fills missing values and scales `values` in place: the numbers featuresToTensor gives, without a second
 * copy of the data (the CLI trains on views of the one Float32Array the CSV was streamed into).
 */
export function scaleFeaturesInPlace(values: Float32Array, width: number, scaling: FeatureScaling): void {
  if (scaling.mean.length !== width || scaling.std.length !== width) {
    throw new RangeError(`scaleFeaturesInPlace: the scaling has ${scaling.mean.length} columns, the data ${width}`);
  }
  for (let base = 0; base < values.length; base += width) {
    for (let j = 0; j < width; j++) {
      let v = values[base + j];
      if (v !== v) v = scaling.mean[j];
      values[base + j] = scaling.standardize ? (v - scaling.mean[j]) / scaling.std[j] : v;
    }
  }
}

/**
 * Reorders the rows of `values` (`width` values each) in place so that row i becomes the old row
 * `order[i]`; `order` must be a permutation of the rows. Follows each cycle with one row of scratch space.
 */
export function permuteRowsInPlace(values: Float32Array, width: number, order: ArrayLike<number>): void {
  const rows = values.length / width;
  if (order.length !== rows) throw new RangeError(`permuteRowsInPlace: ${order.length} indices for ${rows} rows`);
  const done = new Uint8Array(rows);
  const scratch = new Float32Array(width);
  for (let start = 0; start < rows; start++) {
    if (done[start] || order[start] === start) continue;
    scratch.set(values.subarray(start * width, (start + 1) * width));
    let i = start;
    for (;;) {
      done[i] = 1;
      const from = order[i];
      if (from === start) {
        values.set(scratch, i * width);
        break;
      }
      if (!(from >= 0 && from < rows) || done[from]) throw new RangeError('permuteRowsInPlace: the order is not a permutation of the rows');
      values.copyWithin(i * width, from * width, (from + 1) * width);
      i = from;
    }
  }
}
