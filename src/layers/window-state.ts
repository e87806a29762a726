/**
 * What the sliding-window layers (Conv2D, MaxPool, AvgPool) share around their kernels: the [C, H, W] input
 * and its window geometry, checked at build; the geometry over the current batch, made once per batch size
 * (the kernels take it whole, so no call builds one); the output and the input gradient, each made once per
 * batch size in the layer's memory (dx on the first backward for that size: inference never needs it); and
 * the checks at the start of forward and backward.
 */
import type { MemoryOwner } from '../memory';
import { windowGeometry, withBatch, type PaddingOption, type WindowGeometry } from '../kernels/conv-geometry';
import { imageShape } from './window-options';
import { notBuiltError } from '../errors';
import { checkBatch, checkUpstreamGradient, reuse, type Shape, type Tensor } from '../tensor';

export class WindowState {
  private inputShape: Shape = [];
  /** The window over one sample, from build. */
  private sample: WindowGeometry | undefined;
  /** The window over the last forward's batch; undefined until the first forward after build. */
  private current: WindowGeometry | undefined;
  /** The batch size dInput is made for; −1 before the first backward after build. */
  private backwardBatch = -1;
  private outChannels = 0;
  /** [N, outChannels, outH, outW], remade when the batch size changes. */
  output: Tensor | undefined;
  /** [N, C, H, W], remade on the first backward for a new batch size. */
  dInput: Tensor | undefined;

  /**
   * `layer` names the layer in errors; `batchChanged` (optional) remakes the layer's own per-batch state
   * when a forward brings a new batch size (after the output is remade).
   */
  constructor(
    private readonly layer: string,
    private readonly memory: MemoryOwner,
    private readonly batchChanged?: (g: WindowGeometry) => void,
  ) {}

  /**
   * Checks the per-sample input shape and resolves the window over it; returns the geometry of one sample.
   * `outChannels`: the output's channels (Conv2D's filters; a pool keeps the input's).
   */
  build(
    inputShape: Shape, kernel: readonly [number, number], stride: readonly [number, number], padding: PaddingOption,
    outChannels?: number,
  ): WindowGeometry {
    const input = imageShape(this.layer, inputShape);
    this.sample = windowGeometry(this.layer, input, kernel, stride, padding);
    this.inputShape = input;
    this.outChannels = outChannels ?? input[0];
    this.current = undefined;
    this.backwardBatch = -1;
    return this.sample;
  }

  /**
   * The start of forward: the layer is live and built and x is a batch of its input. Returns the window
   * over x's batch; `output` is then [N, outChannels, outH, outW].
   */
  forward(x: Tensor): WindowGeometry {
    this.memory.assertLive();
    if (!this.sample) throw notBuiltError(this.layer);
    const batch = checkBatch(this.layer, x, this.inputShape);
    let g = this.current;
    if (g === undefined || g.batch !== batch) {
      g = withBatch(this.sample, batch);
      this.output = reuse(this.output, [batch, this.outChannels, g.outH, g.outW], this.memory);
      this.current = g;
      this.batchChanged?.(g);
    }
    return g;
  }

  /**
   * The start of backward: the layer is live, built and ran forward, and dy has the output's shape. Returns
   * the window over that forward's batch; `dInput` is then [N, C, H, W].
   */
  backward(dy: Tensor): WindowGeometry {
    this.memory.assertLive();
    if (!this.sample) throw notBuiltError(this.layer);
    const g = this.current;
    if (g === undefined) throw new Error(`${this.layer}.backward called before forward`);
    checkUpstreamGradient(this.layer, dy, this.output!.shape);
    if (g.batch !== this.backwardBatch) {
      this.dInput = reuse(this.dInput, [g.batch, g.channels, g.inH, g.inW], this.memory);
      this.backwardBatch = g.batch;
    }
    return g;
  }
}
