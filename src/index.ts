/**
 * millefeuille — the public API, and nothing else.
 */
// Core
export { ShapeError, tensor, reshape, cloneTensor, sizeOf, formatShape } from './tensor';
export type { Tensor, Shape } from './tensor';
export { Rng } from './random';
export type { RngState } from './random';
export type { Layer, Param, NamedArray } from './layers/layer';
export type { Loss, Targets } from './losses/loss';
