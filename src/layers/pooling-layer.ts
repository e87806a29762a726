/**
 * What MaxPool and AvgPool share: the window options (`size`, `stride` defaulting to the size, `padding`
 * below the window), the [C, H, W] input and its window geometry, the output and input-gradient buffers
 * made once per batch size in the layer's memory, and the checks around forward and backward. A pooling
 * layer adds only its kernel calls (`pool`, `unpool`) and whatever else it keeps per batch (MaxPool's argmax).
 */
import { MemoryOwner } from '../memory';
import { windowGeometry, type WindowGeometry } from '../kernels/conv-geometry';
import { copyWindowOption, imageShape, poolWindow, type PoolWindowConfig } from './window-options';
import { optionsObject } from '../options';
import { notBuiltError } from '../errors';
import type { Rng } from '../random';
import { checkUpstreamGradient, checkBatch, reuse, type Shape, type Tensor } from '../tensor';
import type { Layer, Param } from './layer';

export abstract class PoolingLayer implements Layer {
  abstract readonly kind: string;
  /** Owns this layer's blocks of the kernels' memory (docs/memory.md). */
  protected readonly memory: MemoryOwner;
  protected readonly window: PoolWindowConfig;
  private readonly size: [number, number];
  private readonly stride: [number, number];
  private inputShape: Shape = [];
  protected channels = 0;
  protected height = 0;
  protected width = 0;
  private geometry: WindowGeometry | undefined;

  protected output: Tensor | undefined;
  protected dInput: Tensor | undefined;
  /** The batch size the buffers are made for; −1 before the first forward. */
  protected batch = -1;

  /** `name` is the kind, for messages (the subclass's `kind` field is not set yet while this runs). */
  protected constructor(private readonly name: string, options: object, knownOptions: readonly string[]) {
    this.memory = new MemoryOwner(name);
    optionsObject(name, options, knownOptions, '{ size: 2 }');
    ({ config: this.window, size: this.size, stride: this.stride } = poolWindow(name, options as PoolWindowConfig));
  }

  build(inputShape: Shape, _rng: Rng): Shape {
    [this.channels, this.height, this.width] = imageShape(this.name, inputShape);
    this.inputShape = [this.channels, this.height, this.width];
    this.geometry = windowGeometry(this.name, this.height, this.width, this.size, this.stride, this.window.padding);
    this.batch = -1;
    return [this.channels, this.geometry.outH, this.geometry.outW];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    this.memory.assertLive();
    const g = this.requireBuilt();
    const batch = checkBatch(this.name, x, this.inputShape);
    if (batch !== this.batch) {
      this.output = reuse(this.output, [batch, this.channels, g.outH, g.outW], this.memory);
      this.dInput = reuse(this.dInput, [batch, this.channels, this.height, this.width], this.memory);
      this.batchChanged(this.output.data.length);
      this.batch = batch;
    }
    this.pool(x.data, this.output!.data, g);
    return this.output!;
  }

  backward(dy: Tensor): Tensor {
    this.memory.assertLive();
    const g = this.requireBuilt();
    if (this.batch < 0) throw new Error(`${this.name}.backward called before forward`);
    checkUpstreamGradient(this.name, dy, this.output!.shape);
    this.unpool(dy.data, this.dInput!.data, g);
    return this.dInput!;
  }

  params(): Param[] {
    return [];
  }

  /** Gives back the layer's blocks of the kernels' memory (idempotent); using it afterwards throws DisposedError. */
  dispose(): void {
    this.memory.dispose();
  }

  config(): PoolWindowConfig {
    const { size, stride, padding } = this.window;
    return { size: copyWindowOption(size), stride: copyWindowOption(stride), padding: copyWindowOption(padding) };
  }

  /** The forward kernel over the batch (`this.batch · this.channels` planes). */
  protected abstract pool(x: Float32Array, y: Float32Array, g: WindowGeometry): void;
  /** The backward kernel: writes dx (the whole of it) from dy. */
  protected abstract unpool(dy: Float32Array, dx: Float32Array, g: WindowGeometry): void;
  /** The batch size changed (the output now has `outputLength` values): remake per-batch state. */
  protected batchChanged(_outputLength: number): void {}

  private requireBuilt(): WindowGeometry {
    if (!this.geometry) throw notBuiltError(this.name);
    return this.geometry;
  }
}
