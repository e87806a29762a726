/**
 * The window options of the sliding-window layers (Conv2D, MaxPool, AvgPool) as users write them — a number or
 * [h, w], padding as cells or 'same'/'valid' — checked when the layer is made, and the [C, H, W] input check of
 * every image layer. The geometry these options lead to is the kernels' (kernels/conv-geometry.ts).
 */
import { OptionError, formatValue } from '../errors';
import type { PaddingOption, PairOption } from '../kernels/conv-geometry';
import { pairOption, requiredOption } from '../options';
import { ShapeError, formatShape, type Shape } from '../tensor';

/** Validates a padding option (without resolving 'same', which needs the input size). */
export function checkPaddingOption(padding: PaddingOption, layer: string): void {
  if (padding === 'same' || padding === 'valid') return;
  if (typeof padding === 'string') {
    throw new OptionError(`${layer}: option "padding" must be a non-negative integer, [ph, pw], 'same' or 'valid', got ${formatValue(padding)}`);
  }
  pairOption(padding, layer, 'padding', true);
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
