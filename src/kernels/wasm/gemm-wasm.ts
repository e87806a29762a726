/**
 * The three matrix-multiply forms on the wasm SIMD GEMM. Operands that live in the wasm memory
 * (arena.ts) are used in place; others are copied in (and C back out) through staging.ts — a few
 * percent of a (100×784)·(784×100) product.
 */
import { alignUp, wasmKernels } from './loader';
import { allocBlock } from './arena';
import { beginStaging, copyOut, place, stagedBytes } from './staging';
import { beginBatch, getThreads, start, waitAll, workerArgs } from './threads';
import type { WindowGeometry } from '../conv-geometry';
import { runSparseWeightGradient, sparseWeightGradientNonzeros } from './conv-weight-gradient-sparse';

/** Below this many multiply-adds a product runs on one thread: waking a worker costs ~10–50 µs. */
const PARALLEL_MIN_MADDS = 1 << 18;
const MR = 4;
const NR = 8;

const kernels = wasmKernels;
const workspaceBytes = kernels === null ? 0 : alignUp(kernels.exports.gemmWorkspaceBytes());
/** Each thread's GEMM workspace (packed A and B panels), allocated on first use and kept. */
const workspaces: number[] = [];

function workspace(t: number): number {
  while (workspaces.length <= t) {
    workspaces.push(allocBlock(workspaceBytes, 'GEMM workspace'));
  }
  return workspaces[t];
}

/** Which matrix-multiply form: how A and B are stored. */
export type GemmForm = typeof FORM_AB | typeof FORM_ATB | typeof FORM_ABT;
/** C = A·B, A [m×k], B [k×n]. */
export const FORM_AB = 0;
/** C = Aᵀ·B, A stored [k×m], B [k×n]. */
export const FORM_ATB = 1;
/** C = A·Bᵀ, A [m×k], B stored [n×k]. */
export const FORM_ABT = 2;

/**
 * C[m×n] (+)= op(A)·op(B) on the wasm kernel; arguments already validated by the caller.
 * Returns true; when the wasm memory is exhausted, staging throws a KernelMemoryError (arena.ts).
 */
export function gemmWasm(
  form: GemmForm, a: Float32Array, b: Float32Array, c: Float32Array,
  m: number, k: number, n: number, accumulate: boolean,
): boolean {
  if (m === 0 || n === 0) return true;
  if (!beginStaging(stagedBytes(a, m * k) + stagedBytes(b, k * n) + stagedBytes(c, m * n))) return false;
  const aOff = place(a, m * k, true);
  const bOff = place(b, k * n, true);
  const cOff = place(c, m * n, accumulate);
  if (form === FORM_ABT && useAbtKernel(m, k, n)) {
    runGemmAbt(aOff, bOff, cOff, m, k, n, accumulate);
    copyOut(c, cOff, m * n);
    return true;
  }
  const aRs = form === FORM_ATB ? 1 : k;
  const aCs = form === FORM_ATB ? m : 1;
  const bRs = form === FORM_ABT ? 1 : n;
  const bCs = form === FORM_ABT ? k : 1;
  runGemm(aOff, aRs, aCs, bOff, bRs, bCs, cOff, m, k, n, accumulate);

  copyOut(c, cOff, m * n);
  return true;
}

/**
 * Runs the kernel on operands already in wasm memory, split over the threads: by 4-row blocks or by
 * 8-column panels of C, whichever balances better. Any split gives the same bits (see gemm.ts in assembly/).
 */
export function runGemm(
  aOff: number, aRs: number, aCs: number, bOff: number, bRs: number, bCs: number, cOff: number,
  m: number, k: number, n: number, accumulate: boolean,
): void {
  const ex = kernels!.exports;
  const acc = accumulate ? 1 : 0;
  const threads = getThreads();
  const rowBlocks = Math.ceil(m / MR);
  const colPanels = Math.ceil(n / NR);
  if (threads === 1 || m * k * n < PARALLEL_MIN_MADDS || (rowBlocks === 1 && colPanels === 1)) {
    ex.gemm(aOff, aRs, aCs, bOff, bRs, bCs, cOff, n, k, 0, m, 0, n, acc, workspace(0));
    return;
  }
  // The split whose largest part has the fewest tiles (ties: rows, whose parts share nothing).
  const byRows = Math.ceil(rowBlocks / Math.min(threads, rowBlocks)) * colPanels;
  const byCols = Math.ceil(colPanels / Math.min(threads, colPanels)) * rowBlocks;
  const splitRows = byRows <= byCols;
  const units = splitRows ? rowBlocks : colPanels;
  const parts = Math.min(threads, units);
  const seq = beginBatch();
  for (let t = 1; t < parts; t++) {
    const [lo, hi] = partRange(units, parts, t, splitRows ? MR : NR, splitRows ? m : n);
    const args = workerArgs(t - 1);
    args[0] = aOff; args[1] = aRs; args[2] = aCs; args[3] = bOff; args[4] = bRs; args[5] = bCs;
    args[6] = cOff; args[7] = n; args[8] = k;
    args[9] = splitRows ? lo : 0; args[10] = splitRows ? hi : m;
    args[11] = splitRows ? 0 : lo; args[12] = splitRows ? n : hi;
    args[13] = acc; args[14] = workspace(t);
    start(t - 1, 'gemm', seq);
  }
  const [lo, hi] = partRange(units, parts, 0, splitRows ? MR : NR, splitRows ? m : n);
  if (splitRows) ex.gemm(aOff, aRs, aCs, bOff, bRs, bCs, cOff, n, k, lo, hi, 0, n, acc, workspace(0));
  else ex.gemm(aOff, aRs, aCs, bOff, bRs, bCs, cOff, n, k, 0, m, lo, hi, acc, workspace(0));
  waitAll(parts - 1, seq);
}

/**
 * A·Bᵀ with a long sum into a small C (Conv2D's dW: 30×25 outputs over k = 57,600 in SimpleConvNet) goes to
 * the tiled dot-product kernel (assembly/gemm-abt.ts): no packing, no tile waste. Its lanes (16 bytes per
 * output, 32 KB at most here) live in the thread's GEMM workspace. Measured (issue 13, 2-core EPYC, CPU ms,
 * old and new alternated, docs/speed.md): 30×57600×25 and 16×78400×25 take 0.60–0.75× the time of the
 * dot kernel before it, 32×19600×50 ~0.85–0.9× the packed GEMM's; 64×19600×64 and 32×19600×400 are ties
 * within noise (0.95–1.09×), so from 64×64 outputs on the packed GEMM keeps them.
 */
function useAbtKernel(m: number, k: number, n: number): boolean {
  return k >= 1024 && m * n <= 2048;
}

/**
 * C[m×n] (+)= A·Bᵀ on the tiled dot-product kernel (assembly/gemm-abt.ts). Split over the threads by 3-row
 * tiles of C, or by 3-column tiles when there are fewer row tiles than threads: any split gives the same
 * bits (each output's sum is one fixed sequence, see the kernel's header).
 */
function runGemmAbt(aOff: number, bOff: number, cOff: number, m: number, k: number, n: number, accumulate: boolean): void {
  const ex = kernels!.exports;
  const acc = accumulate ? 1 : 0;
  const threads = getThreads();
  if (threads === 1 || m * k * n < PARALLEL_MIN_MADDS) {
    ex.gemmAbt(aOff, k, bOff, k, cOff, n, k, 0, m, 0, n, acc, workspace(0));
    return;
  }
  const splitRows = Math.ceil(m / 3) >= threads;
  const units = splitRows ? Math.ceil(m / 3) : Math.ceil(n / 3);
  const size = splitRows ? m : n;
  const parts = Math.min(threads, units);
  const seq = beginBatch();
  for (let t = 1; t < parts; t++) {
    const [lo, hi] = partRange(units, parts, t, 3, size);
    const args = workerArgs(t - 1);
    args[0] = aOff; args[1] = k; args[2] = bOff; args[3] = k; args[4] = cOff; args[5] = n; args[6] = k;
    args[7] = splitRows ? lo : 0; args[8] = splitRows ? hi : m;
    args[9] = splitRows ? 0 : lo; args[10] = splitRows ? n : hi;
    args[11] = acc; args[12] = workspace(t);
    start(t - 1, 'gemmAbt', seq);
  }
  const [lo, hi] = partRange(units, parts, 0, 3, size);
  if (splitRows) ex.gemmAbt(aOff, k, bOff, k, cOff, n, k, lo, hi, 0, n, acc, workspace(0));
  else ex.gemmAbt(aOff, k, bOff, k, cOff, n, k, 0, m, lo, hi, acc, workspace(0));
  waitAll(parts - 1, seq);
}

/** Part t of `units` tiles of `unit` elements split into `parts` near-equal runs, clipped to `size`. */
function partRange(units: number, parts: number, t: number, unit: number, size: number): [number, number] {
  const lo = Math.floor((units * t) / parts) * unit;
  const hi = Math.min(size, Math.floor((units * (t + 1)) / parts) * unit);
  return [lo, hi];
}

/**
 * Conv2D forward's product into NCHW, bias included (assembly/conv-product.ts): y[n] = bias + W·patches_n
 * for every sample n, the patches built from x itself (an implicit GEMM: the batch's cols is not read),
 * split over the threads by whole samples (each sample's bits do not depend on the split).
 * `bias` may be undefined (no bias). Returns true; staging throws a KernelMemoryError when memory runs out.
 */
export function convForwardProductWasm(
  w: Float32Array, x: Float32Array, y: Float32Array, bias: Float32Array | undefined, filters: number, g: WindowGeometry,
): boolean {
  const batch = g.batch, plane = g.outH * g.outW, k = g.channels * g.kernelH * g.kernelW;
  if (batch === 0 || filters === 0 || plane <= 0) return true;
  const xLength = batch * g.channels * g.inH * g.inW;
  const yLength = batch * filters * plane;
  if (!beginStaging(stagedBytes(w, filters * k) + stagedBytes(x, xLength) + stagedBytes(y, yLength) +
    (bias === undefined ? 0 : stagedBytes(bias, filters)))) return false;
  const wOff = place(w, filters * k, true);
  const xOff = place(x, xLength, true);
  const yOff = place(y, yLength, false);
  const biasOff = bias === undefined ? 0 : place(bias, filters, true);
  const ex = kernels!.exports;
  const geometry = [g.channels, g.inH, g.inW, g.kernelH, g.kernelW, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW];
  const parts = Math.min(getThreads(), batch, Math.max(1, Math.floor((filters * k * plane * batch) / PARALLEL_MIN_MADDS)));
  const run = (n0: number, n1: number, ws: number) =>
    ex.convForwardProduct(wOff, xOff, yOff, biasOff, filters, ...(geometry as Geometry11), n0, n1, ws);
  if (parts <= 1) {
    run(0, batch, workspace(0));
  } else {
    const seq = beginBatch();
    for (let t = 1; t < parts; t++) {
      const args = workerArgs(t - 1);
      args[0] = wOff; args[1] = xOff; args[2] = yOff; args[3] = biasOff; args[4] = filters;
      args.set(geometry, 5);
      args[16] = Math.floor((batch * t) / parts); args[17] = Math.floor((batch * (t + 1)) / parts);
      args[18] = workspace(t);
      start(t - 1, 'convForwardProduct', seq);
    }
    run(0, Math.floor(batch / parts), workspace(0));
    waitAll(parts - 1, seq);
  }
  copyOut(y, yOff, yLength);
  return true;
}

/**
 * Conv2D backward's input gradient (assembly/conv-input-gradient.ts): dx[n] = col2im(Wᵀ·dy_n) per sample, each
 * sample's dcols in its thread's workspace (no batch-sized [K × N·P] matrix), or for stride 1 each tile of
 * Wᵀ·dy_n added straight into dx (conv-input-gradient-scatter.ts, same bits); split over the threads by whole
 * samples. Returns false when neither fits the workspace (the caller's per-sample fallback).
 */
export function convInputGradientWasm(w: Float32Array, dy: Float32Array, dx: Float32Array, filters: number, g: WindowGeometry): boolean {
  const batch = g.batch, plane = g.outH * g.outW, k = g.channels * g.kernelH * g.kernelW;
  const ex = kernels!.exports;
  if (!ex.convInputGradientTakes(filters, g.channels, g.kernelH, g.kernelW, g.strideH, g.strideW, g.outH, g.outW)) return false;
  const dxLength = batch * g.channels * g.inH * g.inW;
  const dyLength = batch * filters * plane;
  if (batch === 0 || dxLength === 0) return true;
  if (!beginStaging(stagedBytes(w, filters * k) + stagedBytes(dy, dyLength) + stagedBytes(dx, dxLength))) return false;
  const wOff = place(w, filters * k, true);
  const dyOff = place(dy, dyLength, true);
  const dxOff = place(dx, dxLength, false);
  const geometry = [g.channels, g.inH, g.inW, g.kernelH, g.kernelW, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW];
  const parts = Math.min(getThreads(), batch, Math.max(1, Math.floor((filters * k * plane * batch) / PARALLEL_MIN_MADDS)));
  if (parts <= 1) {
    ex.convInputGradient(wOff, dyOff, dxOff, filters, ...(geometry as Geometry11), 0, batch, workspace(0));
  } else {
    const seq = beginBatch();
    for (let t = 1; t < parts; t++) {
      const args = workerArgs(t - 1);
      args[0] = wOff; args[1] = dyOff; args[2] = dxOff; args[3] = filters;
      args.set(geometry, 4);
      args[15] = Math.floor((batch * t) / parts); args[16] = Math.floor((batch * (t + 1)) / parts);
      args[17] = workspace(t);
      start(t - 1, 'convInputGradient', seq);
    }
    ex.convInputGradient(wOff, dyOff, dxOff, filters, ...(geometry as Geometry11), 0, Math.floor(batch / parts), workspace(0));
    waitAll(parts - 1, seq);
  }
  copyOut(dx, dxOff, dxLength);
  return true;
}

/**
 * Each thread's patch buffer for Conv2D's weight gradient (convWeightGradientWasm; 512 KiB: the zero-padded
 * sample and a block of its patches), allocated on first use and kept: part of the thread's GEMM workspace
 * for memoryStats (a kernel's own block for the life of the process, docs/memory.md), not a layer's.
 */
const patchBuffers: number[] = [];

function patchBuffer(t: number): number {
  const bytes = kernels!.exports.convWeightGradientPatchFloats() * 4;
  while (patchBuffers.length <= t) patchBuffers.push(allocBlock(bytes, 'GEMM workspace'));
  return patchBuffers[t];
}

/** Conv2D dW's paths (assembly/conv-weight-gradient.ts): the in-place GEMM, the dot-product path, the kw = 5 runs. */
type WeightGradientPath = 0 | 1 | 2;
const PATH_IN_PLACE = 0, PATH_DOT = 1, PATH_RUNS = 2;

/** Whether a thread's buffers hold what `path` needs for dW of `filters` filters. */
function weightGradientFits(g: WindowGeometry, filters: number, path: WeightGradientPath): boolean {
  const ex = kernels!.exports;
  return ex.convWeightGradientFits(filters, g.channels, g.kernelH, g.kernelW, g.strideH, g.strideW, g.outH, g.outW, path) !== 0;
}

/**
 * Whether convWeightGradientWasm takes this window (one sample's patches fit a thread's patch buffer on one of
 * its paths; it may still decline a layer with an extraordinary number of filters, whose fallback then runs im2col itself).
 */
export function convWeightGradientFits(g: WindowGeometry): boolean {
  return kernels !== null && [PATH_IN_PLACE, PATH_DOT, PATH_RUNS].some((path) => weightGradientFits(g, 1, path as WeightGradientPath));
}

/**
 * Which path Conv2D's dW of `filters` filters over this window takes: windows 5 wide the runs (2: patches
 * read in place from the padded sample, no copy — issue 13R: faster than both others on the MNIST models'
 * shapes, docs/speed.md), else the dot-product one (1) for a small dW with a long sum (useAbtKernel), else
 * the in-place GEMM (0); null when none fits.
 */
function weightGradientPath(filters: number, g: WindowGeometry): WeightGradientPath | null {
  if (g.kernelW === 5 && weightGradientFits(g, filters, PATH_RUNS)) return PATH_RUNS;
  const dot = useAbtKernel(filters, g.batch * g.outH * g.outW, g.channels * g.kernelH * g.kernelW);
  if (dot && weightGradientFits(g, filters, PATH_DOT)) return PATH_DOT;
  return weightGradientFits(g, filters, PATH_IN_PLACE) ? PATH_IN_PLACE : null;
}

/**
 * Conv2D backward's dW += Σ_n dy_n · patches_nᵀ (assembly/conv-weight-gradient.ts), the patches built per
 * sample from x (no batch column matrix, no rearranged dy), and biasGrad += Σ_{n,p} dy when given (on the
 * way: each thread its rows of filters, all of them on the calling thread when split by columns). Split over the threads by blocks of dW, never by samples, so every
 * element's sum walks the samples in order whatever the thread count: the in-place GEMM by 8-column panels
 * (each thread builds only its columns of the patches), the dot path by 3-row tiles of filters (each
 * thread reads only its rows of dy — the big operand there, 6.9 MB for SimpleConvNet at batch 100 — and
 * builds the sample's few patch rows itself), by 3-column tiles when there are fewer row tiles than
 * threads, the runs by 8-filter panels (each thread transposes only its rows of dy), by whole runs of kw
 * columns when there are fewer panels than threads. Returns false when the window does not fit the chosen path (the caller's batch-wide fallback).
 */
export function convWeightGradientWasm(
  dy: Float32Array, x: Float32Array, dw: Float32Array, biasGrad: Float32Array | undefined, filters: number, g: WindowGeometry,
): boolean {
  const path = kernels === null ? null : weightGradientPath(filters, g);
  if (path === null) return false;
  const batch = g.batch, plane = g.outH * g.outW, k = g.channels * g.kernelH * g.kernelW;
  const xLength = batch * g.channels * g.inH * g.inW, dyLength = batch * filters * plane;
  if (!beginStaging(stagedBytes(dy, dyLength) + stagedBytes(x, xLength) + stagedBytes(dw, filters * k) +
    (biasGrad === undefined ? 0 : stagedBytes(biasGrad, filters)))) return false;
  const dyOff = place(dy, dyLength, true), xOff = place(x, xLength, true), dwOff = place(dw, filters * k, true);
  const biasOff = biasGrad === undefined ? 0 : place(biasGrad, filters, true);
  const ex = kernels!.exports;
  const geometry = [g.channels, g.inH, g.inW, g.kernelH, g.kernelW, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW];
  // A mostly-zero dy (Conv2D → ReLU → MaxPool) takes the zero-skipping kernel (conv-weight-gradient-sparse.ts).
  const nonzeros = sparseWeightGradientNonzeros(dyOff, xOff, xLength, filters, g);
  if (nonzeros >= 0) {
    runSparseWeightGradient(dyOff, xOff, dwOff, biasOff, filters, geometry, batch, nonzeros, k, (t) => [workspace(t), patchBuffer(t)]);
    copyOut(dw, dwOff, filters * k);
    if (biasGrad !== undefined) copyOut(biasGrad, biasOff, filters);
    return true;
  }
  const threads = getThreads();
  // Rows: 3-row tiles on the dot path, 8-filter panels on the runs; columns: 8-column panels, 3-column tiles, whole runs.
  const rowUnit = path === PATH_DOT ? 3 : path === PATH_RUNS ? 8 : 0;
  const byRows = rowUnit > 0 && Math.ceil(filters / rowUnit) >= threads;
  const unit = byRows ? rowUnit : path === PATH_DOT ? 3 : path === PATH_RUNS ? g.kernelW : NR;
  const size = byRows ? filters : k, units = Math.ceil(size / unit);
  const parts = Math.min(threads, units, Math.max(1, Math.floor((filters * k * plane * batch) / PARALLEL_MIN_MADDS)));
  /** Part t's block of dW: [i0, i1, j0, j1). */
  const block = (t: number): [number, number, number, number] => {
    const [lo, hi] = partRange(units, parts, t, unit, size);
    return byRows ? [lo, hi, 0, k] : [0, filters, lo, hi];
  };
  const seq = parts > 1 ? beginBatch() : 0;
  for (let t = 1; t < parts; t++) {
    const args = workerArgs(t - 1);
    args[0] = dyOff; args[1] = xOff; args[2] = dwOff; args[3] = byRows ? biasOff : 0; args[4] = filters;
    args.set(geometry, 5);
    args[16] = batch; args.set(block(t), 17); args[21] = path; args[22] = workspace(t); args[23] = patchBuffer(t);
    start(t - 1, 'convWeightGradient', seq);
  }
  ex.convWeightGradient(dyOff, xOff, dwOff, biasOff, filters, ...(geometry as Geometry11), batch, ...block(0), path, workspace(0), patchBuffer(0));
  if (parts > 1) waitAll(parts - 1, seq);
  copyOut(dw, dwOff, filters * k);
  if (biasGrad !== undefined) copyOut(biasGrad, biasOff, filters);
  return true;
}

/** The window's eleven numbers as convForwardProduct takes them (channels … outW). */
type Geometry11 = [number, number, number, number, number, number, number, number, number, number, number];
