/**
 * Sliding-window geometry shared by Conv2D, MaxPool and AvgPool: the textbook output size
 * ⌊(n + p_before + p_after − f)/s⌋ + 1, the resolution of 'same'/'valid' padding, and the one
 * `WindowGeometry` every window kernel (im2col/col2im, pooling, their references and wasm wrappers) takes.
 * The layers' parsing of their window options is theirs (layers/window-options.ts).
 *
 * Padding is kept as (before, after) per axis because 'same' with an even window or a stride > 1
 * needs one more row/column on one side (TensorFlow's rule: the extra cell goes after, i.e.
 * bottom/right). A number p means p on both sides, the symmetric textbook case.
 */
import { pairOption } from '../options';
import { ShapeError } from '../tensor';

/** A window option as users write it: one number for both axes, or [height, width]. */
export type PairOption = number | readonly [number, number];

/** The padding option: symmetric cells per side, per axis, or 'same'/'valid'. */
export type PaddingOption = number | readonly [number, number] | 'same' | 'valid';

/**
 * A sliding window over an NCHW batch: everything a window kernel needs besides its arrays. Output
 * (oy, ox) covers rows oy·strideH − padTop + [0, kernelH) and columns ox·strideW − padLeft + [0, kernelW)
 * of each of the batch·channels planes; cells outside the inH×inW image are padding. padBottom/padRight
 * are implied by outH/outW (the kernels never read them); they are kept for whoever exports the window.
 *
 * A layer makes one per input shape at build (`windowGeometry`, batch 1) and one per batch size
 * (`withBatch`), never one per call: the kernels are hot loops and read the fields once.
 */
export interface WindowGeometry {
  /** Samples in the batch. */
  readonly batch: number;
  /** Planes per sample (each pooled or unrolled on its own). */
  readonly channels: number;
  readonly inH: number;
  readonly inW: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padBottom: number;
  readonly padLeft: number;
  readonly padRight: number;
  readonly outH: number;
  readonly outW: number;
}

/** ⌊(n + padBefore + padAfter − f)/s⌋ + 1; ≤ 0 means the window does not fit (empty output). */
export function outputSize(n: number, f: number, s: number, padBefore: number, padAfter: number): number {
  return Math.floor((n + padBefore + padAfter - f) / s) + 1;
}

/**
 * The padding (before, after) of one axis. 'valid' is no padding; 'same' gives ⌈n/s⌉ outputs,
 * padding max((⌈n/s⌉ − 1)·s + f − n, 0) cells in total with the odd cell after (TensorFlow/Keras).
 */
export function resolvePadding(padding: number | 'same' | 'valid', n: number, f: number, s: number): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') {
    const out = Math.ceil(n / s);
    const total = Math.max((out - 1) * s + f - n, 0);
    const before = Math.floor(total / 2);
    return [before, total - before];
  }
  return [padding, padding];
}

/**
 * The geometry of a window over a [channels, inH, inW] input (`batch` samples, one unless given), or an
 * error naming the layer, the (padded) input and the window when the output would be empty.
 */
export function windowGeometry(
  layer: string, input: readonly [number, number, number], kernel: readonly [number, number], stride: readonly [number, number],
  padding: PaddingOption, batch = 1,
): WindowGeometry {
  const [channels, inH, inW] = input;
  const [kernelH, kernelW] = kernel;
  const [strideH, strideW] = stride;
  let padTop: number, padBottom: number, padLeft: number, padRight: number;
  if (padding === 'same' || padding === 'valid') {
    [padTop, padBottom] = resolvePadding(padding, inH, kernelH, strideH);
    [padLeft, padRight] = resolvePadding(padding, inW, kernelW, strideW);
  } else {
    const [ph, pw] = pairOption(padding, layer, 'padding', true);
    [padTop, padBottom, padLeft, padRight] = [ph, ph, pw, pw];
  }
  const paddedH = inH + padTop + padBottom;
  const paddedW = inW + padLeft + padRight;
  if (kernelH > paddedH || kernelW > paddedW) {
    throw new ShapeError(
      `${layer}: kernel ${kernelH}×${kernelW} is larger than the padded input ${paddedH}×${paddedW} ` +
        `(input ${inH}×${inW}, padding ${padTop}+${padBottom} × ${padLeft}+${padRight}): the output would be empty`,
    );
  }
  const outH = outputSize(inH, kernelH, strideH, padTop, padBottom);
  const outW = outputSize(inW, kernelW, strideW, padLeft, padRight);
  return { batch, channels, inH, inW, kernelH, kernelW, strideH, strideW, padTop, padBottom, padLeft, padRight, outH, outW };
}

/** The same window over a batch of `batch` samples (`g` itself when it already is). */
export function withBatch(g: WindowGeometry, batch: number): WindowGeometry {
  return g.batch === batch ? g : { ...g, batch };
}
