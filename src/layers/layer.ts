/**
 * The layer contract (ARCHITECTURE §3). Every sheet of the mille-feuille implements it, and
 * nothing in `net/` knows any layer by type: it only calls these methods.
 */
import type { Rng } from '../random';
import type { Shape, Tensor } from '../tensor';
import type { MemoryOwner } from '../memory';

/** A learnable tensor and its gradient, side by side. */
export interface Param {
  /** Local name inside the layer: "weights", "bias", "gamma", "beta". */
  readonly name: string;
  readonly shape: Shape;
  readonly value: Float32Array;
  /** Accumulated by `backward`; zeroed by the training loop once per step. */
  readonly grad: Float32Array;
  /** Whether weight decay applies (false for biases and BatchNorm γ/β). */
  readonly decay: boolean;
}

/** Non-learned state that must be saved with the model (BatchNorm running statistics). */
export interface NamedArray {
  readonly name: string;
  readonly shape: Shape;
  readonly value: Float32Array;
}

export interface Layer {
  /** The layer's class name as it appears in summaries and model files: "Conv2D". */
  readonly kind: string;
  /**
   * Validate the per-sample input shape, allocate and initialise params, return the per-sample
   * output shape. Throws a ShapeError naming the expected and actual shape when it cannot work.
   */
  build(inputShape: Shape, rng: Rng): Shape;
  /**
   * Batch-first forward. The returned tensor belongs to the layer and is valid until its next
   * forward; `training` selects the mode (Dropout active, BatchNorm batch statistics).
   */
  forward(x: Tensor, training: boolean): Tensor;
  /**
   * Returns dx for the last forward and ADDS into each param's grad. Uses only what its own forward
   * stored and never changes a param value.
   */
  backward(dy: Tensor): Tensor;
  /** The learnable params (the same objects on every call, so optimizers can key state by them). */
  params(): Param[];
  /** Non-learned state to save (running statistics). */
  buffers?(): NamedArray[];
  /** Plain JSON that rebuilds the layer: `new Kind(config)`. */
  config(): object;
  /**
   * While frozen, forward is a deterministic function of its input: a stochastic layer repeats
   * its last random draw (Dropout's mask) and running statistics are left untouched (BatchNorm).
   * The gradient checker freezes every layer so that repeated forwards agree.
   */
  setFrozen?(frozen: boolean): void;
  /**
   * Optional: whether backward must compute dx. A Sequential says false to its first layer with
   * params for one backward when the caller needs no input gradient (fit), so that layer may skip
   * its most costly product (Conv2D: Wᵀ·dY and col2im; Affine: dy·Wᵀ) and return zeros of the
   * input's shape instead. Default: needed.
   */
  setInputGradient?(needed: boolean): void;
  /**
   * Optional, read by Sequential's pooled-first order (ARCHITECTURE §3): true only when this layer is the positive
   * part, bit for bit — y = x > 0 ? x : +0 (NaN → +0) and dx = x > 0 ? dy : +0, element by element — and its
   * forward takes a tensor of any shape, not only the one it was built for. ReLU. Not Sigmoid or Tanh: monotone
   * too, but they round distinct inputs to one float (saturation) where their derivative is not 0, so a max-pool
   * after them breaks such ties to another cell than a max-pool before them, and the gradient lands elsewhere.
   */
  readonly positivePart?: boolean;
  /**
   * Optional: true when running this layer BEFORE a `positivePart` layer that directly precedes it gives the
   * declared order's output and input gradient bit for bit whenever this layer's output is all finite — a max
   * over windows whose gradient goes to one winner, the first maximal cell (MaxPool): the positive part of the
   * max is the max of the positive parts, and where that max is > 0 the same cell wins. A NaN wins a max but a
   * positive part makes it 0, hence "all finite" (Sequential falls back to the declared order otherwise).
   */
  readonly commutesWithPositivePart?: boolean;
  /**
   * Gives back every block of the kernels' memory the layer owns (its params, grads and buffers; see
   * docs/memory.md). Idempotent; afterwards forward/backward throw a DisposedError. Sequential.dispose()
   * calls it on every layer.
   */
  dispose?(): void;
}

/**
 * A param with a zero-filled gradient of the same size. With the layer's `owner`, large params live where
 * the kernels work (memory.ts): `value` may be copied there, so a layer must use the returned param's value,
 * not the array it passed in. Without an owner both are heap arrays.
 */
export function makeParam(name: string, shape: Shape, value: Float32Array, decay: boolean, owner?: MemoryOwner): Param {
  const grad = owner === undefined ? new Float32Array(value.length) : owner.float32(value.length);
  return { name, shape: [...shape], value: owner === undefined ? value : owner.adopt(value), grad, decay };
}
