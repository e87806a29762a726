/**
 * JS side of the memory-bound wasm kernels (everything but the GEMM: im2col/col2im, 2×2 max pooling,
 * ReLU, the Conv2D layouts, the Adam update, a dense bias, the finiteness check, zeroing): stage the
 * operands (resident arrays in place, others copied), split the work over the threads, copy results
 * back. Each returns true (the last two: undefined or false for a heap array, which the caller's
 * loop handles as fast as a copy would take); when the wasm memory is exhausted, staging throws a
 * KernelMemoryError (arena.ts) rather than letting the caller run its TypeScript loop, which would
 * round differently.
 */
import type { WindowGeometry } from '../conv-geometry';
import { wasmKernels } from './loader';
import { isResident } from './arena';
import { beginStaging, copyOut, place, stagedBytes } from './staging';
import { parallelFor } from './threads';

/**
 * Elements a thread's part should at least have: below this (64K floats, ~10–30 µs of memory-bound
 * work) waking a worker costs more than it saves.
 */
const MIN_PART_ELEMENTS = 1 << 16;
/** Split flat arrays at multiples of 16 floats: parts never share a cache line. */
const LINE = 16;

const ex = wasmKernels?.exports as unknown as WasmLayoutExports;

interface WasmLayoutExports {
  im2col(x: number, cols: number, ...geometryAndRange: number[]): void;
  col2im(cols: number, x: number, ...geometryAndRange: number[]): void;
  maxPool2x2(x: number, y: number, argmax: number, planes: number, height: number, width: number, outH: number, outW: number, p0: number, p1: number): void;
  maxPoolBackward(dy: number, argmax: number, dx: number, fillStart: number, fillLength: number, o0: number, o1: number, inPlane: number, outPlane: number): void;
  reluForward(x: number, y: number, n: number): void;
  reluBackward(x: number, dy: number, dx: number, n: number): void;
  filterRowsToBatch(src: number, dst: number, filters: number, batch: number, plane: number, bias: number, f0: number, f1: number): void;
  batchToFilterRows(src: number, dst: number, filters: number, batch: number, plane: number, biasGrad: number, f0: number, f1: number): void;
  adamUpdate(w: number, grad: number, m: number, v: number, n: number, stepSize: number, beta1: number, oneMinusBeta1: number,
    beta2: number, oneMinusBeta2: number, epsHat: number, gradScale: number, decay: number): void;
  allFinite(p: number, n: number): number;
  addRowVector(y: number, b: number, rows: number, cols: number): void;
  accumulateColumnSums(x: number, s: number, rows: number, cols: number): void;
  fillZero(p: number, n: number): void;
  batchNormForward(x: number, y: number, gamma: number, beta: number, mean: number, variance: number, invStd: number, acc: number,
    batch: number, channels: number, spatial: number, eps: number, training: number, c0: number, c1: number): void;
  batchNormBackward(dy: number, x: number, mean: number, dx: number, gamma: number, invStd: number, sumDy: number, sumDyXhat: number, acc: number,
    batch: number, channels: number, spatial: number, training: number, c0: number, c1: number): void;
}

/** The wasm im2col (src/kernels/im2col.ts), split by samples over the threads. */
export function im2colWasm(x: Float32Array, cols: Float32Array, g: WindowGeometry): boolean {
  const { xLength, colsLength, scalars } = im2colOperands(g);
  if (!beginStaging(stagedBytes(x, xLength) + stagedBytes(cols, colsLength))) return false;
  const xOff = place(x, xLength, true);
  const colsOff = place(cols, colsLength, false);
  const [batch, channels, height, width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW] = scalars;
  parallelFor('im2col', batch, 1, Math.ceil(MIN_PART_ELEMENTS / (colsLength / batch)),
    (args, lo, hi) => fillArgs(args, xOff, colsOff, scalars, lo, hi),
    (lo, hi) => ex.im2col(xOff, colsOff, batch, channels, height, width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW, lo, hi));
  copyOut(cols, colsOff, colsLength);
  return true;
}

/** The wasm col2im, split by samples like im2col (each sample's dx is written by one thread). */
export function col2imWasm(cols: Float32Array, x: Float32Array, g: WindowGeometry): boolean {
  const { xLength, colsLength, scalars } = im2colOperands(g);
  if (!beginStaging(stagedBytes(x, xLength) + stagedBytes(cols, colsLength))) return false;
  const colsOff = place(cols, colsLength, true);
  const xOff = place(x, xLength, false);
  const [batch, channels, height, width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW] = scalars;
  parallelFor('col2im', batch, 1, Math.ceil(MIN_PART_ELEMENTS / (colsLength / batch)),
    (args, lo, hi) => fillArgs(args, colsOff, xOff, scalars, lo, hi),
    (lo, hi) => ex.col2im(colsOff, xOff, batch, channels, height, width, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW, lo, hi));
  copyOut(x, xOff, xLength);
  return true;
}

/**
 * The lengths of im2col's two operands and the geometry unpacked once into the wasm export's scalar
 * arguments (the ABI takes positional integers; padBottom/padRight are implied by outH/outW).
 */
function im2colOperands(g: WindowGeometry): { xLength: number; colsLength: number; scalars: number[] } {
  const { batch, channels, inH, inW, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW } = g;
  return {
    xLength: batch * channels * inH * inW,
    colsLength: channels * kernelH * kernelW * batch * outH * outW,
    scalars: [batch, channels, inH, inW, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW],
  };
}

/** Max pooling with 2×2 windows, stride 2, no padding (the caller checks `g` is that window). */
export function maxPool2x2Wasm(x: Float32Array, y: Float32Array, argmax: Int32Array, g: WindowGeometry): boolean {
  const { inH: height, inW: width, outH, outW } = g;
  const planes = g.batch * g.channels;
  const xLength = planes * height * width;
  const yLength = planes * outH * outW;
  if (!beginStaging(stagedBytes(x, xLength) + stagedBytes(y, yLength) + stagedBytes(argmax, yLength))) return false;
  const xOff = place(x, xLength, true);
  const yOff = place(y, yLength, false);
  const argOff = place(argmax, yLength, false);
  parallelFor('maxPool2x2', planes, 1, Math.ceil(MIN_PART_ELEMENTS / (height * width)),
    (args, lo, hi) => fillArgs(args, xOff, yOff, [argOff, planes, height, width, outH, outW], lo, hi),
    (lo, hi) => ex.maxPool2x2(xOff, yOff, argOff, planes, height, width, outH, outW, lo, hi));
  copyOut(y, yOff, yLength);
  copyOut(argmax, argOff, yLength);
  return true;
}

/** `planes` (optional) lets the work split by whole planes over the threads; without it, one thread. */
export function maxPoolBackwardWasm(
  dy: Float32Array, argmax: Int32Array, dx: Float32Array, inputLength: number, outputLength: number, planes = 1,
): boolean {
  if (!beginStaging(stagedBytes(dy, outputLength) + stagedBytes(argmax, outputLength) + stagedBytes(dx, inputLength))) return false;
  const dyOff = place(dy, outputLength, true);
  const argOff = place(argmax, outputLength, true);
  const dxOff = place(dx, inputLength, false);
  const inPlane = inputLength / planes, outPlane = outputLength / planes;
  if (!Number.isInteger(inPlane) || !Number.isInteger(outPlane)) {
    ex.maxPoolBackward(dyOff, argOff, dxOff, 0, inputLength, 0, outputLength, 0, 0);
  } else {
    parallelFor('maxPoolBackward', planes, 1, Math.ceil(MIN_PART_ELEMENTS / inPlane),
      (args, lo, hi) => {
        args[0] = dyOff; args[1] = argOff; args[2] = dxOff;
        args[3] = lo * inPlane; args[4] = (hi - lo) * inPlane; args[5] = lo * outPlane; args[6] = hi * outPlane;
        args[7] = inPlane; args[8] = outPlane;
      },
      (lo, hi) => ex.maxPoolBackward(dyOff, argOff, dxOff, lo * inPlane, (hi - lo) * inPlane, lo * outPlane, hi * outPlane, inPlane, outPlane));
  }
  copyOut(dx, dxOff, inputLength);
  return true;
}

export function reluForwardWasm(x: Float32Array, y: Float32Array, n: number): boolean {
  if (!beginStaging(stagedBytes(x, n) + stagedBytes(y, n))) return false;
  const xOff = place(x, n, true);
  const yOff = place(y, n, false);
  parallelFor('reluForward', n, LINE, MIN_PART_ELEMENTS,
    (args, lo, hi) => { args[0] = xOff + lo * 4; args[1] = yOff + lo * 4; args[2] = hi - lo; },
    (lo, hi) => ex.reluForward(xOff + lo * 4, yOff + lo * 4, hi - lo));
  copyOut(y, yOff, n);
  return true;
}

export function reluBackwardWasm(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number): boolean {
  if (!beginStaging(stagedBytes(x, n) + stagedBytes(dy, n) + stagedBytes(dx, n))) return false;
  const xOff = place(x, n, true);
  const dyOff = place(dy, n, true);
  const dxOff = place(dx, n, false);
  parallelFor('reluBackward', n, LINE, MIN_PART_ELEMENTS,
    (args, lo, hi) => { args[0] = xOff + lo * 4; args[1] = dyOff + lo * 4; args[2] = dxOff + lo * 4; args[3] = hi - lo; },
    (lo, hi) => ex.reluBackward(xOff + lo * 4, dyOff + lo * 4, dxOff + lo * 4, hi - lo));
  copyOut(dx, dxOff, n);
  return true;
}

export function filterRowsToBatchWasm(
  src: Float32Array, dst: Float32Array, filters: number, batch: number, plane: number, bias: Float32Array | undefined,
): boolean {
  const length = filters * batch * plane;
  const biasBytes = bias === undefined ? 0 : stagedBytes(bias, filters);
  if (!beginStaging(stagedBytes(src, length) + stagedBytes(dst, length) + biasBytes)) return false;
  const srcOff = place(src, length, true);
  const dstOff = place(dst, length, false);
  const biasOff = bias === undefined ? 0 : place(bias, filters, true);
  parallelFor('filterRowsToBatch', filters, 1, Math.ceil(MIN_PART_ELEMENTS / (batch * plane)),
    (args, lo, hi) => fillArgs(args, srcOff, dstOff, [filters, batch, plane, biasOff], lo, hi),
    (lo, hi) => ex.filterRowsToBatch(srcOff, dstOff, filters, batch, plane, biasOff, lo, hi));
  copyOut(dst, dstOff, length);
  return true;
}

export function batchToFilterRowsWasm(
  src: Float32Array, dst: Float32Array, filters: number, batch: number, plane: number, biasGrad: Float32Array | undefined,
): boolean {
  const length = filters * batch * plane;
  const biasBytes = biasGrad === undefined ? 0 : stagedBytes(biasGrad, filters);
  if (!beginStaging(stagedBytes(src, length) + stagedBytes(dst, length) + biasBytes)) return false;
  const srcOff = place(src, length, true);
  const dstOff = place(dst, length, false);
  const gradOff = biasGrad === undefined ? 0 : place(biasGrad, filters, true);
  parallelFor('batchToFilterRows', filters, 1, Math.ceil(MIN_PART_ELEMENTS / (batch * plane)),
    (args, lo, hi) => fillArgs(args, srcOff, dstOff, [filters, batch, plane, gradOff], lo, hi),
    (lo, hi) => ex.batchToFilterRows(srcOff, dstOff, filters, batch, plane, gradOff, lo, hi));
  copyOut(dst, dstOff, length);
  if (biasGrad !== undefined) copyOut(biasGrad, gradOff, filters);
  return true;
}

/** Adam with the bias corrections folded into stepSize and epsHat (see assembly/optimizer.ts). */
export function adamUpdateWasm(
  value: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, n: number,
  stepSize: number, beta1: number, beta2: number, epsHat: number, gradScale: number, decay: number,
): boolean {
  if (!beginStaging(stagedBytes(value, n) + stagedBytes(grad, n) + stagedBytes(m, n) + stagedBytes(v, n))) return false;
  const wOff = place(value, n, true);
  const gOff = place(grad, n, true);
  const mOff = place(m, n, true);
  const vOff = place(v, n, true);
  parallelFor('adamUpdate', n, LINE, MIN_PART_ELEMENTS,
    (args, lo, hi) => {
      args[0] = wOff + lo * 4; args[1] = gOff + lo * 4; args[2] = mOff + lo * 4; args[3] = vOff + lo * 4; args[4] = hi - lo;
      args[5] = stepSize; args[6] = beta1; args[7] = 1 - beta1; args[8] = beta2; args[9] = 1 - beta2;
      args[10] = epsHat; args[11] = gradScale; args[12] = decay;
    },
    (lo, hi) => ex.adamUpdate(wOff + lo * 4, gOff + lo * 4, mOff + lo * 4, vOff + lo * 4, hi - lo,
      stepSize, beta1, 1 - beta1, beta2, 1 - beta2, epsHat, gradScale, decay));
  copyOut(value, wOff, n);
  copyOut(m, mOff, n);
  copyOut(v, vOff, n);
  return true;
}

/**
 * Whether a's first n floats are all finite (one thread: a few µs for a net's gradients); undefined
 * when a is not in the wasm memory.
 */
export function allFiniteWasm(a: Float32Array, n: number): boolean | undefined {
  if (!isResident(a)) return undefined;
  if (a.length < n) throw new RangeError(`kernel operand has ${a.length} elements, the call needs ${n}`);
  return ex.allFinite(a.byteOffset, n) === 1;
}

/** y[i, j] += b[j] over [rows × cols]; one thread (a dense layer's output is small). */
export function addRowVectorWasm(y: Float32Array, b: Float32Array, rows: number, cols: number): boolean {
  const n = rows * cols;
  if (!beginStaging(stagedBytes(y, n) + stagedBytes(b, cols))) return false;
  const yOff = place(y, n, true);
  ex.addRowVector(yOff, place(b, cols, true), rows, cols);
  copyOut(y, yOff, n);
  return true;
}

/** s[j] += Σᵢ x[i, j] over [rows × cols]; one thread. */
export function accumulateColumnSumsWasm(x: Float32Array, s: Float32Array, rows: number, cols: number): boolean {
  if (!beginStaging(stagedBytes(x, rows * cols) + stagedBytes(s, cols))) return false;
  const xOff = place(x, rows * cols, true);
  const sOff = place(s, cols, true);
  ex.accumulateColumnSums(xOff, sOff, rows, cols);
  copyOut(s, sOff, cols);
  return true;
}

/** a[0 … n) = 0 when a lies in the wasm memory (false otherwise: a heap array's own fill is fast). */
export function fillZeroWasm(a: Float32Array | Int32Array, n: number): boolean {
  if (!isResident(a)) return false;
  if (a.length < n) throw new RangeError(`kernel operand has ${a.length} elements, the call needs ${n}`);
  ex.fillZero(a.byteOffset, n);
  return true;
}

/**
 * BatchNorm's per-channel f64 accumulators (16 bytes a channel), staged per call with no copy in or
 * out: a heap array only gives `place` its size. Grown, never shrunk.
 */
let bnScratch = new Float32Array(0);
function channelScratch(channels: number): Float32Array {
  if (bnScratch.length < 4 * channels) bnScratch = new Float32Array(4 * channels);
  return bnScratch;
}

/**
 * BatchNorm forward over NCHW (spatial = H·W) or [N, D] (spatial = 1) data, split by channels (a
 * channel's statistics come from one thread: bit-identical for any thread count). See
 * src/kernels/batchnorm.ts for the meaning of the arguments.
 */
export function batchNormForwardWasm(
  x: Float32Array, y: Float32Array, gamma: Float32Array, beta: Float32Array,
  mean: Float32Array, variance: Float32Array, invStd: Float32Array,
  batch: number, channels: number, spatial: number, eps: number, training: boolean,
): boolean {
  const n = batch * channels * spatial;
  const c = channels;
  if (!beginStaging(stagedBytes(x, n) + stagedBytes(y, n) + stagedBytes(gamma, c) + stagedBytes(beta, c) +
    stagedBytes(mean, c) + stagedBytes(variance, c) + stagedBytes(invStd, c) + stagedBytes(channelScratch(c), 4 * c))) return false;
  const xOff = place(x, n, true);
  const yOff = place(y, n, false);
  const gOff = place(gamma, c, true);
  const bOff = place(beta, c, true);
  const mOff = place(mean, c, !training);
  const vOff = place(variance, c, !training);
  const iOff = place(invStd, c, false);
  const accOff = place(channelScratch(c), 4 * c, false);
  const t = training ? 1 : 0;
  parallelFor('batchNormForward', channels, 1, Math.ceil(MIN_PART_ELEMENTS / (batch * spatial)),
    (args, lo, hi) => {
      args[0] = xOff; args[1] = yOff; args[2] = gOff; args[3] = bOff; args[4] = mOff; args[5] = vOff; args[6] = iOff; args[7] = accOff;
      args[8] = batch; args[9] = channels; args[10] = spatial; args[11] = eps; args[12] = t; args[13] = lo; args[14] = hi;
    },
    (lo, hi) => ex.batchNormForward(xOff, yOff, gOff, bOff, mOff, vOff, iOff, accOff, batch, channels, spatial, eps, t, lo, hi));
  copyOut(y, yOff, n);
  if (training) {
    copyOut(mean, mOff, c);
    copyOut(variance, vOff, c);
  }
  copyOut(invStd, iOff, c);
  return true;
}

/** BatchNorm backward (x̂ recomputed from x, mean and invStd), split by channels like the forward. */
export function batchNormBackwardWasm(
  dy: Float32Array, x: Float32Array, mean: Float32Array, dx: Float32Array, gamma: Float32Array, invStd: Float32Array,
  sumDy: Float32Array, sumDyXhat: Float32Array, batch: number, channels: number, spatial: number, training: boolean,
): boolean {
  const n = batch * channels * spatial;
  const c = channels;
  if (!beginStaging(stagedBytes(dy, n) + stagedBytes(x, n) + stagedBytes(mean, c) + stagedBytes(dx, n) + stagedBytes(gamma, c) +
    stagedBytes(invStd, c) + stagedBytes(sumDy, c) + stagedBytes(sumDyXhat, c) + stagedBytes(channelScratch(c), 4 * c))) return false;
  const dyOff = place(dy, n, true);
  const xOff = place(x, n, true);
  const mOff = place(mean, c, true);
  const dxOff = place(dx, n, false);
  const gOff = place(gamma, c, true);
  const iOff = place(invStd, c, true);
  const sOff = place(sumDy, c, false);
  const shOff = place(sumDyXhat, c, false);
  const accOff = place(channelScratch(c), 4 * c, false);
  const t = training ? 1 : 0;
  parallelFor('batchNormBackward', channels, 1, Math.ceil(MIN_PART_ELEMENTS / (batch * spatial)),
    (args, lo, hi) => {
      args[0] = dyOff; args[1] = xOff; args[2] = mOff; args[3] = dxOff; args[4] = gOff; args[5] = iOff; args[6] = sOff; args[7] = shOff; args[8] = accOff;
      args[9] = batch; args[10] = channels; args[11] = spatial; args[12] = t; args[13] = lo; args[14] = hi;
    },
    (lo, hi) => ex.batchNormBackward(dyOff, xOff, mOff, dxOff, gOff, iOff, sOff, shOff, accOff, batch, channels, spatial, t, lo, hi));
  copyOut(dx, dxOff, n);
  copyOut(sumDy, sOff, c);
  copyOut(sumDyXhat, shOff, c);
  return true;
}

/** args = [p0, p1, ...rest, lo, hi]: the shape of every range-split kernel's argument list. */
function fillArgs(args: Float64Array, p0: number, p1: number, rest: readonly number[], lo: number, hi: number): void {
  args[0] = p0;
  args[1] = p1;
  for (let i = 0; i < rest.length; i++) args[2 + i] = rest[i];
  args[2 + rest.length] = lo;
  args[3 + rest.length] = hi;
}
