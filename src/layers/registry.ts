/**
 * Layer kind → constructor, so that a model file's `{ kind, config }` becomes a layer again
 * (`new Kind(config)`), and → an example: a random config and an input shape the layer takes, from which the
 * property suites (the layer contract, gradient checks, save/load) build every registered kind — a new kind is
 * tested everywhere by its registration alone (CONTRIBUTING.md, "Adding a layer"). The one file that imports
 * every layer: nothing else in `net/` knows a layer by type. A custom layer joins with `registerLayer` and then
 * saves and loads like the built-in ones.
 */
import { OptionError } from '../errors';
import { Affine } from './affine';
import { AvgPool } from './avgpool';
import { BatchNorm } from './batchnorm';
import { Conv2D } from './conv2d';
import { Dropout } from './dropout';
import { Flatten } from './flatten';
import type { Layer } from './layer';
import type { Rng } from '../random';
import { LocalContrastNorm } from './local-contrast-norm';
import { LocalResponseNorm } from './local-response-norm';
import { MaxPool } from './maxpool';
import { ReLU } from './relu';
import { Sigmoid } from './sigmoid';
import { Tanh } from './tanh';

/** Builds a layer from the object its `config()` returned. */
export type LayerFactory = (config: any) => Layer;

/**
 * A random instance of a kind, drawn from `rng`: a config for the factory and a batch shape `[N, …sample]` the
 * layer takes. Draw small shapes (a few elements per axis: the gradient checker perturbs every coordinate),
 * and cover the layer's options (strides, padding, with and without bias …), edge cases included.
 */
export interface LayerExample {
  config: object;
  input: number[];
}
export type LayerExampleFactory = (rng: Rng) => LayerExample;

/** n ∈ [low, high], uniform. */
const between = (rng: Rng, low: number, high: number): number => low + rng.int(high - low + 1);

const factories = new Map<string, LayerFactory>([
  ['Affine', (c) => new Affine(c)],
  ['Conv2D', (c) => new Conv2D(c)],
  ['MaxPool', (c) => new MaxPool(c)],
  ['AvgPool', (c) => new AvgPool(c)],
  ['BatchNorm', (c) => new BatchNorm(c)],
  ['Dropout', (c) => new Dropout(c)],
  ['LocalResponseNorm', (c) => new LocalResponseNorm(c)],
  ['LocalContrastNorm', (c) => new LocalContrastNorm(c)],
  ['ReLU', (c) => new ReLU(c)],
  ['Sigmoid', (c) => new Sigmoid(c)],
  ['Tanh', (c) => new Tanh(c)],
  ['Flatten', (c) => new Flatten(c)],
]);

/** The built-in kinds' examples (a new layer may define its example in its own file and pass it here). */
const examples = new Map<string, LayerExampleFactory>([
  ['Affine', (r) => ({
    config: { units: between(r, 1, 4), useBias: r.int(4) > 0, init: r.int(2) === 0 ? 'he' : 'xavier' },
    input: r.int(3) > 0 ? [between(r, 1, 3), between(r, 1, 6)] : [between(r, 1, 3), between(r, 1, 2), between(r, 1, 3), between(r, 1, 3)],
  })],
  ['Conv2D', (r) => {
    const k = between(r, 1, 3);
    return {
      config: { filters: between(r, 1, 3), kernelSize: k, stride: between(r, 1, 2), padding: r.int(k), useBias: r.int(4) > 0 },
      input: [between(r, 1, 2), between(r, 1, 3), k + r.int(4), k + r.int(4)],
    };
  }],
  ['MaxPool', (r) => {
    const size = between(r, 2, 3);
    return { config: { size, stride: between(r, 1, size) }, input: [between(r, 1, 2), between(r, 1, 3), size + r.int(4), size + r.int(4)] };
  }],
  ['AvgPool', (r) => {
    const size = between(r, 2, 3);
    return { config: { size, stride: between(r, 1, size) }, input: [between(r, 1, 2), between(r, 1, 3), size + r.int(4), size + r.int(4)] };
  }],
  // Batch statistics need two samples at least.
  ['BatchNorm', (r) => ({ config: {}, input: r.int(2) === 0 ? [between(r, 2, 4), between(r, 1, 5)] : [between(r, 2, 3), between(r, 1, 3), between(r, 1, 4), between(r, 1, 4)] })],
  ['Dropout', (r) => ({ config: { rate: [0, 0.3, 0.5][r.int(3)] }, input: [between(r, 1, 3), between(r, 2, 8)] })],
  ['LocalResponseNorm', (r) => ({ config: { size: between(r, 1, 4), alpha: 0.5 }, input: [between(r, 1, 2), between(r, 1, 4), between(r, 1, 4), between(r, 1, 4)] })],
  ['LocalContrastNorm', (r) => ({ config: { size: between(r, 1, 5) }, input: [between(r, 1, 2), between(r, 1, 3), between(r, 2, 5), between(r, 2, 5)] })],
  ['ReLU', (r) => ({ config: {}, input: [between(r, 1, 3), between(r, 1, 3), between(r, 1, 4)] })],
  ['Sigmoid', (r) => ({ config: {}, input: [between(r, 1, 3), between(r, 1, 6)] })],
  ['Tanh', (r) => ({ config: {}, input: [between(r, 1, 3), between(r, 1, 6)] })],
  ['Flatten', (r) => ({ config: {}, input: [between(r, 1, 3), between(r, 1, 3), between(r, 1, 3), between(r, 1, 3)] })],
]);

/** Every kind the registry can build, built-in and registered. */
export function layerKinds(): string[] {
  return [...factories.keys()];
}

/**
 * Add (or replace) the factory of a layer kind; the kind is the layer's `kind` field. With an `example`, the
 * property suites build and check the kind like the built-in ones.
 */
export function registerLayer(kind: string, factory: LayerFactory, example?: LayerExampleFactory): void {
  if (typeof kind !== 'string' || kind === '') throw new TypeError('registerLayer: kind must be a non-empty string');
  if (typeof factory !== 'function') throw new TypeError(`registerLayer("${kind}"): factory must be a function config => Layer`);
  if (example !== undefined && typeof example !== 'function') throw new TypeError(`registerLayer("${kind}"): example must be a function rng => { config, input }`);
  factories.set(kind, factory);
  if (example === undefined) examples.delete(kind);
  else examples.set(kind, example);
}

/** A random example of a kind (see {@link LayerExample}), or undefined for a kind registered without one. */
export function layerExample(kind: string, rng: Rng): LayerExample | undefined {
  return examples.get(kind)?.(rng);
}
/** A new, unbuilt layer of this kind from its config; unknown kinds name the known ones. */
export function layerFromConfig(kind: string, config: object): Layer {
  const factory = factories.get(kind);
  if (factory === undefined) {
    throw new OptionError(`unknown layer kind "${String(kind)}" (known: ${layerKinds().join(', ')}; add others with registerLayer)`);
  }
  const layer = factory(config ?? {});
  if (layer.kind !== kind) {
    throw new RangeError(`the factory registered for "${kind}" built a layer of kind "${layer.kind}"`);
  }
  return layer;
}
