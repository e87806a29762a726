/**
 * Parsers for command-line option values. Each throws commander's InvalidArgumentError, so a bad
 * value ends as one line: `error: option '--epochs <n>' argument '0' is invalid. Expected …`.
 */
import * as os from 'node:os';
import { InvalidArgumentError } from 'commander';

/** A positive integer written in plain decimal ("3", not "3.0", "3e0" or "0x3"). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError('Expected a positive integer (1, 2, 3 …).');
  }
  return n;
}

/** An integer ≥ 0. */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('Expected an integer ≥ 0.');
  }
  return n;
}

/** Any integer (seeds). */
export function integer(value: string): number {
  const n = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('Expected an integer.');
  }
  return n;
}

/** A finite number > 0 (learning rates): "0.001", "1e-3". */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('Expected a number > 0 (e.g. 0.001 or 1e-3).');
  }
  return n;
}

/** A finite number ≥ 0 (weight decay). */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('Expected a number ≥ 0 (e.g. 0 or 5e-4).');
  }
  return n;
}

/**
 * The default number of compute threads: 2 when the machine has at least 2 cores, else 1. Results are
 * bit-identical for any thread count, so this only changes the speed (best model: ~1.7× on 2 cores).
 */
export function defaultThreadCount(cores: number = os.availableParallelism()): number {
  return cores >= 2 ? 2 : 1;
}

/** The number of compute threads: 1 or 2. */
export function threadCount(value: string): number {
  if (value.trim() !== '1' && value.trim() !== '2') throw new InvalidArgumentError('Expected 1 or 2.');
  return Number(value);
}

/**
 * A split size (--validation, --test-split): a count ("500", "0": none) or a fraction strictly between
 * 0 and 1 ("0.1"). The caller resolves a fraction once it knows how many samples there are.
 */
export function splitSize(value: string): number {
  const n = Number(value);
  if (/^\s*\d+\s*$/.test(value) && Number.isSafeInteger(n)) return n;
  if (value.trim() !== '' && Number.isFinite(n) && n > 0 && n < 1) return n;
  throw new InvalidArgumentError('Expected a count (0, 500 …) or a fraction between 0 and 1 (0.1).');
}
