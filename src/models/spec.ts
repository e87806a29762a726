/**
 * A model described in JSON instead of code: a layer list in the vocabulary of model.json's topology plus an
 * optional training recipe. `nn train --model FILE.json` reads one; the library builds it with `modelFromSpec`.
 *
 *   { "layers": [ { "kind": "Conv2D", "filters": 16, "kernelSize": 3, "padding": "same" },
 *                 { "kind": "ReLU" }, { "kind": "MaxPool", "size": 2 }, { "kind": "Flatten" },
 *                 { "kind": "Affine", "units": 10 } ],
 *     "recipe": { "optimizer": "adam", "lr": 0.001, "schedule": "cosine", "batchSize": 64, "epochs": 10 } }
 *
 * A bare array is a layer list without a recipe. Each layer is `{ "kind", …options }` (the options a
 * layer's constructor takes) or, as model.json writes it, `{ "kind", "config": { … } }`. Kinds are those of
 * the layer registry (every built-in layer, and any added with registerLayer).
 */
import type { Layer } from '../layers/layer';
import { layerFromConfig, layerKinds } from '../layers/registry';
import { Sequential } from '../net/sequential';
import { formatShape, sizeOf } from '../tensor';
import type { TrainingRecipe } from './mnist';

export class ModelSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelSpecError';
  }
}

export interface LayerSpec {
  readonly kind: string;
  readonly config: Record<string, unknown>;
}

export interface ModelSpec {
  readonly layers: readonly LayerSpec[];
  /** The recipe fields the file sets; the rest come from DEFAULT_SPEC_RECIPE (or the command line). */
  readonly recipe: Partial<TrainingRecipe>;
  readonly description?: string;
}

/** What a spec without a recipe trains with. */
export const DEFAULT_SPEC_RECIPE: TrainingRecipe = {
  epochs: 10, batchSize: 32, optimizer: 'adam', lr: 1e-3, schedule: 'cosine', weightDecay: 0, shift: 0, normalize: 'standardize',
};

const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'rmsprop', 'adam', 'adagrad'];
const RECIPE_CHECKS: Record<keyof TrainingRecipe, (v: unknown) => string | undefined> = {
  epochs: (v) => (Number.isSafeInteger(v) && (v as number) > 0 ? undefined : 'a positive integer'),
  batchSize: (v) => (Number.isSafeInteger(v) && (v as number) > 0 ? undefined : 'a positive integer'),
  optimizer: (v) => (typeof v === 'string' && OPTIMIZERS.includes(v) ? undefined : `one of ${OPTIMIZERS.join(', ')}`),
  lr: (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'a number > 0'),
  schedule: (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'a schedule such as "cosine" or "step:every=2,gamma=0.5"'),
  weightDecay: (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'a number ≥ 0'),
  shift: (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'an integer ≥ 0'),
  normalize: (v) => (v === 'scale' || v === 'standardize' ? undefined : '"scale" or "standardize"'),
};

/** Checks the structure of parsed JSON and returns the spec; `source` names the file in errors. */
export function parseModelSpec(json: unknown, source = 'model spec'): ModelSpec {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  let layers: unknown;
  let recipe: unknown = {};
  let description: unknown;
  if (Array.isArray(json)) {
    layers = json;
  } else if (isObject(json)) {
    const unknownKeys = Object.keys(json).filter((k) => !['layers', 'recipe', 'description'].includes(k));
    if (unknownKeys.length > 0) throw new ModelSpecError(`${source}: unknown field "${unknownKeys[0]}" (a spec has "layers", and optionally "recipe" and "description")`);
    layers = json.layers;
    recipe = json.recipe ?? {};
    description = json.description;
  } else {
    throw new ModelSpecError(`${source}: expected a layer list [ { "kind": … }, … ] or { "layers": [ … ], "recipe": { … } }`);
  }
  if (!Array.isArray(layers) || layers.length === 0) throw new ModelSpecError(`${source}: "layers" must be a non-empty list of layers`);
  const parsed = layers.map((entry, i): LayerSpec => {
    if (!isObject(entry) || typeof entry.kind !== 'string') {
      throw new ModelSpecError(`${source}: layers[${i}] must be an object with a "kind" (one of ${layerKinds().join(', ')})`);
    }
    const { kind, config, ...rest } = entry;
    if (config !== undefined) {
      if (!isObject(config)) throw new ModelSpecError(`${source}: layers[${i}] (${kind}): "config" must be an object`);
      if (Object.keys(rest).length > 0) throw new ModelSpecError(`${source}: layers[${i}] (${kind}): give the options either in "config" or beside "kind", not both`);
      return { kind: kind as string, config };
    }
    return { kind: kind as string, config: rest };
  });
  if (!isObject(recipe)) throw new ModelSpecError(`${source}: "recipe" must be an object`);
  for (const [key, value] of Object.entries(recipe)) {
    const check = (RECIPE_CHECKS as Record<string, ((v: unknown) => string | undefined) | undefined>)[key];
    if (!check) throw new ModelSpecError(`${source}: recipe: unknown field "${key}" (known: ${Object.keys(RECIPE_CHECKS).join(', ')})`);
    const expected = check(value);
    if (expected) throw new ModelSpecError(`${source}: recipe.${key} must be ${expected}, got ${JSON.stringify(value)}`);
  }
  if (description !== undefined && typeof description !== 'string') throw new ModelSpecError(`${source}: "description" must be a string`);
  return { layers: parsed, recipe: recipe as Partial<TrainingRecipe>, ...(description !== undefined ? { description: description as string } : {}) };
}

export interface ModelFromSpecOptions {
  /** The per-sample input shape: [features] or [channels, height, width]. */
  inputShape: readonly number[];
  /** The number of classes the last layer must score (checked when given). */
  classes?: number;
  seed?: number;
  /** Names the spec in errors (its file). */
  source?: string;
}

/**
 * The net a spec describes, built for `inputShape` (so every layer's shapes are checked now, not at the
 * first batch); with `classes`, the last layer must give that many scores.
 */
export function modelFromSpec(spec: ModelSpec, options: ModelFromSpecOptions): Sequential {
  const source = options.source ?? 'model spec';
  const layers: Layer[] = spec.layers.map((entry, i) => {
    try {
      return layerFromConfig(entry.kind, entry.config);
    } catch (e) {
      throw new ModelSpecError(`${source}: layers[${i}] (${entry.kind}): ${(e as Error).message}`);
    }
  });
  let net: Sequential;
  try {
    net = new Sequential(layers, { inputShape: [...options.inputShape], seed: options.seed ?? 0 });
  } catch (e) {
    // Sequential names the layer, its input shape and where that shape comes from.
    throw new ModelSpecError(`${source}: ${(e as Error).message} (the data gives samples of shape ${formatShape(options.inputShape)})`);
  }
  if (options.classes !== undefined && (net.outputShape.length !== 1 || sizeOf(net.outputShape) !== options.classes)) {
    const last = spec.layers.length - 1;
    throw new ModelSpecError(
      `${source}: the last layer, layers[${last}] (${spec.layers[last].kind}), outputs ${formatShape(net.outputShape)} ` +
        `but the data has ${options.classes} classes, so it must output [${options.classes}]` +
        `${spec.layers[last].kind === 'Affine' ? `: set "units": ${options.classes}` : ''}`,
    );
  }
  return net;
}

/** The recipe a spec trains with: its own fields over the defaults. */
export function specRecipe(spec: ModelSpec): TrainingRecipe {
  return { ...DEFAULT_SPEC_RECIPE, ...spec.recipe };
}
