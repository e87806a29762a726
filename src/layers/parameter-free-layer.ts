/**
 * The plumbing every layer without learnable params shares: a memory owner named after the layer, no
 * params, and `dispose()` giving the owner's blocks back. A subclass writes what makes it a layer — build,
 * forward, backward and config — and nothing else.
 */
import { MemoryOwner } from '../memory';
import type { Rng } from '../random';
import type { Shape, Tensor } from '../tensor';
import type { Layer, Param } from './layer';

export abstract class ParameterFreeLayer implements Layer {
  abstract readonly kind: string;
  /** Owns this layer's blocks of the kernels' memory (docs/memory.md). */
  protected readonly memory: MemoryOwner;

  /** @param kind the layer's kind, as `kind` says it: it names the memory owner in messages and memoryStats. */
  protected constructor(kind: string) {
    this.memory = new MemoryOwner(kind);
  }

  abstract build(inputShape: Shape, rng: Rng): Shape;
  abstract forward(x: Tensor, training: boolean): Tensor;
  abstract backward(dy: Tensor): Tensor;
  abstract config(): object;

  params(): Param[] {
    return [];
  }

  /** Gives back the layer's blocks of the kernels' memory (idempotent); using it afterwards throws DisposedError. */
  dispose(): void {
    this.memory.dispose();
  }
}
