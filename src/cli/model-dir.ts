/**
 * A model directory as the CLI sees it: the net and optimizer from `load`, plus the MNIST metadata
 * `nn train` stores (model name, input normalisation, the recipe it was trained with, its test accuracy),
 * and the check that the net fits MNIST at all.
 */
import * as fs from 'node:fs';
import { UNIT_SCALING, type Normalization } from '../data/mnist';
import { quote } from '../net/model-check';
import { load, type LoadedModel } from '../net/serialize';
import { formatShape, reshape, sizeOf, type Tensor } from '../tensor';
import { CliError } from './errors';

/** Everything `nn train mnist` decided, stored in the model so that eval, predict and --resume agree. */
export interface MnistRunConfig {
  model: string;
  epochs: number;
  batchSize: number;
  optimizer: string;
  lr: number;
  schedule: string;
  weightDecay: number;
  shift: number;
  normalize: 'scale' | 'standardize';
  seed: number;
  /** Training images used (the first `trainCount` of the training file). */
  trainCount: number;
  /** Validation images (the last `validation` of the training file). */
  validation: number;
}

export interface MnistMetadata {
  dataset: 'mnist';
  model: string;
  normalization: Normalization;
  run: MnistRunConfig;
  /** Set once training finished and the test set was evaluated. */
  testAccuracy?: number;
  testSamples?: number;
}

export interface MnistModelDir extends LoadedModel {
  dir: string;
  /** Undefined for a model saved by the library without `nn train` metadata. */
  metadata?: Record<string, unknown>;
  mnist?: MnistMetadata;
  normalization: Normalization;
}

const PIXELS = 28 * 28;

/** Loads a model directory and checks it classifies 28×28 images into 10 classes. */
export function loadMnistModel(dir: string): MnistModelDir {
  if (!fs.existsSync(dir)) throw new CliError(`model directory ${dir} does not exist (train one with: nn train mnist --out ${dir})`);
  const loaded = load(dir);
  const inputSize = sizeOf(loaded.net.inputShape);
  const outputSize = sizeOf(loaded.net.outputShape);
  if (inputSize !== PIXELS || outputSize !== 10) {
    throw new CliError(
      `the model in ${dir} takes inputs ${formatShape(loaded.net.inputShape)} and gives ${formatShape(loaded.net.outputShape)}; ` +
        `MNIST needs 28×28 = 784 pixels in ([1, 28, 28] or [784]) and 10 class scores out`,
    );
  }
  const mnist = mnistMetadata(loaded.metadata, dir);
  return { ...loaded, dir, mnist, normalization: mnist?.normalization ?? UNIT_SCALING };
}

/** The MNIST metadata if present (and well-formed), undefined if the model has none. */
function mnistMetadata(metadata: Record<string, unknown> | undefined, dir: string): MnistMetadata | undefined {
  if (metadata === undefined || metadata.dataset === undefined) return undefined;
  const norm = metadata.normalization as Partial<Normalization> | undefined;
  if (metadata.dataset !== 'mnist' || !norm || typeof norm.mean !== 'number' || typeof norm.std !== 'number' || !(norm.std > 0)) {
    throw new CliError(`the model in ${dir} was not trained on MNIST by nn train (its metadata says dataset ${quote(metadata.dataset)})`);
  }
  // Pixels are x = (p/255 − mean) / std: a std like 1e-300 turns every input into ±Infinity (and a mean
  // of 1e300 into a constant). nn train stores the statistics of pixels in [0, 1]; allow a wide margin.
  if (!(Math.abs(norm.mean) <= 1e6) || !(norm.std >= 1e-6 && norm.std <= 1e6)) {
    throw new CliError(
      `the model in ${dir} has the input normalisation mean ${norm.mean}, std ${norm.std}; ` +
        'nn train stores |mean| ≤ 1e6 and a std from 1e-6 to 1e6 (model.json was edited or damaged)',
    );
  }
  return metadata as unknown as MnistMetadata;
}

/** [N, 1, 28, 28] images seen with the model's own per-sample input shape ([1, 28, 28] or [784]). */
export function asModelInput(images: Tensor, inputShape: readonly number[]): Tensor {
  return reshape(images, [images.shape[0], ...inputShape]);
}
