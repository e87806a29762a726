/**
 * millefeuille — the public API of the core, and nothing else, grouped by topic.
 *
 * The core runs unchanged in Node, in a browser page and in a Web Worker: nothing reachable from here
 * imports a `node:` module or reads `process` unguarded (scripts/browser-guard.js fails the build if it
 * does). Files, IDX/MNIST, model directories and report files are in `millefeuille/node` (src/node.ts),
 * which re-exports all of this too.
 */

// ---- Tensors and randomness ------------------------------------------------------------------------------
export {
  ShapeError, tensor, reshape, cloneTensor, sizeOf, formatShape, shapesEqual,
  // for writing your own layer: reusable buffers and the standard shape checks
  reuse, checkBatch, checkUpstreamGradient, checkDataLength,
} from './tensor';
export type { Tensor, Shape } from './tensor';
export { Rng } from './random';
export type { RngState } from './random';

// ---- Layers: the contract, the registry (kind → factory and example), initialisers, the built-in sheets ----
export type { Layer, Param, NamedArray } from './layers/layer';
export { makeParam } from './layers/layer';
export { layerExample, layerFromConfig, registerLayer, layerKinds } from './layers/registry';
export type { LayerExample, LayerExampleFactory, LayerFactory } from './layers/registry';
export { heNormal, xavierUniform, initWeights, assertInitName, INIT_NAMES } from './layers/init';
export type { InitName } from './layers/init';
export { Affine } from './layers/affine';
export type { AffineOptions } from './layers/affine';
export { ReLU } from './layers/relu';
export { Sigmoid } from './layers/sigmoid';
export { Tanh } from './layers/tanh';
export { Flatten } from './layers/flatten';
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
export { LocalResponseNorm } from './layers/local-response-norm';
export type { LocalResponseNormOptions, LocalResponseNormConfig } from './layers/local-response-norm';
export { LocalContrastNorm } from './layers/local-contrast-norm';
export type { LocalContrastNormOptions, LocalContrastNormConfig } from './layers/local-contrast-norm';

// ---- Losses ----------------------------------------------------------------------------------------------
export type { Loss, Targets } from './losses/loss';
export { SoftmaxCrossEntropy } from './losses/softmax-cross-entropy';
export { MeanSquaredError } from './losses/mse';

// ---- Nets and the gradient checker -----------------------------------------------------------------------
export { Sequential } from './net/sequential';
export type { SequentialOptions, NamedParam, NamedBuffer } from './net/sequential';
export { gradCheck, assertGradCheck, GradCheckError } from './net/gradcheck';
export type { GradCheckOptions, GradCheckResult, GradCheckCoordinate, GradCheckTarget } from './net/gradcheck';

// ---- Optimizers and learning-rate schedules --------------------------------------------------------------
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

// ---- Training: fit/evaluate/predict, batches, the checks that stop a bad run -----------------------------
export { fit, evaluate, predict, argmaxRows } from './net/train';
export type { FitOptions, BatchInfo, EpochInfo, History, TrainingState } from './net/train';
export { OptionError, TrainingDivergedError, ModelFileError } from './net/errors';
export { BatchGatherer, RowReader, epochBatches, fillOrder, isByteInputs, sampleCount, sliceInputs, sliceRows, sliceTargets, splitTail } from './data/batches';
export type { ByteInputs, Dataset, EpochBatches, Inputs } from './data/batches';
export { NonFiniteDataError, assertFiniteTensor, assertFiniteInputs, assertFiniteDataset } from './data/finite';

// ---- Models: in memory (model.json text + weights bytes; directories are in millefeuille/node), the MNIST
// model zoo, models described in JSON (reading spec files needs Node) ---------------------------------------
export { serializeModel, deserializeModel, MODEL_FORMAT, MODEL_FORMAT_VERSION, MODEL_FILE, WEIGHTS_FILE, OPTIMIZER_FILE } from './net/model-bytes';
export type { SaveExtras, LoadedModel, ModelFile, TensorEntry, BinaryManifest, SerializedModel, ModelParts, ModelSource } from './net/model-bytes';
export { MNIST_MODELS, MNIST_MODEL_NAMES, buildMnistModel, mnistModel } from './models/mnist';
export type { MnistModel, MnistModelName, TrainingRecipe } from './models/mnist';
export { modelFromSpec, parseModelSpec, specRecipe, ModelSpecError, DEFAULT_SPEC_RECIPE } from './models/spec';
export type { ModelSpec, LayerSpec, ModelFromSpecOptions } from './models/spec';

// ---- Data: pixels to tensors, augmentation, the dataset catalogue, feature scaling (reading IDX/CSV files
// and downloading need Node: millefeuille/node) -------------------------------------------------------------
export { imagesToTensor, imagesToInputs, labelsToInt32, pixelStats, pixelLookup, UNIT_SCALING } from './data/pixels';
export type { Normalization } from './data/pixels';
export { randomShift, shiftImages, shiftImagesInPlace } from './data/augment';
export type { Augment, ShiftOptions } from './data/augment';
export { DATASETS, DATASET_NAMES, MNIST, FASHION_MNIST, KMNIST, findDataset, IDX_FILE_KEYS } from './data/datasets';
export type { IdxDatasetSpec, IdxDatasetFiles, DatasetFile, IdxFileKey } from './data/datasets';
export { columnStats, featuresToTensor, scaleFeaturesInPlace, permuteRowsInPlace } from './data/features';
export type { FeatureScaling } from './data/features';

// ---- Kernels: backend, threads, memory with an owner (docs/memory.md), the window kernels ------------------
export { kernelBackend, setKernelBackend, wasmStatus } from './kernels/backend';
export type { FmaChoice } from './kernels/wasm/loader';
export type { KernelBackend } from './kernels/backend';
export { setThreads, getThreads, threadStatus, threadsReady } from './kernels/wasm/threads';
export { ThreadsUnavailableError } from './kernels/wasm/thread-host';
export { MemoryOwner, DisposedError, OwnedFloat32Array, OwnedInt32Array } from './memory';
export { memoryStats, setMemoryLimit, KernelMemoryError } from './kernels/wasm/arena';
export type { MemoryStats } from './kernels/wasm/arena';
export { im2col, col2im } from './kernels/im2col';
export { maxPoolForward, maxPoolBackward, avgPoolForward, avgPoolBackward } from './kernels/pooling';
export { outputSize, resolvePadding, windowGeometry, withBatch } from './kernels/conv-geometry';
export type { PairOption, PaddingOption, WindowGeometry } from './kernels/conv-geometry';

// ---- The training report: SVG charts, evaluation summary, the self-contained HTML page --------------------
// (pure and browser-safe; writeReport/machineInfo, which write files, are in millefeuille/node)
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
