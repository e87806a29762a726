/**
 * Shared fast-check arbitraries for the sliding-window suites (Conv2D, MaxPool, AvgPool, im2col):
 * the shapes ARCHITECTURE §7 asks for — batch 1–4, channels 1–3, spatial 1–9 (odd and non-square
 * included), kernel 1–5, stride 1–3, padding 0–2 or 'same'/'valid' — filtered to non-empty outputs.
 */
import fc from 'fast-check';
import { windowGeometry, type PaddingOption, type PairOption, type WindowGeometry } from '../../src/kernels/conv-geometry';
import { Rng } from '../../src/random';

export interface WindowCase {
  batch: number;
  channels: number;
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padding: PaddingOption;
  /** Seed for the case's random data. */
  seed: number;
}

export interface WindowCaseLimits {
  maxBatch?: number;
  maxChannels?: number;
  maxSpatial?: number;
  maxKernel?: number;
  maxStride?: number;
  maxPad?: number;
  /** Pooling: numeric padding must be smaller than the window. */
  padBelowWindow?: boolean;
}

/** The numeric padding per axis, before resolution of 'same'/'valid'. */
function numericPads(padding: PaddingOption): [number, number] | undefined {
  if (typeof padding === 'number') return [padding, padding];
  if (Array.isArray(padding)) return [padding[0], padding[1]];
  return undefined;
}

export function windowCase(limits: WindowCaseLimits = {}): fc.Arbitrary<WindowCase> {
  const { maxBatch = 4, maxChannels = 3, maxSpatial = 9, maxKernel = 5, maxStride = 3, maxPad = 2, padBelowWindow = false } = limits;
  const pad = fc.integer({ min: 0, max: maxPad });
  const padding: fc.Arbitrary<PaddingOption> = fc.oneof(
    { weight: 6, arbitrary: pad },
    { weight: 3, arbitrary: fc.tuple(pad, pad) },
    { weight: 1, arbitrary: fc.constantFrom<PaddingOption>('same', 'valid') },
  );
  return fc
    .record({
      batch: fc.integer({ min: 1, max: maxBatch }),
      channels: fc.integer({ min: 1, max: maxChannels }),
      height: fc.integer({ min: 1, max: maxSpatial }),
      width: fc.integer({ min: 1, max: maxSpatial }),
      kernelH: fc.integer({ min: 1, max: maxKernel }),
      kernelW: fc.integer({ min: 1, max: maxKernel }),
      strideH: fc.integer({ min: 1, max: maxStride }),
      strideW: fc.integer({ min: 1, max: maxStride }),
      padding,
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
    })
    .filter((c) => {
      const pads = numericPads(c.padding);
      if (c.padding === 'valid') return c.kernelH <= c.height && c.kernelW <= c.width;
      if (pads === undefined) return true; // 'same' always fits
      if (padBelowWindow && (pads[0] >= c.kernelH || pads[1] >= c.kernelW)) return false;
      return c.kernelH <= c.height + 2 * pads[0] && c.kernelW <= c.width + 2 * pads[1];
    });
}

/** Uniform values in [low, high) from a seeded Rng. */
export function randomArray(length: number, rng: Rng, low = -1, high = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform(low, high);
  return out;
}

/** Largest |a − b| / max(1, |b|) over two arrays of equal length. */
export function maxMixedError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

/** The case as the kernels and the references take it: padding resolved, output sizes computed. */
export function windowGeometryOf(c: WindowCase): WindowGeometry {
  return windowGeometry('test', [c.channels, c.height, c.width], [c.kernelH, c.kernelW], [c.strideH, c.strideW], c.padding, c.batch);
}

/** The case's window as pooling-layer options. */
export function poolOptionsOf(c: WindowCase): { size: PairOption; stride: PairOption; padding: PaddingOption } {
  return { size: [c.kernelH, c.kernelW], stride: [c.strideH, c.strideW], padding: c.padding };
}
