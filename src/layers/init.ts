/**
 * Weight initialisers. The scale matters more than the distribution: a layer followed by ReLU
 * halves the variance of what passes through it, so He (std √(2/fanIn)) keeps activations from
 * shrinking layer after layer; Xavier/Glorot (limit √(6/(fanIn+fanOut))) keeps the variance of
 * both the forward signal and the backward gradient for symmetric activations (sigmoid, tanh).
 * Every number comes from the caller's Rng, so the same seed gives the same weights.
 */
import { OptionError, formatValue } from '../errors';
import type { Rng } from '../random';

/** The initialisers a layer can select by name (in its config, so that model files rebuild it). */
export type InitName = 'he' | 'xavier';

export const INIT_NAMES: readonly InitName[] = ['he', 'xavier'];

/** Throws unless `init` is a known initialiser name; `owner` names the layer ("Affine"). */
export function assertInitName(init: unknown, owner: string): asserts init is InitName {
  if (!INIT_NAMES.includes(init as InitName)) {
    throw new OptionError(`${owner}: option "init" must be one of ${INIT_NAMES.map((n) => `'${n}'`).join(', ')}, got ${formatValue(init)}`);
  }
}

function assertFan(fan: number, what: string): void {
  if (!Number.isInteger(fan) || fan <= 0) throw new OptionError(`${what} must be a positive integer, got ${fan}`);
}

/** He normal: N(0, 2/fanIn), written into `out`. */
export function heNormal(rng: Rng, fanIn: number, out: Float32Array): Float32Array {
  assertFan(fanIn, 'heNormal fanIn');
  const std = Math.sqrt(2 / fanIn);
  for (let i = 0; i < out.length; i++) out[i] = rng.gaussian(0, std);
  return out;
}

/** Xavier/Glorot uniform: U(−√(6/(fanIn+fanOut)), +√(6/(fanIn+fanOut))), written into `out`. */
export function xavierUniform(rng: Rng, fanIn: number, fanOut: number, out: Float32Array): Float32Array {
  assertFan(fanIn, 'xavierUniform fanIn');
  assertFan(fanOut, 'xavierUniform fanOut');
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-limit, limit);
  return out;
}

/** Fills `out` with the named initialiser. fanIn/fanOut: inputs/outputs per unit (for a conv, C·kH·kW and F·kH·kW). */
export function initWeights(init: InitName, rng: Rng, fanIn: number, fanOut: number, out: Float32Array): Float32Array {
  assertInitName(init, 'initWeights');
  return init === 'he' ? heNormal(rng, fanIn, out) : xavierUniform(rng, fanIn, fanOut, out);
}
