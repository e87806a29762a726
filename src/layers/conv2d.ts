/**
 * Conv2D: a 2-D convolution (cross-correlation, as in every DL framework) over NCHW images.
 *
 *   y[n, f, oy, ox] = b[f] + Σ_{c, ky, kx} W[f, c, ky, kx] · x[n, c, oy·sh − pt + ky, ox·sw − pl + kx]
 *
 * with zero padding and output size ⌊(n + 2p − f)/s⌋ + 1 per axis. 'valid' is p = 0; 'same' pads
 * max((⌈n/s⌉ − 1)·s + f − n, 0) cells in total so that the output is ⌈n/s⌉, the odd cell on the
 * bottom/right (TensorFlow's rule; see kernels/conv-geometry.ts).
 *
 * Computed as im2col of the whole batch + matrix products (the GEMMs' long dimension is N·outH·outW
 * in backward; forward runs one GEMM per sample, writing each sample's [F × P] block of y in place):
 *   forward   cols = im2col(x)                 [C·kh·kw × N·P]      (P = outH·outW)
 *             y[n] = b + W · cols_n            [F × P] per sample, written into y [N, F, outH, outW] in place
 *                                              (kernels/conv-product.ts: no [F × N·P] product, no transpose)
 *   backward  dY = dy rearranged to            [F × N·P];  db += Σ_columns dY
 *             dW += dY · colsᵀ                 [F × C·kh·kw]
 *             dx = col2im(Wᵀ · dY)             [N, C, H, W]
 * Every buffer (including the column matrix) is allocated once per batch size.
 */
import { MemoryOwner } from '../memory';
import { windowGeometry, type PaddingOption, type PairOption, type WindowGeometry } from '../kernels/conv-geometry';
import { checkPaddingOption, copyWindowOption, imageShape } from './window-options';
import { pairOption } from '../options';
import { convForwardProduct } from '../kernels/conv-product';
import { matmulTransA, matmulTransB } from '../kernels/gemm';
import { col2im, im2col } from '../kernels/im2col';
import { batchToFilterRows } from '../kernels/layout';
import { assertInitName, initWeights, type InitName } from './init';
import { booleanOption, optionsObject, positiveIntegerOption, requiredOption } from '../options';
import { notBuiltError } from '../errors';
import type { Rng } from '../random';
import { checkUpstreamGradient, checkBatch, reuse, type Shape, type Tensor } from '../tensor';
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

  private inputShape: Shape = [];
  private channels = 0;
  private height = 0;
  private width = 0;
  private geometry: WindowGeometry | undefined;
  private weights: Param | undefined;
  private bias: Param | undefined;

  // Buffers, reused while the batch size stays the same.
  private cols: Tensor | undefined; //   [C·kh·kw, N·P]  forward's column matrix, kept for dW
  private product: Tensor | undefined; // [F, N·P]     dY rearranged, in backward
  private output: Tensor | undefined; //  [N, F, outH, outW]
  private dCols: Tensor | undefined; //   [C·kh·kw, N·P]
  private dInput: Tensor | undefined; //  [N, C, H, W]
  private batch = -1;
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
    const [channels, height, width] = imageShape('Conv2D', inputShape);
    const geometry = windowGeometry('Conv2D', height, width, this.kernel, this.stride, this.options.padding);
    const { filters, init, useBias } = this.options;
    const [kh, kw] = this.kernel;
    this.inputShape = [channels, height, width];
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.geometry = geometry;
    const weightShape = [filters, channels, kh, kw];
    const w = paramValues(filters * channels * kh * kw);
    initWeights(init, rng, channels * kh * kw, filters * kh * kw, w);
    this.weights = makeParam('weights', weightShape, w, true, this.memory);
    this.bias = useBias ? makeParam('bias', [filters], paramValues(filters), false, this.memory) : undefined;
    this.batch = -1;
    this.backwardBatch = -1;
    return [filters, geometry.outH, geometry.outW];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.memory.assertLive();
    const g = this.requireBuilt();
    const w = this.weights!;
    const batch = checkBatch('Conv2D', x, this.inputShape);
    const filters = this.options.filters;
    const rows = this.channels * g.kernelH * g.kernelW;
    const plane = g.outH * g.outW;
    const columns = batch * plane;
    this.allocate(batch, rows, columns);
    const cols = this.cols!.data;

    im2col(x.data, cols, batch, this.channels, this.height, this.width,
      g.kernelH, g.kernelW, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW);
    // y[n] = bias + W · cols_n, written in NCHW directly (no [F, N·P] product, no transpose pass).
    convForwardProduct(w.value, cols, this.output!.data, this.bias?.value, filters, rows, plane, batch);
    return this.output!;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    const g = this.requireBuilt();
    if (this.batch < 0) throw new Error('Conv2D.backward called before forward');
    const batch = this.batch;
    const filters = this.options.filters;
    const plane = g.outH * g.outW;
    const columns = batch * plane;
    const rows = this.channels * g.kernelH * g.kernelW;
    checkUpstreamGradient('Conv2D', dy, this.output!.shape);
    this.allocateBackward(batch, rows, columns);
    const dY = this.product!.data;
    // [N, F, P] → [F, N·P]; db[f] += Σ of row f.
    batchToFilterRows(dy.data, dY, filters, batch, plane, this.bias?.grad);
    const w = this.weights!;
    matmulTransB(dY, this.cols!.data, w.grad, filters, columns, rows, true);
    if (!this.inputGradient) {
      this.dInput!.data.fill(0);
      return this.dInput!;
    }
    const dCols = this.dCols!.data;
    matmulTransA(w.value, dY, dCols, rows, filters, columns, false);
    col2im(dCols, this.dInput!.data, batch, this.channels, this.height, this.width,
      g.kernelH, g.kernelW, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW);
    return this.dInput!;
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

  private requireBuilt(): WindowGeometry {
    if (!this.geometry) throw notBuiltError('Conv2D');
    return this.geometry;
  }

  private allocate(batch: number, rows: number, columns: number): void {
    if (batch === this.batch) return;
    const g = this.geometry!;
    this.cols = reuse(this.cols, [rows, columns], this.memory);
    this.output = reuse(this.output, [batch, this.options.filters, g.outH, g.outW], this.memory);
    this.batch = batch;
  }

  /** Backward's own buffers, allocated on the first backward for this batch size (inference never needs them). */
  private allocateBackward(batch: number, rows: number, columns: number): void {
    if (batch === this.backwardBatch) return;
    this.product = reuse(this.product, [this.options.filters, columns], this.memory);
    this.dCols = reuse(this.dCols, [rows, columns], this.memory);
    this.dInput = reuse(this.dInput, [batch, this.channels, this.height, this.width], this.memory);
    this.backwardBatch = batch;
  }
}
