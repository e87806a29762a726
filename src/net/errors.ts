/**
 * The errors a user of training and model files can meet. Each is a named class so that the CLI can
 * print its message alone (no stack trace) and exit non-zero, and tests can assert on the class.
 */

// OptionError lives in src/errors.ts (kernels and layers throw it too, and should not depend on net/);
// re-exported here for the modules that have always imported it from this file.
export { OptionError } from '../errors';

/**
 * The loss, or the global gradient norm, became NaN or infinite: the weights are no longer meaningful, so
 * training stops before that batch's update.
 */
export class TrainingDivergedError extends Error {
  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly batchesPerEpoch: number,
    readonly loss: number,
    readonly lr: number,
    /** Set when the loss was finite but the gradients were not (their global norm). */
    readonly gradNorm?: number,
  ) {
    super(
      `training diverged: ${divergedQuantity(loss, gradNorm)} at epoch ${epoch}, batch ${batch} of ${batchesPerEpoch} ` +
        `(learning rate ${lr}). Try a lower learning rate (e.g. ${formatLowerLr(lr)}), gradient clipping ` +
        `(clipNorm) or a warm-up; nothing was saved from this run after the last completed checkpoint.`,
    );
    this.name = 'TrainingDivergedError';
  }
}

/** A model directory that cannot be read back: a missing or damaged file, another format, a mismatch. */
export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

/** "the loss is NaN", or "the gradient norm is Infinity (the loss was 2.31)". */
export function divergedQuantity(loss: number, gradNorm: number | undefined): string {
  return gradNorm === undefined || !Number.isFinite(loss)
    ? `the loss is ${loss}`
    : `the gradient norm is ${gradNorm} (the loss was ${Number(loss.toPrecision(4))})`;
}

function formatLowerLr(lr: number): string {
  return Number.isFinite(lr) && lr > 0 ? String(Number((lr / 10).toPrecision(3))) : 'a tenth of it';
}
