/**
 * A model directory as the CLI sees it: the net and optimizer from `load`, plus the metadata `nn train`
 * stores — the dataset and model it was trained on, how inputs are encoded (pixel normalisation or the CSV
 * feature columns and their scaling), the class names, the recipe, the test accuracy.
 *
 * `loadModelDir` accepts any saved model (`nn summary` works on all of them); `loadMnistModel` additionally
 * checks that the net classifies 28×28 images into 10 classes (`nn demo`, and MNIST's eval/predict).
 */
import * as fs from 'node:fs';
import { UNIT_SCALING, type Normalization } from '../data/mnist';
import type { FeatureScaling } from '../data/features';
import type { ModelSpec } from '../models/spec';
import { load, type LoadedModel } from '../net/serialize';
import { isByteInputs, type Inputs } from '../data/batches';
import { ShapeError, formatShape, reshape, sizeOf, type Tensor } from '../tensor';
import { CliError } from './errors';

/** Where the training data came from, so that --resume finds the same rows and eval knows what to ask for. */
export interface DataChoice {
  /** A dataset by name (mnist, fashion-mnist, kmnist). */
  dataset?: string;
  /** --data: an IDX pair (IMAGES,LABELS), a directory of IDX pairs, or a CSV file (absolute paths). */
  path?: string;
  format?: 'idx' | 'csv';
  /** CSV: the label column as given (a name or a 1-based number). */
  labelColumn?: string;
  /** --test: the test file(s); else a directory's test pair; else held-out rows. */
  test?: string;
  /** Rows held out as the test set when there is no test file (a count or a fraction). */
  testSplit?: number;
  /** The seed of the random split into test, validation and training rows (user data only). */
  splitSeed?: number;
}

/** Everything `nn train` decided, stored in the model so that eval, predict and --resume agree. */
export interface RunConfig {
  /** A zoo model (mlp, cnn, best) or the spec file it was built from. */
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
  /** Training samples used. For a named dataset: the first `trainCount` of the training file. */
  trainCount: number;
  /** Validation samples. For a named dataset: the last `validation` of the training file. */
  validation: number;
  /** Absent in models saved before issue 16: MNIST. */
  data?: DataChoice;
}

/** The name under which models of issue 9–14 stored their run. */
export type MnistRunConfig = RunConfig;

/** CSV inputs: the feature columns in order, and the scaling measured on the training rows. */
export interface FeatureEncoding extends FeatureScaling {
  columns: string[];
  labelColumn: string;
}

/** What `nn train` stores in model.json's metadata. */
export interface TrainedMetadata {
  /** mnist, fashion-mnist, kmnist, idx or csv. */
  dataset: string;
  model: string;
  /** Image inputs: x = (pixel/255 − mean) / std. */
  normalization?: Normalization;
  /** CSV inputs. */
  features?: FeatureEncoding;
  /** Class index → name (CSV string labels, Fashion-MNIST's articles …). */
  classNames?: string[];
  /** The layer list and recipe of a --model FILE.json. */
  spec?: ModelSpec;
  /** Absent only in models whose metadata was written by hand or another tool. */
  run?: RunConfig;
  /** Set once training finished and the test set was evaluated. */
  testAccuracy?: number;
  testSamples?: number;
}

export type MnistMetadata = TrainedMetadata;

/** How a model's inputs are made from data: pixel bytes (images) or CSV feature columns. */
export type InputEncoding =
  | { kind: 'pixels'; normalization: Normalization; rows: number; cols: number }
  | { kind: 'features'; features: FeatureEncoding };

export interface ModelDir extends LoadedModel {
  dir: string;
  metadata?: Record<string, unknown>;
  /** Undefined for a model saved by the library without `nn train` metadata. */
  trained?: TrainedMetadata;
  /** Undefined when nothing says how to feed the model (a library model that is not 28×28 images). */
  input?: InputEncoding;
  /** One name per output class ("0", "1", … when the model does not say). */
  classNames: string[];
}

export interface MnistModelDir extends ModelDir {
  /** The `nn train` metadata of an MNIST-shaped model, if any (any 28×28 10-class dataset). */
  mnist?: TrainedMetadata;
  normalization: Normalization;
}

/** Loads any model directory and reads what `nn train` stored with it. */
export function loadModelDir(dir: string): ModelDir {
  if (!fs.existsSync(dir)) throw new CliError(`model directory ${dir} does not exist (train one with: nn train mnist --out ${dir})`);
  if (!fs.statSync(dir).isDirectory()) throw new CliError(`${dir} is a file; give the model directory (the one holding model.json)`);
  const loaded = load(dir);
  const trained = trainedMetadata(loaded.metadata, dir);
  const outputs = sizeOf(loaded.net.outputShape);
  const classNames = trained?.classNames && trained.classNames.length === outputs
    ? trained.classNames
    : Array.from({ length: outputs }, (_, i) => String(i));
  return { ...loaded, dir, trained, input: inputEncoding(loaded.net.inputShape, trained), classNames };
}

/** Loads a model directory and checks it classifies 28×28 images into 10 classes. */
export function loadMnistModel(dir: string): MnistModelDir {
  const model = loadModelDir(dir);
  const inputSize = sizeOf(model.net.inputShape);
  const outputSize = sizeOf(model.net.outputShape);
  if (inputSize !== 28 * 28 || outputSize !== 10 || model.input?.kind !== 'pixels') {
    throw new CliError(
      `the model in ${dir} takes inputs ${formatShape(model.net.inputShape)} and gives ${formatShape(model.net.outputShape)}; ` +
        `MNIST needs 28×28 = 784 pixels in ([1, 28, 28] or [784]) and 10 class scores out`,
    );
  }
  return { ...model, mnist: model.trained, normalization: model.input.normalization };
}

/** The `nn train` metadata if present (and well-formed), undefined if the model has none. */
function trainedMetadata(metadata: Record<string, unknown> | undefined, dir: string): TrainedMetadata | undefined {
  if (metadata === undefined || metadata.dataset === undefined) return undefined;
  const bad = (what: string): never => {
    throw new CliError(`the metadata in ${dir}/model.json is damaged (${what}); retrain the model with nn train`);
  };
  if (typeof metadata.dataset !== 'string') bad('"dataset" is not a name');
  const norm = metadata.normalization as Partial<Normalization> | undefined;
  if (norm !== undefined && (typeof norm.mean !== 'number' || typeof norm.std !== 'number' || !(norm.std > 0))) bad('the input normalisation');
  // Pixels are x = (p/255 − mean) / std: a std like 1e-300 turns every input into ±Infinity (and a mean of
  // 1e300 into a constant). nn train stores the statistics of pixels in [0, 1]; allow a wide margin.
  if (norm !== undefined && (!(Math.abs(norm.mean!) <= 1e6) || !(norm.std! >= 1e-6 && norm.std! <= 1e6))) {
    bad(`the input normalisation is mean ${norm.mean}, std ${norm.std}; nn train stores |mean| ≤ 1e6 and a std from 1e-6 to 1e6`);
  }
  const features = metadata.features as Partial<FeatureEncoding> | undefined;
  if (features !== undefined) {
    const width = features.columns?.length;
    if (!Array.isArray(features.columns) || !Array.isArray(features.mean) || !Array.isArray(features.std) ||
        features.mean.length !== width || features.std.length !== width || typeof features.labelColumn !== 'string') {
      bad('the feature columns and their scaling');
    }
  }
  if (norm === undefined && features === undefined) bad('neither a pixel normalisation nor feature columns');
  const classNames = metadata.classNames;
  if (classNames !== undefined && (!Array.isArray(classNames) || !classNames.every((n) => typeof n === 'string'))) bad('the class names');
  return metadata as unknown as TrainedMetadata;
}

function inputEncoding(inputShape: readonly number[], trained: TrainedMetadata | undefined): InputEncoding | undefined {
  if (trained?.features) return { kind: 'features', features: trained.features };
  const size = sizeOf(inputShape);
  // [1, H, W] or [H·W]: greyscale images. A model without metadata is taken as MNIST-style pixels/255.
  const [rows, cols] = inputShape.length === 3 && inputShape[0] === 1 ? [inputShape[1], inputShape[2]]
    : size === 784 ? [28, 28] : [0, 0];
  if (trained?.normalization && rows > 0) return { kind: 'pixels', normalization: trained.normalization, rows, cols };
  if (trained === undefined && size === 784) return { kind: 'pixels', normalization: UNIT_SCALING, rows: 28, cols: 28 };
  return undefined;
}

/** [N, 1, H, W] images (tensor or bytes, or [N, D] features) seen with the model's own per-sample input shape. */
export function asModelInput<X extends Inputs>(images: X, inputShape: readonly number[]): X {
  if (!isByteInputs(images)) return reshape(images as Tensor, [images.shape[0], ...inputShape]) as X;
  const shape = [images.shape[0], ...inputShape];
  if (sizeOf(shape) !== images.bytes.length) throw new ShapeError(`cannot see images ${formatShape(images.shape)} as ${formatShape(shape)}`);
  return { ...images, shape } as X;
}
