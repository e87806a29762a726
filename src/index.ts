/**
 * millefeuille — the public API of the core, and nothing else.
 *
 * The core runs unchanged in Node, in a browser page and in a Web Worker: nothing reachable from here
 * imports a `node:` module or reads `process` unguarded (scripts/browser-guard.js fails the build if it
 * does). Files, IDX/MNIST, model directories and report files are in `millefeuille/node` (src/node.ts),
 * which re-exports all of this too.
 */
// Core
export {
  ShapeError, tensor, reshape, cloneTensor, sizeOf, formatShape, shapesEqual,
  // for writing your own layer: reusable buffers and the standard shape checks
  reuse, checkBatch, checkUpstreamGradient,
} from './tensor';
export type { Tensor, Shape } from './tensor';
export { Rng } from './random';
export type { RngState } from './random';
export type { Layer, Param, NamedArray } from './layers/layer';
export { makeParam } from './layers/layer';
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
export { Optimizer, globalGradNorm } from './optimizers/optimizer';
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
export { fit, evaluate, predict, argmaxRows } from './net/train';
export type { FitOptions, BatchInfo, EpochInfo, History, TrainingState } from './net/train';
export { BatchGatherer, epochBatches, fillOrder, sampleCount, sliceRows, sliceTargets, splitTail } from './data/batches';
export type { EpochBatches } from './data/batches';
export { NonFiniteDataError, assertFiniteTensor, assertFiniteDataset } from './data/finite';
export type { Dataset } from './data/batches';
// Models in memory (model.json text + weights bytes); save/load of directories are in millefeuille/node.
export { serializeModel, deserializeModel, MODEL_FORMAT, MODEL_FORMAT_VERSION, MODEL_FILE, WEIGHTS_FILE, OPTIMIZER_FILE } from './net/model-bytes';
export type { SaveExtras, LoadedModel, ModelFile, TensorEntry, BinaryManifest, SerializedModel, ModelParts, ModelSource } from './net/model-bytes';
export { layerExample, layerFromConfig, registerLayer, layerKinds } from './layers/registry';
export type { LayerExample, LayerExampleFactory } from './layers/registry';
export type { LayerFactory } from './layers/registry';
// Convolution and regularisation layers, window kernels (issue 3)
export { Conv2D } from './layers/conv2d';
export type { Conv2DOptions, Conv2DConfig } from './layers/conv2d';
export { MaxPool } from './layers/maxpool';
export type { MaxPoolOptions, MaxPoolConfig } from './layers/maxpool';
export { AvgPool } from './layers/avgpool';
export type { AvgPoolOptions, AvgPoolConfig } from './layers/avgpool';
export { BatchNorm } from './layers/batchnorm';
export type { BatchNormOptions, BatchNormConfig } from './layers/batchnorm';
export { Dropout } from './layers/dropout';
export type { DropoutOptions, DropoutConfig } from './layers/dropout';
// Local normalisation layers (issue 14)
export { LocalResponseNorm } from './layers/local-response-norm';
export type { LocalResponseNormOptions, LocalResponseNormConfig } from './layers/local-response-norm';
export { LocalContrastNorm } from './layers/local-contrast-norm';
export type { LocalContrastNormOptions, LocalContrastNormConfig } from './layers/local-contrast-norm';
export { im2col, col2im } from './kernels/im2col';
export { maxPoolForward, maxPoolBackward, avgPoolForward, avgPoolBackward } from './kernels/pooling';
export { outputSize, resolvePadding, windowGeometry } from './kernels/conv-geometry';
export type { PairOption, PaddingOption, WindowGeometry } from './kernels/conv-geometry';

// Pixels to tensors (MNIST's or any greyscale images); reading IDX files and MNIST is in millefeuille/node (issue 5)
export { imagesToTensor, labelsToInt32, pixelStats, pixelLookup, UNIT_SCALING } from './data/pixels';
export type { Normalization } from './data/pixels';
export { randomShift, shiftImages } from './data/augment';
export type { Augment, ShiftOptions } from './data/augment';
export { MNIST_MODELS, MNIST_MODEL_NAMES, buildMnistModel, mnistModel } from './models/mnist';
export type { MnistModel, MnistModelName, TrainingRecipe } from './models/mnist';
// Kernels: backend choice and threads (issue 6)
export { kernelBackend, setKernelBackend, wasmStatus } from './kernels/backend';
export type { FmaChoice } from './kernels/wasm/loader';
export type { KernelBackend } from './kernels/backend';
export { setThreads, getThreads, threadStatus, threadsReady } from './kernels/wasm/threads';
// Memory with an owner (issue 9): dispose(), the kernels' arena and its figures; docs/memory.md.
export { MemoryOwner, DisposedError, OwnedFloat32Array, OwnedInt32Array } from './memory';
export { memoryStats, setMemoryLimit, KernelMemoryError } from './kernels/wasm/arena';
export type { MemoryStats } from './kernels/wasm/arena';
export { ThreadsUnavailableError } from './kernels/wasm/thread-host';
// Training report: SVG charts, evaluation summary, the self-contained HTML page (issue 15).
// chart.ts, curves.ts, evaluation.ts, png.ts and html.ts are pure (browser-safe); writeReport/machineInfo are in millefeuille/node.
export { lineChart, heatmap, barChart, niceTicks, niceStep, niceDomain, logDomain, linearScale, escapeXml, PALETTE } from './report/chart';
export type { Point, LineSeries, LineChartOptions, HeatmapOptions, BarSeries, BarChartOptions } from './report/chart';
export { epochCurves, batchCurves, TrainingRecorder } from './report/curves';
export type { EpochCurves, BatchCurves, BatchRecords } from './report/curves';
export {
  classificationEvaluation, evaluateClassifier, confusionMatrix, classMetrics, worstMistakes, softmaxRows, DEFAULT_WORST_COUNT,
} from './report/evaluation';
export type { ClassificationEvaluation, ClassMetrics, Mistake, EvaluationOptions } from './report/evaluation';
export { modelSummary } from './report/model-summary';
export type { ModelSummary, LayerRow } from './report/model-summary';
export { encodeGreyscalePng, greyscalePngDataUri } from './report/png';
export { reportHtml, digitDataUri } from './report/html';
export type { ReportInput, ReportImages, ReportValue } from './report/html';
// Beyond MNIST (issue 16): the catalogue of datasets by name, feature scaling, models described in JSON.
// (Reading CSV/IDX files, downloading and reading spec files need Node: millefeuille/node.)
export { DATASETS, DATASET_NAMES, MNIST, FASHION_MNIST, KMNIST, findDataset, IDX_FILE_KEYS } from './data/datasets';
export type { IdxDatasetSpec, IdxDatasetFiles, DatasetFile, IdxFileKey } from './data/datasets';
export { columnStats, featuresToTensor, scaleFeaturesInPlace, permuteRowsInPlace } from './data/features';
export type { FeatureScaling } from './data/features';
export { modelFromSpec, parseModelSpec, specRecipe, ModelSpecError, DEFAULT_SPEC_RECIPE } from './models/spec';
export type { ModelSpec, LayerSpec, ModelFromSpecOptions } from './models/spec';
