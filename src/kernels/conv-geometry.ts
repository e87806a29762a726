/**
 * Sliding-window geometry shared by Conv2D, MaxPool and AvgPool: the textbook output size
 * ⌊(n + p_before + p_after − f)/s⌋ + 1 and the resolution of 'same'/'valid' padding.
 *
 * Padding is kept as (before, after) per axis because 'same' with an even window or a stride > 1
 * needs one more row/column on one side (TensorFlow's rule: the extra cell goes after, i.e.
 * bottom/right). A number p means p on both sides, the symmetric textbook case.
 */
import { OptionError, formatValue } from '../errors';
import { requiredOption } from '../options';
import { ShapeError, formatShape, type Shape } from '../tensor';

/** A window option as users write it: one number for both axes, or [height, width]. */
export type PairOption = number | readonly [number, number];

/** The padding option: symmetric cells per side, per axis, or 'same'/'valid'. */
export type PaddingOption = number | readonly [number, number] | 'same' | 'valid';

/** Everything a sliding-window kernel needs besides the tensor sizes themselves. */
export interface WindowGeometry {
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

/** [h, w] from a number-or-pair option, validated: positive integers (or ≥ 0 with allowZero). */
export function pairOption(value: PairOption, layer: string, what: string, allowZero = false): [number, number] {
  const pair: readonly unknown[] = typeof value === 'number' ? [value, value] : Array.isArray(value) ? value : [];
  const ok = pair.length === 2 && pair.every((v) => typeof v === 'number' && Number.isInteger(v) && (allowZero ? v >= 0 : v > 0));
  if (!ok) {
    const need = allowZero ? 'a non-negative integer' : 'a positive integer';
    throw new OptionError(`${layer}: option "${what}" must be ${need} or a pair [h, w] of them, got ${formatValue(value)}`);
  }
  return [pair[0] as number, pair[1] as number];
}

/** Validates a padding option (without resolving 'same', which needs the input size). */
export function checkPaddingOption(padding: PaddingOption, layer: string): void {
  if (padding === 'same' || padding === 'valid') return;
  if (typeof padding === 'string') {
    throw new OptionError(`${layer}: option "padding" must be a non-negative integer, [ph, pw], 'same' or 'valid', got ${formatValue(padding)}`);
  }
  pairOption(padding, layer, 'padding', true);
}

/**
 * The geometry of a window over an h×w input, or an error naming the layer, the (padded) input
 * and the window when the output would be empty.
 */
export function windowGeometry(
  layer: string, inH: number, inW: number, kernel: [number, number], stride: [number, number], padding: PaddingOption,
): WindowGeometry {
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
  return { kernelH, kernelW, strideH, strideW, padTop, padBottom, padLeft, padRight, outH, outW };
}

/** [C, H, W] or a ShapeError naming the layer and the shape. */
export function imageShape(layer: string, inputShape: Shape): [number, number, number] {
  if (inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ShapeError(`${layer} needs a per-sample input [channels, height, width] of positive integers, got ${formatShape(inputShape)}`);
  }
  return [inputShape[0], inputShape[1], inputShape[2]];
}

/** Numeric padding must be < the window on each axis, or a window could hold only padding. */
export function checkPaddingBelowWindow(layer: string, padding: PaddingOption, size: [number, number]): void {
  if (padding === 'same' || padding === 'valid') return; // 'same' pads at most size − 1 in total
  const [ph, pw] = pairOption(padding, layer, 'padding', true);
  if (ph >= size[0] || pw >= size[1]) {
    throw new OptionError(
      `${layer}: option "padding" (${ph}×${pw}) must be smaller than the window ${size[0]}×${size[1]} ` +
        '(a window of padding alone has no input to pool)',
    );
  }
}

/** A pooling layer's window options as written in its config (defaults filled in). */
export interface PoolWindowConfig {
  size: PairOption;
  stride: PairOption;
  padding: PaddingOption;
}

/**
 * The validated window of a pooling layer (MaxPool, AvgPool): `size` required, `stride` defaulting to the
 * size (non-overlapping windows), `padding` defaulting to 0 and smaller than the window.
 */
export function poolWindow(
  layer: string, options: { size: PairOption; stride?: PairOption; padding?: PaddingOption },
): { config: PoolWindowConfig; size: [number, number]; stride: [number, number] } {
  const size = requiredOption(layer, 'size', options.size, 'a positive integer or [h, w]');
  const stride = options.stride ?? size;
  const padding = options.padding ?? 0;
  const sizePair = pairOption(size, layer, 'size');
  const stridePair = pairOption(stride, layer, 'stride');
  checkPaddingOption(padding, layer);
  checkPaddingBelowWindow(layer, padding, sizePair);
  return { config: { size, stride, padding }, size: sizePair, stride: stridePair };
}

/** A copy of a window option for a config() (pairs are copied so the caller cannot change the layer's). */
export function copyWindowOption<T extends PairOption | PaddingOption>(value: T): T {
  return (Array.isArray(value) ? [value[0], value[1]] : value) as T;
}
