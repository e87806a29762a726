/**
 * The model `nn train --model X` builds: a zoo model by name (mlp, cnn, best) or the user's own layer list
 * and recipe from a JSON file (models/spec.ts). Either is built for the data's input shape before any
 * training, so a shape that cannot work fails at once, naming the layer and both shapes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MNIST_MODEL_NAMES, mnistModel, type TrainingRecipe } from '../models/mnist';
import { ModelSpecError, modelFromSpec, specRecipe, type ModelSpec } from '../models/spec';
import { readModelSpec } from '../models/spec-file';
import { Sequential } from '../net/sequential';
import { formatShape, sizeOf } from '../tensor';
import { CliError } from './errors';

export type ModelChoice =
  | { kind: 'zoo'; name: string; description: string; recipe: TrainingRecipe }
  | { kind: 'spec'; file: string; spec: ModelSpec; description: string; recipe: TrainingRecipe };

/** `--model VALUE`: a zoo name, or a JSON spec file (a path ending in .json, or any existing file). */
export function modelChoice(value: string): ModelChoice {
  if ((MNIST_MODEL_NAMES as readonly string[]).includes(value)) {
    const model = mnistModel(value);
    return { kind: 'zoo', name: value, description: model.description, recipe: model.recipe };
  }
  if (!/\.json$/i.test(value) && !fs.existsSync(value)) {
    throw new CliError(`--model ${value}: neither a built-in model (${MNIST_MODEL_NAMES.join(', ')}) nor a JSON spec file (FILE.json: a layer list and an optional recipe)`);
  }
  const spec = readModelSpec(value);
  const layers = spec.layers.map((l) => l.kind).join('-');
  return { kind: 'spec', file: path.resolve(value), spec, description: spec.description ?? layers, recipe: specRecipe(spec) };
}

/** The name stored in the run: the zoo name, or the spec file's name. */
export function modelName(choice: ModelChoice): string {
  return choice.kind === 'zoo' ? choice.name : path.basename(choice.file);
}

/** The net for samples of `inputShape` scoring `classes` classes; every shape is checked now. */
export function buildModel(choice: ModelChoice, inputShape: readonly number[], classes: number, seed: number): Sequential {
  if (choice.kind === 'spec') return modelFromSpec(choice.spec, { inputShape, classes, seed, source: choice.file });
  let net: Sequential;
  try {
    net = new Sequential(mnistModel(choice.name).layers(), { inputShape: [...inputShape], seed });
  } catch (e) {
    throw new ModelSpecError(
      `the built-in model ${choice.name} does not fit samples of shape ${formatShape(inputShape)}: ${(e as Error).message}; ` +
        'describe your own with --model FILE.json',
    );
  }
  if (sizeOf(net.outputShape) !== classes) {
    throw new ModelSpecError(
      `the built-in model ${choice.name} scores 10 classes but the data has ${classes}; describe your own with --model FILE.json ` +
        `(its last layer { "kind": "Affine", "units": ${classes} })`,
    );
  }
  return net;
}
