/**
 * What MaxPool and AvgPool share: the window options (`size`, `stride` defaulting to the size, `padding`
 * below the window), the [C, H, W] input and its window geometry, the output and input-gradient buffers
 * made once per batch size in the layer's memory, and the checks around forward and backward. A pooling
 * layer adds only its kernel calls (`pool`, `unpool`) and whatever else it keeps per batch (MaxPool's argmax).
 */
import { MemoryOwner } from '../memory';
import type { WindowGeometry } from '../kernels/conv-geometry';
import { copyWindowOption, poolWindow, type PoolWindowConfig } from './window-options';
import { WindowState } from './window-state';
import { optionsObject } from '../options';
import type { Rng } from '../random';
import type { Shape, Tensor } from '../tensor';
import type { Layer, Param } from './layer';

export abstract class PoolingLayer implements Layer {
  abstract readonly kind: string;
  /** Owns this layer's blocks of the kernels' memory (docs/memory.md). */
  protected readonly memory: MemoryOwner;
  protected readonly window: PoolWindowConfig;
  private readonly size: [number, number];
  private readonly stride: [number, number];
  /** The input, its window geometry and the output/dx buffers (shared with Conv2D). */
  private readonly state: WindowState;

  /** `name` is the kind, for messages (the subclass's `kind` field is not set yet while this runs). */
  protected constructor(name: string, options: object, knownOptions: readonly string[]) {
    this.memory = new MemoryOwner(name);
    optionsObject(name, options, knownOptions, '{ size: 2 }');
    ({ config: this.window, size: this.size, stride: this.stride } = poolWindow(name, options as PoolWindowConfig));
    this.state = new WindowState(name, this.memory, (g) => this.batchChanged(g));
  }

  build(inputShape: Shape, _rng: Rng): Shape {
    const g = this.state.build(inputShape, this.size, this.stride, this.window.padding);
    return [g.channels, g.outH, g.outW];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const g = this.state.forward(x);
    const y = this.state.output!;
    this.pool(x.data, y.data, g);
    return y;
  }

  backward(dy: Tensor): Tensor {
    const g = this.state.backward(dy);
    const dx = this.state.dInput!;
    this.unpool(dy.data, dx.data, g);
    return dx;
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

  /** The forward kernel over the batch (`g.batch · g.channels` planes). */
  protected abstract pool(x: Float32Array, y: Float32Array, g: WindowGeometry): void;
  /** The backward kernel: writes dx (the whole of it) from dy. */
  protected abstract unpool(dy: Float32Array, dx: Float32Array, g: WindowGeometry): void;
  /** A forward brought a new batch size (the window over it is `g`): remake per-batch state. */
  protected batchChanged(_g: WindowGeometry): void {}
}
