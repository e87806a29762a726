/**
 * The loss contract (ARCHITECTURE §4): the net's last sheet, the only one that knows what
 * "error" means.
 */
import type { Tensor } from '../tensor';

/** Class indices (one per sample) or a target tensor of the scores' shape. */
export type Targets = Int32Array | Tensor;

export interface Loss {
  readonly kind: string;
  /** Mean loss over the batch. Remembers what backward needs. */
  forward(scores: Tensor, targets: Targets): number;
  /** dLoss/dScores for the last forward (already divided by the batch size). */
  backward(): Tensor;
  config(): object;
  /** Gives back the loss's blocks of the kernels' memory (idempotent; docs/memory.md). */
  dispose?(): void;
}
