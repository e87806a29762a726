/**
 * Conv2D's dW when dy is mostly zeros (assembly/conv-weight-gradient-sparse.ts): the rule that picks it over
 * the dense paths of gemm-wasm.ts's convWeightGradientWasm, and its split over the threads.
 *
 * The rule is one count per call over rows of the whole batch's dy, before any split, so the choice (and with
 * it every bit of dW) never depends on the thread count: the sparse path runs when at least
 * SPARSE_MIN_ZERO_FRACTION of the sampled floats are ±0, SPARSE_MIN_K ≤ K = C·kh·kw ≤ SPARSE_MAX_K, and x is all finite
 * (the sparse path skips the 0·x terms, which the definition makes NaN where x is ±Inf or NaN). The sample is
 * every SAMPLE_STEP-th row of dy's N·F rows (P floats each; an odd step, so it walks through the filters
 * and the samples alike): a full count cost ~0.3 ms per call on SimpleConvNet, ~20 % of the sparse kernel,
 * and the default model's convs (behind BatchNorm: dense dy) would pay it for nothing.
 */
import { allocBlock, freeBlock } from './arena';
import { wasmKernels } from './loader';
import { beginBatch, getThreads, start, waitAll, workerArgs } from './threads';
import type { WindowGeometry } from '../conv-geometry';

/**
 * Fraction of dy's entries that must be ±0 for the sparse path. Measured (docs/speed.md, issue 13S): the kernel
 * alone against the dense one breaks even at ~50 % zeros for K = 25–27, ~60 % for K = 200–400, ~70 % for
 * K = 18 (5 vectors of accumulators padded to 7); a Conv2D → ReLU → 2×2 MaxPool has ≥ 75 %.
 */
export const SPARSE_MIN_ZERO_FRACTION = 0.7;
/**
 * K = C·kh·kw range of the sparse path. Below 16 the dense paths are cheap (K = 9: a tie at 85 % zeros, the
 * sparse kernel's patch build and gather cost as much as the products it skips); above 400 not measured.
 */
export const SPARSE_MIN_K = 16;
export const SPARSE_MAX_K = 400;
/** Every how many rows of dy the rule counts (odd; fewer when dy has under 64 such steps of rows). */
const SAMPLE_STEP = 17;
/**
 * Sample groups summed apart (each from 0, then added in order): threads take whole groups, so none builds
 * another's patchesᵀ (split by filter rows instead, every thread built every sample's: +0.5–0.8 CPU ms on 2
 * threads). Fixed, not the thread count, so the bits are the same on any number of threads; 4 keeps 2-4 threads busy.
 */
const SAMPLE_GROUPS = 4;
/** Below this many multiply-adds (nonzeros × K) the sparse path runs on one thread: waking a worker costs ~10–50 µs. */
const PARALLEL_MIN_MADDS = 1 << 18;

const kernels = wasmKernels;
/** Calls the sparse path has run (tests check that a case exercises it). */
let runs = 0;

/** How many Conv2D dW calls the sparse path has run in this process. */
export function sparseWeightGradientRuns(): number {
  return runs;
}

/**
 * The estimated count of nonzero entries of the batch's dy (wasm address dyOff, N·F rows of P floats) when the
 * sparse path takes this call, else −1.
 */
export function sparseWeightGradientNonzeros(dyOff: number, xOff: number, xLength: number, filters: number, g: WindowGeometry): number {
  const ex = kernels!.exports;
  const k = g.channels * g.kernelH * g.kernelW;
  if (k < SPARSE_MIN_K || k > SPARSE_MAX_K) return -1;
  if (!ex.sparseWeightGradientFits(filters, g.channels, g.kernelH, g.kernelW, g.strideH, g.strideW, g.outH, g.outW)) return -1;
  const rows = g.batch * filters, plane = g.outH * g.outW;
  if (rows === 0 || plane === 0) return -1;
  const step = Math.min(SAMPLE_STEP, Math.max(1, Math.floor(rows / 64))) | 1;
  const sampled = Math.ceil(rows / step);
  const nonzeros = ex.countNonzeroRows(dyOff, rows, plane, step);
  if (nonzeros > sampled * plane * (1 - SPARSE_MIN_ZERO_FRACTION) || ex.allFinite(xOff, xLength) !== 1) return -1;
  return Math.round((nonzeros * rows) / sampled);
}

/**
 * dW (+ db when biasOff ≠ 0) by the sparse kernel: G = min(SAMPLE_GROUPS, N) sample groups (a function of N
 * alone, so the bits do not depend on the thread count), split over the threads by whole groups, each
 * group's partial sums into its slot of the group buffer, then folded into dW and db in group order.
 * `buffers(t)` gives thread t's GEMM workspace and patch buffer.
 */
export function runSparseWeightGradient(
  dyOff: number, xOff: number, dwOff: number, biasOff: number, filters: number, geometry: number[], batch: number,
  nonzeros: number, k: number, buffers: (t: number) => [number, number],
): void {
  const ex = kernels!.exports;
  runs++;
  const groups = Math.min(SAMPLE_GROUPS, batch);
  const out = groupBuffer(groups * ex.sparseWeightGradientGroupBytes(filters, k));
  const parts = Math.min(getThreads(), groups, Math.max(1, Math.floor((nonzeros * k) / PARALLEL_MIN_MADDS)));
  const range = (t: number): [number, number] => [Math.floor((groups * t) / parts), Math.floor((groups * (t + 1)) / parts)];
  const seq = parts > 1 ? beginBatch() : 0;
  for (let t = 1; t < parts; t++) {
    const args = workerArgs(t - 1);
    args[0] = dyOff; args[1] = xOff; args[2] = filters;
    args.set(geometry, 3);
    args[14] = batch; args[15] = groups; args.set(range(t), 16); args[18] = out; args.set(buffers(t), 19);
    start(t - 1, 'convWeightGradientSparse', seq);
  }
  const [ws, patches] = buffers(0);
  const [g0, g1] = range(0);
  ex.convWeightGradientSparse(dyOff, xOff, filters, geometry[0], geometry[1], geometry[2], geometry[3], geometry[4],
    geometry[5], geometry[6], geometry[7], geometry[8], geometry[9], geometry[10], batch, groups, g0, g1, out, ws, patches);
  if (parts > 1) waitAll(parts - 1, seq);
  ex.sparseWeightGradientFold(dwOff, biasOff, filters, k, groups, out);
}

/** The sample groups' partial sums (a few KiB per group), allocated on first use and grown when a layer needs more. */
let groupBlock = -1, groupBlockBytes = 0;

function groupBuffer(bytes: number): number {
  if (bytes > groupBlockBytes) {
    if (groupBlock >= 0) freeBlock(groupBlock);
    groupBlock = allocBlock(bytes, 'GEMM workspace');
    groupBlockBytes = bytes;
  }
  return groupBlock;
}
