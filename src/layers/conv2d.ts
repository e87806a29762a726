/**
 * Conv2D: a 2-D convolution (cross-correlation, as in every DL framework) over NCHW images.
 *
 *   y[n, f, oy, ox] = b[f] + Σ_{c, ky, kx} W[f, c, ky, kx] · x[n, c, oy·sh − pt + ky, ox·sw − pl + kx]
 *
 * with zero padding and output size ⌊(n + 2p − f)/s⌋ + 1 per axis. 'valid' is p = 0; 'same' pads
 * max((⌈n/s⌉ − 1)·s + f − n, 0) cells in total so that the output is ⌈n/s⌉, the odd cell on the
 * bottom/right (TensorFlow's rule; see kernels/conv-geometry.ts).
 *
 * Computed as im2col of the whole batch (with the wasm kernels: in training only) + matrix products (the
 * GEMMs' long dimension is N·outH·outW in backward; forward runs one GEMM per sample, writing each
 * sample's [F × P] block of y in place):
 *   forward   cols = im2col(x)                 [C·kh·kw × N·P]      (P = outH·outW)
 *             y[n] = b + W · cols_n            [F × P] per sample, written into y [N, F, outH, outW] in place
 *                                              (kernels/conv-product.ts: no [F × N·P] product, no transpose)
 *   backward  dY = dy rearranged to            [F × N·P];  db += Σ_columns dY
 *             dW += dY · colsᵀ                 [F × C·kh·kw]
 *             dx[n] = col2im(Wᵀ · dy_n)        [N, C, H, W], sample by sample (kernels/conv-input-gradient.ts:
 *                                              no batch-sized column gradient)
 * Every buffer (including the column matrix) is allocated once per batch size.
 */
import { MemoryOwner } from '../memory';
import type { PaddingOption, PairOption, WindowGeometry } from '../kernels/conv-geometry';
import { checkPaddingOption, copyWindowOption } from './window-options';
import { WindowState } from './window-state';
import { pairOption } from '../options';
import { convForwardProduct } from '../kernels/conv-product';
import { matmulTransB } from '../kernels/gemm';
import { im2col } from '../kernels/im2col';
import { convInputGradient } from '../kernels/conv-input-gradient';
import { fillZero } from '../kernels/fill';
import { batchToFilterRows } from '../kernels/layout';
import { assertInitName, initWeights, type InitName } from './init';
import { booleanOption, optionsObject, positiveIntegerOption, requiredOption } from '../options';
import type { Rng } from '../random';
import { reuse, type Shape, type Tensor } from '../tensor';
import { makeParam, type Layer, type Param } from './layer';
import { paramValues } from './param-budget';

export interface Conv2DOptions {
  /** Number of output channels F. */
  filters: number;
  /** kh = kw, or [kh, kw]. */
  kernelSize: PairOption;
  /** Default 1; a number or [sh, sw]. */
  stride?: PairOption;
  /** Zero-padding cells per side (number or [ph, pw]), or 'same' / 'valid'. Default 0. */
  padding?: PaddingOption;
  /** Default true. */
  useBias?: boolean;
  /** Weight initialiser: 'he' (default, for a ReLU after) or 'xavier'. */
  init?: InitName;
}

/** The options with every default filled in: what config() returns. */
export interface Conv2DConfig {
  filters: number;
  kernelSize: PairOption;
  stride: PairOption;
  padding: PaddingOption;
  useBias: boolean;
  init: InitName;
}

export class Conv2D implements Layer {
  readonly kind = 'Conv2D';
  /** Owns this layer's blocks of the kernels' memory (docs/memory.md). */
  private readonly memory = new MemoryOwner('Conv2D');
  private readonly options: Conv2DConfig;
  private readonly kernel: [number, number];
  private readonly stride: [number, number];
  /** The input, its window geometry, and the output [N, F, outH, outW] and dx [N, C, H, W] buffers (shared with the pools). */
  private readonly window = new WindowState('Conv2D', this.memory);

  private weights: Param | undefined;
  private bias: Param | undefined;

  // Buffers, reused while the batch size stays the same.
  private cols: Tensor | undefined; //   [C·kh·kw, N·P]  forward's column matrix, kept for dW
  /** Whether cols holds im2col of the last forward's input (inference skips it: see forward). */
  private colsReady = false;
  /** The last forward's input: a backward after an inference forward (gradCheck) builds cols from it. */
  private input: Tensor | undefined;
  private product: Tensor | undefined; // [F, N·P]     dY rearranged, in backward
  private sampleCols: Tensor | undefined; // [C·kh·kw, P]  one sample's column gradient (dx without wasm)
  private backwardBatch = -1;
  /** Whether backward must compute dx (see Layer.setInputGradient). */
  private inputGradient = true;

  constructor(options: Conv2DOptions) {
    optionsObject('Conv2D', options, ['filters', 'kernelSize', 'stride', 'padding', 'useBias', 'init'], '{ filters: 8, kernelSize: 3 }');
    const { stride = 1, padding = 0, init = 'he' } = options;
    const filters = positiveIntegerOption('Conv2D', 'filters', options.filters);
    const kernelSize = requiredOption('Conv2D', 'kernelSize', options.kernelSize, 'a positive integer or [kh, kw]');
    this.kernel = pairOption(kernelSize, 'Conv2D', 'kernelSize');
    this.stride = pairOption(stride, 'Conv2D', 'stride');
    checkPaddingOption(padding, 'Conv2D');
    const useBias = booleanOption('Conv2D', 'useBias', options.useBias, true);
    assertInitName(init, 'Conv2D');
    this.options = { filters, kernelSize, stride, padding, useBias, init };
  }

  build(inputShape: Shape, rng: Rng): Shape {
    const { filters, init, useBias } = this.options;
    const geometry = this.window.build(inputShape, this.kernel, this.stride, this.options.padding, filters);
    const channels = geometry.channels;
    const [kh, kw] = this.kernel;
    const weightShape = [filters, channels, kh, kw];
    const w = paramValues(filters * channels * kh * kw);
    initWeights(init, rng, channels * kh * kw, filters * kh * kw, w);
    this.weights = makeParam('weights', weightShape, w, true, this.memory);
    this.bias = useBias ? makeParam('bias', [filters], paramValues(filters), false, this.memory) : undefined;
    this.backwardBatch = -1;
    return [filters, geometry.outH, geometry.outW];
  }

  forward(x: Tensor, training: boolean): Tensor {
    const g = this.window.forward(x);
    const w = this.weights!;
    const filters = this.options.filters;
    const cols = this.columns(g);
    const y = this.window.output!;
    this.input = x;
    // Only training's backward reads cols (dW): the wasm product rebuilds each sample's patches from x in
    // cache, so inference never writes the [C·kh·kw, N·P] matrix (31 MB at batch 100 for the default model's
    // second conv); the TypeScript product fills it itself when it runs.
    if (training) im2col(x.data, cols, g);
    this.colsReady = training;
    // y[n] = bias + W · cols_n, written in NCHW directly (no [F, N·P] product, no transpose pass).
    convForwardProduct(w.value, x.data, cols, y.data, this.bias?.value, filters, g, training);
    return y;
  }

  backward(dy: Tensor): Tensor {
    const g = this.window.backward(dy);
    const batch = g.batch;
    const filters = this.options.filters;
    const plane = g.outH * g.outW;
    const columns = batch * plane;
    const rows = g.channels * g.kernelH * g.kernelW;
    this.allocateBackward(batch, rows, columns);
    const dInput = this.window.dInput!;
    const dY = this.product!.data;
    // [N, F, P] → [F, N·P]; db[f] += Σ of row f.
    batchToFilterRows(dy.data, dY, filters, batch, plane, this.bias?.grad);
    const w = this.weights!;
    if (!this.colsReady) im2col(this.input!.data, this.cols!.data, g);
    this.colsReady = true;
    matmulTransB(dY, this.cols!.data, w.grad, filters, columns, rows, true);
    if (!this.inputGradient) {
      fillZero(dInput.data);
      return dInput;
    }
    // dx[n] = col2im(Wᵀ · dy_n) sample by sample, each sample's column gradient still in cache.
    convInputGradient(w.value, dy.data, dInput.data, filters, g, this.sampleCols!.data);
    return dInput;
  }

  setInputGradient(needed: boolean): void {
    this.inputGradient = needed;
  }

  params(): Param[] {
    if (!this.weights) return [];
    return this.bias ? [this.weights, this.bias] : [this.weights];
  }

  /** Gives back the layer's blocks of the kernels' memory (idempotent); using it afterwards throws DisposedError. */
  dispose(): void {
    this.memory.dispose();
  }

  config(): Conv2DConfig {
    const { filters, kernelSize, stride, padding, useBias, init } = this.options;
    return {
      filters, kernelSize: copyWindowOption(kernelSize), stride: copyWindowOption(stride), padding: copyWindowOption(padding), useBias, init,
    };
  }

  /** The column matrix [C·kh·kw, N·P] for the current batch size (remade when it changes). */
  private columns(g: WindowGeometry): Float32Array {
    this.cols = reuse(this.cols, [g.channels * g.kernelH * g.kernelW, g.batch * g.outH * g.outW], this.memory);
    return this.cols.data;
  }

  /** Backward's own buffers, allocated on the first backward for this batch size (inference never needs them). */
  private allocateBackward(batch: number, rows: number, columns: number): void {
    if (batch === this.backwardBatch) return;
    this.product = reuse(this.product, [this.options.filters, columns], this.memory);
    this.sampleCols = reuse(this.sampleCols, [rows, columns / batch], this.memory);
    this.backwardBatch = batch;
  }
}
