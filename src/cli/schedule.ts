/**
 * The --schedule syntax of `nn train`: `kind[:key=value,…]`, optionally joined with a warm-up by `+`.
 *
 *   constant                          η₀ throughout
 *   cosine[:minLr=1e-5,epochs=E]      half a cosine from η₀ to minLr over E epochs (default: the run's epochs)
 *   step:every=2,gamma=0.5            η₀·γ every k epochs
 *   exp:gamma=0.9                     η₀·γ^epoch                  (also: exponential)
 *   inverse:k=0.1                     η₀ / (1 + k·epoch)          (also: inverse-time)
 *   warmup:epochs=1+cosine            linear warm-up over 1 epoch, then the cosine (or warmup:steps=500+…)
 *
 * η₀ is --lr. This module turns that text into the library's `parseSchedule` form.
 */
import { OptionError } from '../net/errors';
import { parseSchedule, type Schedule } from '../optimizers/schedules';

const KIND_ALIASES: Record<string, string> = {
  constant: 'constant', const: 'constant', none: 'constant',
  cosine: 'cosine', cos: 'cosine',
  step: 'step',
  exp: 'exponential', exponential: 'exponential',
  inverse: 'inverse-time', 'inverse-time': 'inverse-time',
};

export const SCHEDULE_HELP = `
Schedules (--schedule; η₀ is --lr; epochs count from 0):
  constant                        η₀ throughout
  cosine[:minLr=0,epochs=E]       half a cosine from η₀ down to minLr over E epochs (default E: --epochs)
  step:every=2,gamma=0.5          multiply by gamma every "every" epochs
  exp:gamma=0.9                   η₀·gamma^epoch
  inverse:k=0.1                   η₀ / (1 + k·epoch)
  warmup:epochs=1+cosine          a linear warm-up (epochs=N or steps=N), then the schedule after "+"`;

/**
 * Builds the schedule. `batchesPerEpoch` converts a warm-up given in epochs to steps; pass 1 to check
 * the syntax before the data is loaded.
 */
export function scheduleFromSpec(spec: string, lr: number, epochs: number, batchesPerEpoch: number): Schedule {
  const parts = spec.split('+').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new OptionError(`--schedule "${spec}": empty part around "+"`);
  let warmupSteps = 0;
  let main: string | undefined;
  for (const part of parts) {
    const colon = part.indexOf(':');
    const kind = (colon < 0 ? part : part.slice(0, colon)).trim().toLowerCase();
    const params = colon < 0 ? '' : part.slice(colon + 1).trim();
    if (kind === 'warmup') {
      if (warmupSteps > 0) throw new OptionError(`--schedule "${spec}": more than one warm-up`);
      warmupSteps = warmupFromParams(spec, params, batchesPerEpoch);
      continue;
    }
    const canonical = KIND_ALIASES[kind];
    if (canonical === undefined) {
      throw new OptionError(`--schedule "${spec}": unknown schedule "${kind}" (known: constant, cosine, step, exp, inverse, warmup)`);
    }
    if (main !== undefined) throw new OptionError(`--schedule "${spec}": give one schedule (plus an optional warm-up), not two`);
    main = params === '' ? canonical : `${canonical}:${params}`;
  }
  let text = main ?? 'constant';
  if (warmupSteps > 0) text += `${text.includes(':') ? ',' : ':'}warmup=${warmupSteps}`;
  try {
    return parseSchedule(text, { lr, epochs });
  } catch (e) {
    throw new OptionError(`--schedule "${spec}": ${(e as Error).message}`);
  }
}

function warmupFromParams(spec: string, params: string, batchesPerEpoch: number): number {
  const match = /^(epochs|steps)=(\d+(?:\.\d+)?)$/.exec(params.replace(/\s+/g, ''));
  if (!match) throw new OptionError(`--schedule "${spec}": write the warm-up as warmup:epochs=N or warmup:steps=N`);
  const amount = Number(match[2]);
  const steps = match[1] === 'epochs' ? Math.round(amount * batchesPerEpoch) : amount;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new OptionError(`--schedule "${spec}": the warm-up must last at least one step`);
  }
  return steps;
}
