/**
 * The targets a loss accepts, checked once for every loss: class labels (one integer in [0, classes) per
 * sample) or a tensor of the scores' shape. Every problem names the loss, the argument and the numbers.
 */
import { ShapeError, checkDataLength, formatShape, type Tensor } from '../tensor';
import type { Targets } from './loss';

/** Whether the targets are a tensor (probabilities, one-hot rows, regression values) rather than class labels. */
export function isTensor(t: Targets): t is Tensor {
  return (t as Tensor).shape !== undefined && (t as Tensor).data !== undefined;
}

/**
 * Validates targets against scores [N, classes]: either N class labels, each an integer in [0, classes),
 * or a tensor of the scores' shape. Returns the labels, or undefined for a tensor target.
 */
export function checkTargets(targets: Targets, n: number, classes: number, scoresShape: readonly number[], kind: string): ArrayLike<number> | undefined {
  if (targets === null || typeof targets !== 'object') {
    throw new TypeError(`${kind}: targets must be an Int32Array of class labels or a Tensor, got ${String(targets)}`);
  }
  if (isTensor(targets)) {
    checkDataLength(`${kind} targets`, targets);
    if (targets.shape.length !== scoresShape.length || !targets.shape.every((d, i) => d === scoresShape[i]) || targets.data.length !== n * classes) {
      throw new ShapeError(`${kind}: target tensor shape ${formatShape(targets.shape)} must equal the scores shape ${formatShape(scoresShape)}`);
    }
    return undefined;
  }
  const labels = targets as ArrayLike<number>;
  if (typeof labels.length !== 'number') {
    throw new TypeError(`${kind}: targets must be an Int32Array of class labels or a Tensor`);
  }
  if (labels.length !== n) {
    throw new ShapeError(`${kind}: got ${labels.length} labels for a batch of ${n} samples (scores ${formatShape(scoresShape)})`);
  }
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RangeError(
        `${kind}: label ${label} at index ${i} is not a class index: labels must be integers in [0, ${classes}) for ${classes} classes`,
      );
    }
  }
  return labels;
}
