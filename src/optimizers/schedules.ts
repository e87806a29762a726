/**
 * Learning-rate schedules (ARCHITECTURE §5): pure functions `lr(epoch, step)`.
 *
 * - `epoch` counts completed epochs from 0 (the first epoch is epoch 0);
 * - `step` is the GLOBAL step count: the number of optimizer updates done before this one, from 0, across
 *   epochs (it does not restart each epoch), so a warm-up length does not depend on the epoch size.
 *
 * `fit` evaluates the schedule before each update, so the very first update uses η₀ (or, with a warm-up,
 * η₀/W). The decays change once per epoch; only the warm-up depends on `step`:
 *
 * | kind           | lr(epoch, step)                                      |
 * |----------------|------------------------------------------------------|
 * | `constant`     | η₀                                                   |
 * | `step`         | η₀·γ^⌊epoch / k⌋   (γ every k epochs)                 |
 * | `exponential`  | η₀·γ^epoch                                           |
 * | `inverse-time` | η₀ / (1 + k·epoch)                                   |
 * | `cosine`       | η_min + (η₀ − η_min)·(1 + cos(π·min(epoch, E)/E))/2  |
 * | warm-up (any)  | η₀·(step + 1)/W while step < W, then the above       |
 *
 * The warm-up climbs linearly towards η₀ itself (not towards the decayed value), so warm-up followed by
 * any decay is monotone: strictly up for W steps, then never up again, however W compares to the epoch.
 * A schedule carries its `config`, plain JSON that `scheduleFromConfig` turns back into the same schedule
 * (saved with a checkpoint so that a resumed run continues on the same curve).
 */
import { OptionError } from '../errors';
import { checkOptionNames, nonNegativeOption, positiveIntegerOption, positiveOption, requiredOption } from '../options';

export type ScheduleConfig =
  | { kind: 'constant'; lr: number; warmupSteps?: number }
  | { kind: 'step'; lr: number; gamma: number; every: number; warmupSteps?: number }
  | { kind: 'exponential'; lr: number; gamma: number; warmupSteps?: number }
  | { kind: 'inverse-time'; lr: number; k: number; warmupSteps?: number }
  | { kind: 'cosine'; lr: number; epochs: number; minLr: number; warmupSteps?: number };

export type ScheduleKind = ScheduleConfig['kind'];

export interface Schedule {
  /** Plain JSON that rebuilds this schedule with `scheduleFromConfig`. */
  readonly config: ScheduleConfig;
  /** The learning rate for the update after `step` updates, in epoch `epoch` (both from 0). */
  lr(epoch: number, step: number): number;
}

export const scheduleKinds: readonly ScheduleKind[] = ['constant', 'step', 'exponential', 'inverse-time', 'cosine'];

/** η₀ throughout. */
export function constantSchedule(options: { lr: number }): Schedule {
  return scheduleFromConfig({ kind: 'constant', lr: options.lr });
}

/** η₀·γ^⌊epoch/every⌋: multiply by γ every `every` epochs. */
export function stepSchedule(options: { lr: number; gamma: number; every: number }): Schedule {
  return scheduleFromConfig({ kind: 'step', ...options });
}

/** η₀·γ^epoch. */
export function exponentialSchedule(options: { lr: number; gamma: number }): Schedule {
  return scheduleFromConfig({ kind: 'exponential', ...options });
}

/** η₀ / (1 + k·epoch). */
export function inverseTimeSchedule(options: { lr: number; k: number }): Schedule {
  return scheduleFromConfig({ kind: 'inverse-time', ...options });
}

/** Half a cosine from η₀ at epoch 0 down to η_min (default 0) at epoch E, then η_min. */
export function cosineSchedule(options: { lr: number; epochs: number; minLr?: number }): Schedule {
  return scheduleFromConfig({ kind: 'cosine', lr: options.lr, epochs: options.epochs, minLr: options.minLr ?? 0 });
}

/** The same schedule after a linear warm-up: η₀·(step + 1)/W for the first W updates (global steps). */
export function withWarmup(schedule: Schedule, warmupSteps: number): Schedule {
  return scheduleFromConfig({ ...schedule.config, warmupSteps });
}

/** Rebuild a schedule from its config, checking every field. */
export function scheduleFromConfig(config: ScheduleConfig): Schedule {
  if (config === null || typeof config !== 'object') {
    throw new OptionError(`schedule config must be an object, got ${String(config)}`);
  }
  const kind = config.kind;
  const owner = `${kind} schedule`;
  const lr0 = positiveOption(owner, 'lr', requiredOption(owner, 'lr', config.lr), 0);
  const warmupSteps =
    config.warmupSteps === undefined ? 0 : positiveIntegerOption(owner, 'warmupSteps', config.warmupSteps);
  let decay: (epoch: number) => number;
  let clean: ScheduleConfig;
  switch (config.kind) {
    case 'constant':
      checkOptionNames(owner, config, ['kind', 'lr', 'warmupSteps']);
      clean = { kind: 'constant', lr: lr0 };
      decay = () => lr0;
      break;
    case 'step': {
      checkOptionNames(owner, config, ['kind', 'lr', 'gamma', 'every', 'warmupSteps']);
      const gamma = positiveOption(owner, 'gamma', requiredOption(owner, 'gamma', config.gamma), 0);
      const every = positiveIntegerOption(owner, 'every', requiredOption(owner, 'every', config.every));
      clean = { kind: 'step', lr: lr0, gamma, every };
      decay = (epoch) => lr0 * Math.pow(gamma, Math.floor(epoch / every));
      break;
    }
    case 'exponential': {
      checkOptionNames(owner, config, ['kind', 'lr', 'gamma', 'warmupSteps']);
      const gamma = positiveOption(owner, 'gamma', requiredOption(owner, 'gamma', config.gamma), 0);
      clean = { kind: 'exponential', lr: lr0, gamma };
      decay = (epoch) => lr0 * Math.pow(gamma, epoch);
      break;
    }
    case 'inverse-time': {
      checkOptionNames(owner, config, ['kind', 'lr', 'k', 'warmupSteps']);
      const k = nonNegativeOption(owner, 'k', requiredOption(owner, 'k', config.k), 0);
      clean = { kind: 'inverse-time', lr: lr0, k };
      decay = (epoch) => lr0 / (1 + k * epoch);
      break;
    }
    case 'cosine': {
      checkOptionNames(owner, config, ['kind', 'lr', 'epochs', 'minLr', 'warmupSteps']);
      const epochs = positiveIntegerOption(owner, 'epochs', requiredOption(owner, 'epochs', config.epochs));
      const minLr = nonNegativeOption(owner, 'minLr', config.minLr, 0);
      if (minLr > lr0) throw new OptionError(`${owner}: option "minLr" (${minLr}) must not exceed "lr" (${lr0})`);
      clean = { kind: 'cosine', lr: lr0, epochs, minLr };
      decay = (epoch) => minLr + ((lr0 - minLr) * (1 + Math.cos((Math.PI * Math.min(epoch, epochs)) / epochs))) / 2;
      break;
    }
    default:
      throw new OptionError(`unknown schedule "${String(kind)}" (known: ${scheduleKinds.join(', ')})`);
  }
  if (warmupSteps > 0) clean.warmupSteps = warmupSteps;
  const frozen = Object.freeze(clean);
  return {
    config: frozen,
    lr(epoch: number, step: number): number {
      if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(step) || step < 0) {
        throw new OptionError(`schedule.lr(epoch, step) needs integers ≥ 0, got (${epoch}, ${step})`);
      }
      return step < warmupSteps ? (lr0 * (step + 1)) / warmupSteps : decay(epoch);
    },
  };
}

/**
 * A schedule from command-line text: `kind[:key=value,key=value…]`, e.g. `cosine:epochs=10,minLr=1e-5`,
 * `step:gamma=0.5,every=2`, `exponential:gamma=0.9`, `inverse-time:k=0.5`, `constant`, and for any of them
 * `warmup=500` (warm-up steps). `lr=` overrides `defaults.lr`; a cosine without `epochs=` runs over
 * `defaults.epochs` (the training length).
 */
export function parseSchedule(text: string, defaults: { lr: number; epochs?: number }): Schedule {
  const trimmed = String(text).trim();
  const colon = trimmed.indexOf(':');
  const kind = (colon < 0 ? trimmed : trimmed.slice(0, colon)).trim();
  if (!(scheduleKinds as readonly string[]).includes(kind)) {
    throw new OptionError(`unknown schedule "${kind}" in "${text}" (known: ${scheduleKinds.join(', ')})`);
  }
  const fields: Record<string, number | string> = { kind, lr: defaults.lr };
  if (kind === 'cosine' && defaults.epochs !== undefined) fields.epochs = defaults.epochs;
  const rest = colon < 0 ? '' : trimmed.slice(colon + 1).trim();
  for (const part of rest === '' ? [] : rest.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const raw = eq < 0 ? '' : part.slice(eq + 1).trim();
    const value = Number(raw);
    if (raw === '' || !Number.isFinite(value)) {
      throw new OptionError(`schedule "${text}": "${part.trim()}" must be key=number (e.g. gamma=0.5)`);
    }
    fields[key === 'warmup' ? 'warmupSteps' : key] = value;
  }
  return scheduleFromConfig(fields as unknown as ScheduleConfig);
}
