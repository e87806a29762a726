/**
 * From pixel bytes (MNIST's, or any greyscale images) to network inputs, and labels to class indices —
 * pure functions of the core, used by millefeuille/node's MNIST loader and by pages alike.
 */
import { tensor, type Tensor } from '../tensor';
import type { ByteInputs } from './batches';

/**
 * How pixel bytes become network inputs: x = (p / 255 − mean) / std. `{ mean: 0, std: 1 }` is the
 * plain [0, 1] scaling; standardisation uses the training set's mean and std, which are saved with
 * the model so that eval and predict feed the net the same numbers it was trained on.
 */
export interface Normalization {
  readonly mean: number;
  readonly std: number;
}

export const UNIT_SCALING: Normalization = { mean: 0, std: 1 };

/** Mean and standard deviation of the scaled pixels p/255 of images [start, start + count). */
export function pixelStats(images: Uint8Array, pixelsPerImage: number, start = 0, count?: number): Normalization {
  const n = count ?? images.length / pixelsPerImage - start;
  const histogram = new Float64Array(256);
  const end = (start + n) * pixelsPerImage;
  for (let i = start * pixelsPerImage; i < end; i++) histogram[images[i]]++;
  let total = 0;
  let sum = 0;
  for (let v = 0; v < 256; v++) {
    total += histogram[v];
    sum += (histogram[v] * v) / 255;
  }
  if (total === 0) throw new RangeError('pixelStats: no pixels to measure');
  const mean = sum / total;
  let squares = 0;
  for (let v = 0; v < 256; v++) squares += histogram[v] * (v / 255 - mean) ** 2;
  const std = Math.sqrt(squares / total);
  return { mean, std: std > 0 ? std : 1 };
}

/** The 256 input values a pixel byte can map to. */
export function pixelLookup(norm: Normalization): Float32Array {
  if (!(norm.std > 0) || !Number.isFinite(norm.mean)) {
    throw new RangeError(`normalization needs a finite mean and a positive std, got mean ${norm.mean}, std ${norm.std}`);
  }
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = (v / 255 - norm.mean) / norm.std;
  return table;
}

/** The bytes of images [start, start + count) (of `size` pixels each), a view; refused unless inside `images`. */
function imageBytes(caller: string, images: Uint8Array, size: number, start: number, count: number): Uint8Array {
  if (start < 0 || count < 0 || (start + count) * size > images.length) {
    throw new RangeError(`${caller}: images [${start}, ${start + count}) are out of range (${images.length / size} images)`);
  }
  return images.subarray(start * size, (start + count) * size);
}

/** Images [start, start + count) of a split as a [count, 1, rows, cols] tensor. */
export function imagesToTensor(images: Uint8Array, rows: number, cols: number, start: number, count: number, norm: Normalization = UNIT_SCALING): Tensor {
  const src = imageBytes('imagesToTensor', images, rows * cols, start, count);
  const table = pixelLookup(norm);
  const out = tensor([count, 1, rows, cols]);
  const data = out.data;
  for (let i = 0; i < src.length; i++) data[i] = table[src[i]];
  return out;
}

/**
 * Images [start, start + count) of a split as [count, 1, rows, cols] inputs that stay bytes: a view of
 * `images` (no copy) and the 256 values a pixel maps to. fit, evaluate and predict turn them into floats a
 * batch at a time, so a data set costs its bytes once (60,000 MNIST images: 47 MB, not 188 MB as floats).
 * The numbers a net sees are exactly imagesToTensor's.
 */
export function imagesToInputs(images: Uint8Array, rows: number, cols: number, start: number, count: number, norm: Normalization = UNIT_SCALING): ByteInputs {
  const bytes = imageBytes('imagesToInputs', images, rows * cols, start, count);
  return { shape: [count, 1, rows, cols], bytes, lookup: pixelLookup(norm) };
}

/** Labels [start, start + count) as the Int32Array class indices losses take. */
export function labelsToInt32(labels: Uint8Array, start: number, count: number): Int32Array {
  if (start < 0 || count < 0 || start + count > labels.length) {
    throw new RangeError(`labelsToInt32: labels [${start}, ${start + count}) are out of range (${labels.length} labels)`);
  }
  return Int32Array.from(labels.subarray(start, start + count));
}
