/**
 * What every optimizer shares (ARCHITECTURE §5): the common options (lr, weightDecay, clipNorm; checked with
 * src/options.ts like every owner's options), the order of the gradient transformations, per-parameter state
 * keyed by the Param object, and state()/loadState() for resuming.
 *
 * One `step(params, lr)` does, for the whole set of params at once:
 *   1. clipping (optional, `clipNorm = c`): ‖G‖ = √(Σ over every param of Σ gᵢ²), the GLOBAL norm of the raw
 *      gradients; if ‖G‖ > c every gradient is scaled by c/‖G‖ (so the direction is kept);
 *   2. coupled L2 weight decay (`weightDecay = λ`): g ← g + λ·w, for params with `decay: true` only;
 *   3. the optimizer's rule on that g (see each subclass).
 * Clipping comes before decay so that the decay term is never clipped away. `step` reads `value` and `grad`
 * and writes only `value` and its own state: the grads are left as backward produced them, and the
 * transformed g exists only inside the update loop (no allocation, no extra pass over memory).
 */
import type { Param } from '../layers/layer';
import { allFinite } from '../kernels/finite';
import { MemoryOwner } from '../memory';
import { OptionError } from '../errors';
import { checkOptionNames, nonNegativeOption, positiveOption } from '../options';

/** Options every optimizer accepts. */
export interface OptimizerOptions {
  /** Learning rate η used when `step` is called without one (a schedule passes its own). */
  lr?: number;
  /** Coupled L2 weight decay λ (g ← g + λ·w on `decay: true` params). Default 0. */
  weightDecay?: number;
  /** Clip the global gradient norm to this value before decay. Default: no clipping. */
  clipNorm?: number;
}

/**
 * Everything needed to continue exactly where an optimizer stopped. `slots[i][j]` is the j-th state array
 * (named `slotNames[j]`, e.g. "m" and "v" for Adam) of the i-th param in the list given to `state(params)`.
 * Plain JSON except for the Float32Arrays, which the model file stores in `optimizer.bin`.
 */
export interface OptimizerState {
  kind: string;
  config: OptimizerConfig;
  /** Number of `step` calls so far (t; Adam's bias correction uses it). */
  step: number;
  slotNames: string[];
  slots: Float32Array[][];
}

/** The optimizer's options as plain JSON (`clipNorm: null` when clipping is off). */
export type OptimizerConfig = Record<string, number | null>;

export abstract class Optimizer {
  abstract readonly kind: string;
  readonly lr: number;
  readonly weightDecay: number;
  readonly clipNorm: number | undefined;
  /** The global gradient norm measured by the last step (before clipping); NaN when clipping is off. */
  lastGradNorm = NaN;

  private readonly slotsByParam = new Map<Param, Float32Array[]>();
  private steps = 0;
  /** Owns the slots' blocks of the kernels' memory (docs/memory.md). */
  private readonly memory: MemoryOwner;

  /**
   * @param kind the subclass name, for error messages (the `kind` field is not yet set while the base runs)
   * @param extraOptionNames the subclass's own option names, so that a misspelt option is an error, not ignored
   * @param slotNames names of the per-param state arrays the rule keeps (velocity, moments)
   */
  protected constructor(
    kind: string,
    options: OptimizerOptions,
    defaultLr: number,
    extraOptionNames: readonly string[],
    protected readonly slotNames: readonly string[],
  ) {
    checkOptionNames(kind, options, ['lr', 'weightDecay', 'clipNorm', ...extraOptionNames]);
    this.memory = new MemoryOwner(kind);
    this.lr = positiveOption(kind, 'lr', options.lr, defaultLr);
    this.weightDecay = nonNegativeOption(kind, 'weightDecay', options.weightDecay, 0);
    this.clipNorm = options.clipNorm === undefined ? undefined : positiveOption(kind, 'clipNorm', options.clipNorm, 0);
  }

  /** Number of steps taken (t after the last step). */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * Update every param from its gradient, after backward has finished for the whole net.
   * @param lr this step's learning rate (from a schedule); defaults to the optimizer's `lr`
   * @param gradNorm globalGradNorm(params), when the caller has already measured it (fit does when clipping
   *   is on: its divergence guard needs the norm then too), so that clipping need not pass over every gradient again
   */
  step(params: readonly Param[], lr: number = this.lr, gradNorm?: number): void {
    this.memory.assertLive();
    if (!Number.isFinite(lr) || lr < 0) {
      throw new OptionError(`${this.kind}.step: the learning rate must be a finite number ≥ 0, got ${lr}`);
    }
    const gradScale = this.clipNorm === undefined ? 1 : this.clipScale(gradNorm ?? globalGradNorm(params), this.clipNorm);
    this.steps++;
    for (let i = 0; i < params.length; i++) {
      const param = params[i];
      const decay = param.decay ? this.weightDecay : 0;
      this.update(param.value, param.grad, this.slotsFor(param), lr, gradScale, decay, this.steps);
    }
  }

  /**
   * The rule itself, for one param: for each i, g = gradScale·grad[i] + decay·value[i], then update value[i]
   * and the slots. Subclasses write it as one tight loop over plain Float32Arrays.
   */
  protected abstract update(
    value: Float32Array,
    grad: Float32Array,
    slots: Float32Array[],
    lr: number,
    gradScale: number,
    decay: number,
    t: number,
  ): void;

  /** The options as plain JSON: what `createOptimizer(kind, config)` needs to rebuild this optimizer. */
  config(): OptimizerConfig {
    return { lr: this.lr, weightDecay: this.weightDecay, clipNorm: this.clipNorm ?? null, ...this.ruleConfig() };
  }

  /** The subclass's own options (momentum, betas, eps …). */
  protected abstract ruleConfig(): OptimizerConfig;

  /**
   * A copy of the state for these params, in this order (use the net's `params()` order). A param that has
   * not been stepped yet gets zero slots, which is exactly the state it would start from.
   */
  state(params: readonly Param[]): OptimizerState {
    this.memory.assertLive();
    return {
      kind: this.kind,
      config: this.config(),
      step: this.steps,
      slotNames: [...this.slotNames],
      // Plain heap copies (a zero slot for a param not stepped yet): the state outlives the optimizer.
      slots: params.map((p) => this.slotsByParam.get(p)?.map((s) => s.slice()) ?? this.slotNames.map(() => new Float32Array(p.value.length))),
    };
  }

  /**
   * Restore a state saved by `state(params)` for the same params in the same order. Checks the optimizer
   * kind, the slot names and every array length, and names what does not match.
   */
  loadState(state: OptimizerState, params: readonly Param[]): void {
    this.memory.assertLive();
    if (state.kind !== this.kind) {
      throw new OptionError(`cannot load ${state.kind} optimizer state into a ${this.kind} optimizer`);
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new OptionError(`${this.kind} state: step must be an integer ≥ 0, got ${state.step}`);
    }
    if (state.slotNames.join(',') !== this.slotNames.join(',')) {
      throw new OptionError(
        `${this.kind} state has slots [${state.slotNames.join(', ')}] but ${this.kind} keeps [${this.slotNames.join(', ')}]`,
      );
    }
    if (state.slots.length !== params.length) {
      throw new OptionError(`${this.kind} state holds ${state.slots.length} params but the net has ${params.length}`);
    }
    params.forEach((p, i) => {
      const saved = state.slots[i];
      if (saved.length !== this.slotNames.length) {
        throw new OptionError(`${this.kind} state: param ${i} (${p.name}) has ${saved.length} slots, expected ${this.slotNames.length}`);
      }
      saved.forEach((s, j) => {
        if (s.length !== p.value.length) {
          throw new OptionError(
            `${this.kind} state: slot "${this.slotNames[j]}" of param ${i} (${p.name}) has ${s.length} values but the param has ${p.value.length}`,
          );
        }
      });
    });
    this.releaseSlots();
    params.forEach((p, i) => this.slotsByParam.set(p, state.slots[i].map((saved) => {
      const slot = this.memory.float32(saved.length);
      slot.set(saved);
      return slot;
    })));
    this.steps = state.step;
  }

  /** Forget all state (a fresh start with the same options); the slots' memory goes back to the arena. */
  reset(): void {
    this.memory.assertLive();
    this.releaseSlots();
    this.steps = 0;
  }

  /** Gives back the slots' blocks of the kernels' memory (idempotent); using the optimizer afterwards throws DisposedError. */
  dispose(): void {
    this.slotsByParam.clear();
    this.memory.dispose();
  }

  private releaseSlots(): void {
    for (const slots of this.slotsByParam.values()) for (const slot of slots) this.memory.release(slot);
    this.slotsByParam.clear();
  }

  private slotsFor(param: Param): Float32Array[] {
    let slots = this.slotsByParam.get(param);
    if (slots === undefined) {
      slots = this.freshSlots(param);
      this.slotsByParam.set(param, slots);
    }
    return slots;
  }

  private freshSlots(param: Param): Float32Array[] {
    return this.slotNames.map(() => this.memory.float32(param.value.length));
  }

  /** The factor c/‖G‖ (≤ 1) that brings the global gradient norm down to c; 1 when it is already below. */
  private clipScale(norm: number, clipNorm: number): number {
    this.lastGradNorm = norm;
    // A non-finite norm is left alone: fit's divergence guard stops before such a step, with a clearer message.
    return norm > clipNorm && Number.isFinite(norm) ? clipNorm / norm : 1;
  }
}

/**
 * ‖G‖ = √(Σ over every param of Σ gᵢ²), the global norm of the raw gradients; NaN or Infinity exactly when
 * some gradient is (or the sum of squares overflows, which clipping could not rescue either).
 */
export function globalGradNorm(params: readonly Param[]): number {
  let sumSquares = 0;
  for (let i = 0; i < params.length; i++) {
    const grad = params[i].grad;
    for (let j = 0; j < grad.length; j++) sumSquares += grad[j] * grad[j];
  }
  return Math.sqrt(sumSquares);
}

/**
 * Whether every gradient is finite — exactly when globalGradNorm is (a float32 squared is below 1.2e77, so
 * the float64 sum of squares cannot overflow), at a fraction of its cost: one SIMD pass over the bits,
 * no chain of float64 additions. What fit checks before each update when nothing needs the norm itself.
 */
export function gradientsFinite(params: readonly Param[]): boolean {
  for (let i = 0; i < params.length; i++) if (!allFinite(params[i].grad)) return false;
  return true;
}
