/**
 * Layer kind → constructor, so that a model file's `{ kind, config }` becomes a layer again
 * (`new Kind(config)`). The one file that imports every layer: nothing else in `net/` knows a layer by
 * type. A custom layer joins with `registerLayer` and then saves and loads like the built-in ones.
 */
import { OptionError } from '../errors';
import { Affine } from './affine';
import { AvgPool } from './avgpool';
import { BatchNorm } from './batchnorm';
import { Conv2D } from './conv2d';
import { Dropout } from './dropout';
import { Flatten } from './flatten';
import type { Layer } from './layer';
import { LocalContrastNorm } from './local-contrast-norm';
import { LocalResponseNorm } from './local-response-norm';
import { MaxPool } from './maxpool';
import { ReLU } from './relu';
import { Sigmoid } from './sigmoid';
import { Tanh } from './tanh';

/** Builds a layer from the object its `config()` returned. */
export type LayerFactory = (config: any) => Layer;

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

/** Every kind the registry can build, built-in and registered. */
export function layerKinds(): string[] {
  return [...factories.keys()];
}

/** Add (or replace) the factory of a layer kind; the kind is the layer's `kind` field. */
export function registerLayer(kind: string, factory: LayerFactory): void {
  if (typeof kind !== 'string' || kind === '') throw new TypeError('registerLayer: kind must be a non-empty string');
  if (typeof factory !== 'function') throw new TypeError(`registerLayer("${kind}"): factory must be a function config => Layer`);
  factories.set(kind, factory);
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
