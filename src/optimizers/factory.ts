/**
 * An optimizer from its kind name and options: what `load` needs to rebuild a saved optimizer and what
 * the CLI's `--optimizer adam` needs. Names match case-insensitively ("adam", "Adam", "rmsprop").
 */
import { OptionError } from '../errors';
import { AdaGrad } from './adagrad';
import { Adam } from './adam';
import { Momentum } from './momentum';
import { Nesterov } from './nesterov';
import type { Optimizer, OptimizerConfig } from './optimizer';
import { RMSprop } from './rmsprop';
import { SGD } from './sgd';

const constructors: Record<string, (options: Record<string, number | undefined>) => Optimizer> = {
  sgd: (o) => new SGD(o),
  momentum: (o) => new Momentum(o),
  nesterov: (o) => new Nesterov(o),
  rmsprop: (o) => new RMSprop(o),
  adam: (o) => new Adam(o),
  adagrad: (o) => new AdaGrad(o),
};

/** The optimizer kinds, as their classes spell them. */
export const optimizerKinds = ['SGD', 'Momentum', 'Nesterov', 'RMSprop', 'Adam', 'AdaGrad'] as const;

/** `createOptimizer('adam', { lr: 1e-3 })`; a `config()` with `clipNorm: null` is accepted as no clipping. */
export function createOptimizer(kind: string, options: OptimizerConfig | Record<string, number | undefined> = {}): Optimizer {
  const make = constructors[String(kind).toLowerCase()];
  if (make === undefined) {
    throw new OptionError(`unknown optimizer "${kind}" (known: ${optimizerKinds.join(', ')})`);
  }
  const cleaned: Record<string, number | undefined> = {};
  for (const [key, value] of Object.entries(options)) cleaned[key] = value === null ? undefined : value;
  return make(cleaned);
}
