/**
 * Errors every sheet shares, and how their messages quote values.
 *
 * OptionError is the error for "you asked for something that cannot work": a layer's, optimizer's, schedule's, fit's or
 * gradCheck's option (or argument value) out of range, misspelt or of the wrong type. One class for every
 * owner, so that a caller — and the CLI, which prints such messages alone, without a stack trace — can tell
 * a user's mistake from a bug whichever sheet found it. It lives here, below every module, because every
 * level throws it — the kernels' window geometry, layers, losses, optimizers and net/ — and a kernel or a
 * layer importing its errors from net/ would point the dependencies upwards.
 */
export class OptionError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'OptionError';
  }
}

/** A value as an error message quotes it: numbers as written (NaN stays NaN), anything else as JSON ("3" for a string). */
export function formatValue(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}

/** The error of a layer used before `build` (a Sequential builds every layer when it is constructed). */
export function notBuiltError(kind: string): Error {
  return new Error(`${kind} is not built: call build(inputShape, rng) before forward/backward (Sequential does it)`);
}
