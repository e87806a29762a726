/**
 * Conv2D: a 2-D convolution (cross-correlation, as in every DL framework) over NCHW images.
 *
 *   y[n, f, oy, ox] = b[f] + Σ_{c, ky, kx} W[f, c, ky, kx] · x[n, c, oy·sh − pt + ky, ox·sw − pl + kx]
 *
 * with zero padding and output size ⌊(n + 2p − f)/s⌋ + 1 per axis. 'valid' is p = 0; 'same' pads
 * max((⌈n/s⌉ − 1)·s + f − n, 0) cells in total so that the output is ⌈n/s⌉, the odd cell on the
 * bottom/right (TensorFlow's rule; see kernels/conv-geometry.ts).
 *
 * Computed as matrix products over im2col's column matrix, which the wasm kernels never write: they build
 * each sample's patches (cols_n) from x in cache (TypeScript / too-large windows: im2col of the whole batch,
 * in training or when the TypeScript product runs):
 *   forward   y[n] = b + W · cols_n            [F × P] per sample, written into y [N, F, outH, outW] in place
 *                                              (kernels/conv-product.ts: no [F × N·P] product, no transpose)
 *   backward  dW += Σ_n dy_n · cols_nᵀ         [F × C·kh·kw], db += Σ dy (kernels/conv-weight-gradient.ts;
 *                                              without wasm: dy rearranged to [F × N·P], one product)
 *             dx[n] = col2im(Wᵀ · dy_n)        [N, C, H, W], sample by sample (kernels/conv-input-gradient.ts:
 *                                              no batch-sized column gradient)
 * Every buffer is allocated once per batch size; the column matrix and the other scratch of the batch-wide
 * paths only when a kernel asks for them (with the wasm kernels and a window that fits a thread's buffers, never).
 */
import { MemoryOwner } from '../memory';
import type { PaddingOption, PairOption, WindowGeometry } from '../kernels/conv-geometry';
import { checkPaddingOption, copyWindowOption } from './window-options';
import { WindowState } from './window-state';
import { pairOption } from '../options';
import { convForwardProduct } from '../kernels/conv-product';
import { im2col } from '../kernels/im2col';
import { convInputGradient } from '../kernels/conv-input-gradient';
import { fillZero } from '../kernels/fill';
import { convWeightGradient, weightGradientReadsInput } from '../kernels/conv-weight-gradient';
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

  // Scratch of the TypeScript kernels and of the wasm wrappers' fallbacks (a window too large for a thread's
  // buffers), allocated only when one of them asks (kernels/buffer-on-demand.ts) and then reused while the
  // batch size stays the same. With the wasm kernels and an ordinary window none of them exists: the product,
  // dW and dx all work from x and dy sample by sample (31 + 8 MB less for the default model at batch 100).
  private cols: Tensor | undefined; //   [C·kh·kw, N·P]  the column matrix (filled in forward for the batch-wide dW)
  /** Whether cols holds im2col of the last forward's input (only a training forward whose dW needs it fills it). */
  private colsReady = false;
  /** The last forward's input: a backward after an inference forward (gradCheck) builds cols from it. */
  private input: Tensor | undefined;
  private product: Tensor | undefined; // [F, N·P]     dY rearranged, for the batch-wide dW
  private sampleCols: Tensor | undefined; // [C·kh·kw, P]  one sample's column gradient (dx without wasm)
  /** The batch the scratch above was made for: the window of the current forward/backward. */
  private geometry: WindowGeometry | undefined;
  private readonly colsOnDemand = (): Float32Array => this.columns();
  private readonly dyRowsOnDemand = (): Float32Array => this.filterRows();
  private readonly sampleColsOnDemand = (): Float32Array => this.sampleColumns();
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
    return [filters, geometry.outH, geometry.outW];
  }

  forward(x: Tensor, training: boolean): Tensor {
    const g = this.window.forward(x);
    this.useBatch(g);
    const w = this.weights!;
    const y = this.window.output!;
    this.input = x;
    // Only the batch-wide dW reads cols: with the wasm kernels both the product and dW rebuild each sample's
    // patches from x in cache, so the [C·kh·kw, N·P] matrix (31 MB at batch 100 for the default model's
    // second conv) is not even allocated; the TypeScript product asks for it and fills it itself.
    const colsFilled = training && !weightGradientReadsInput(g);
    if (colsFilled) im2col(x.data, this.columns(), g);
    this.colsReady = colsFilled;
    // y[n] = bias + W · cols_n, written in NCHW directly (no [F, N·P] product, no transpose pass).
    convForwardProduct(w.value, x.data, this.colsOnDemand, y.data, this.bias?.value, this.options.filters, g, colsFilled);
    return y;
  }

  backward(dy: Tensor): Tensor {
    const g = this.window.backward(dy);
    this.useBatch(g);
    const filters = this.options.filters;
    const dInput = this.window.dInput!;
    const w = this.weights!;
    // dW += Σ_n dy_n · cols_nᵀ, db += Σ dy: from x sample by sample (wasm), else via cols and dy as [F, N·P].
    convWeightGradient(dy.data, this.input!.data, w.grad, this.bias?.grad, filters, g, this.colsOnDemand, this.colsReady, this.dyRowsOnDemand);
    if (!this.inputGradient) {
      fillZero(dInput.data);
      return dInput;
    }
    // dx[n] = col2im(Wᵀ · dy_n) sample by sample, each sample's column gradient still in cache.
    convInputGradient(w.value, dy.data, dInput.data, filters, g, this.sampleColsOnDemand);
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

  /**
   * Makes `g` the window the scratch is for. On a new batch size the batch-sized scratch of the old one goes
   * back to the arena at once, whether or not this batch's kernels ask for it again.
   */
  private useBatch(g: WindowGeometry): void {
    if (this.geometry !== undefined && this.geometry.batch !== g.batch) {
      for (const t of [this.cols, this.product]) if (t !== undefined) this.memory.release(t.data);
      this.cols = this.product = undefined;
      this.colsReady = false;
    }
    this.geometry = g;
  }

  /** The column matrix [C·kh·kw, N·P] for the current batch size (made on first demand). */
  private columns(): Float32Array {
    const g = this.geometry!;
    this.cols = reuse(this.cols, [g.channels * g.kernelH * g.kernelW, g.batch * g.outH * g.outW], this.memory);
    return this.cols.data;
  }

  /** dy rearranged to [F, N·P] for the batch-wide dW (made on first demand). */
  private filterRows(): Float32Array {
    const g = this.geometry!;
    this.product = reuse(this.product, [this.options.filters, g.batch * g.outH * g.outW], this.memory);
    return this.product.data;
  }

  /** One sample's column gradient [C·kh·kw, P] for dx without wasm (made on first demand). */
  private sampleColumns(): Float32Array {
    const g = this.geometry!;
    this.sampleCols = reuse(this.sampleCols, [g.channels * g.kernelH * g.kernelW, g.outH * g.outW], this.memory);
    return this.sampleCols.data;
  }
}
