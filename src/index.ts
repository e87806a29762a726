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
// Dense layers, losses, Sequential, gradient checker (issue 2)
export { Affine } from './layers/affine';
export type { AffineOptions } from './layers/affine';
export { ReLU } from './layers/relu';
export { Sigmoid } from './layers/sigmoid';
export { Tanh } from './layers/tanh';
export { Flatten } from './layers/flatten';
export { SoftmaxCrossEntropy } from './losses/softmax-cross-entropy';
export { MeanSquaredError } from './losses/mse';
export { Sequential } from './net/sequential';
export type { SequentialOptions, NamedParam, NamedBuffer } from './net/sequential';
export { gradCheck, assertGradCheck, GradCheckError } from './net/gradcheck';
export type { GradCheckOptions, GradCheckResult, GradCheckCoordinate, GradCheckTarget } from './net/gradcheck';
export { heNormal, xavierUniform, initWeights, assertInitName, INIT_NAMES } from './net/init';
export type { InitName } from './net/init';
// Optimizers, schedules, training, model files (issue 4)
export { OptionError, TrainingDivergedError, ModelFileError } from './net/errors';
export { Optimizer } from './optimizers/optimizer';
export type { OptimizerOptions, OptimizerState, OptimizerConfig } from './optimizers/optimizer';
export { SGD } from './optimizers/sgd';
export type { SGDOptions } from './optimizers/sgd';
export { Momentum } from './optimizers/momentum';
export type { MomentumOptions } from './optimizers/momentum';
export { Nesterov } from './optimizers/nesterov';
export type { NesterovOptions } from './optimizers/nesterov';
export { RMSprop } from './optimizers/rmsprop';
export type { RMSpropOptions } from './optimizers/rmsprop';
export { Adam } from './optimizers/adam';
export type { AdamOptions } from './optimizers/adam';
export { AdaGrad } from './optimizers/adagrad';
export type { AdaGradOptions } from './optimizers/adagrad';
export { createOptimizer, optimizerKinds } from './optimizers/factory';
export {
  constantSchedule, stepSchedule, exponentialSchedule, inverseTimeSchedule, cosineSchedule, withWarmup,
  scheduleFromConfig, parseSchedule, scheduleKinds,
} from './optimizers/schedules';
export type { Schedule, ScheduleConfig, ScheduleKind } from './optimizers/schedules';
