/**
 * Option checking shared by layers, optimizers, schedules and the training loop: every check names its
 * owner and the option, quotes the value it got, and throws an OptionError. A misspelt option is an error,
 * never silently ignored.
 */
import { OptionError, formatValue } from './errors';

/** Throws unless `options` is an object whose keys are all known (undefined values count as absent). */
export function checkOptionNames(owner: string, options: object, known: readonly string[]): void {
  if (options === null || typeof options !== 'object') {
    throw new OptionError(`${owner}: options must be an object, got ${formatValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if ((options as Record<string, unknown>)[key] !== undefined && !known.includes(key)) {
      throw new OptionError(`${owner}: unknown option "${key}" (${known.length > 0 ? `known: ${known.join(', ')}` : 'it takes no options'})`);
    }
  }
}

/** A finite number > 0, or the default when undefined. */
export function positiveOption(owner: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new OptionError(`${owner}: option "${name}" must be a finite number > 0, got ${formatValue(value)}`);
  }
  return value;
}

/** A finite number ≥ 0, or the default when undefined. */
export function nonNegativeOption(owner: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new OptionError(`${owner}: option "${name}" must be a finite number ≥ 0, got ${formatValue(value)}`);
  }
  return value;
}

/** A number in [0, 1) (momentum, decay rates), or the default when undefined. */
export function unitIntervalOption(owner: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new OptionError(`${owner}: option "${name}" must be in [0, 1), got ${formatValue(value)}`);
  }
  return value;
}

/** An integer ≥ 1 (epochs, batch sizes, periods). */
export function positiveIntegerOption(owner: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new OptionError(`${owner}: option "${name}" must be a positive integer, got ${formatValue(value)}`);
  }
  return value;
}

/** An integer ≥ 0 (patience). */
export function nonNegativeIntegerOption(owner: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new OptionError(`${owner}: option "${name}" must be an integer ≥ 0, got ${formatValue(value)}`);
  }
  return value;
}

/**
 * Checks a constructor's options argument: an object (else the message shows `example`, e.g.
 * "{ units: 10 }") holding only `known` keys. Returns it typed, for destructuring.
 */
export function optionsObject<T extends object>(owner: string, options: T, known: readonly string[], example: string): T {
  if (options === null || typeof options !== 'object') {
    throw new OptionError(`${owner} needs an options object like ${example}, got ${formatValue(options)}`);
  }
  checkOptionNames(owner, options, known);
  return options;
}

/** A present option, or an error saying it is required (and, given `what`, what it should be). */
export function requiredOption<T>(owner: string, name: string, value: T | undefined, what?: string): T {
  if (value === undefined) throw new OptionError(`${owner}: option "${name}" is required${what ? ` (${what})` : ''}`);
  return value;
}

/** true or false, or the default when undefined. */
export function booleanOption(owner: string, name: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new OptionError(`${owner}: option "${name}" must be true or false, got ${formatValue(value)}`);
  return value;
}

/**
 * [h, w] from a number-or-pair option (a window's size, stride or padding), validated: positive integers (or ≥ 0
 * with allowZero).
 */
export function pairOption(value: number | readonly [number, number], layer: string, what: string, allowZero = false): [number, number] {
  const pair: readonly unknown[] = typeof value === 'number' ? [value, value] : Array.isArray(value) ? value : [];
  const ok = pair.length === 2 && pair.every((v) => typeof v === 'number' && Number.isInteger(v) && (allowZero ? v >= 0 : v > 0));
  if (!ok) {
    const need = allowZero ? 'a non-negative integer' : 'a positive integer';
    throw new OptionError(`${layer}: option "${what}" must be ${need} or a pair [h, w] of them, got ${formatValue(value)}`);
  }
  return [pair[0] as number, pair[1] as number];
}
