/**
 * The built-in layers as ONNX nodes (inference form). One function per layer kind; each reads the layer's
 * config() and params — the same things a model file stores — and adds its nodes through the context.
 *
 *   Affine              [Flatten(axis 1) if the input is not [N, D]] → Gemm(x, W[D, U], b)
 *   ReLU, Sigmoid, Tanh Relu, Sigmoid, Tanh
 *   Flatten             Flatten(axis 1)
 *   Conv2D              Conv(x, W[F, C, kh, kw], b) with strides and explicit pads [top, left, bottom, right]
 *                       ('same' resolved for the input size, its odd cell bottom/right)
 *   MaxPool             MaxPool with kernel_shape, strides, pads (padding is −∞ in both)
 *   AvgPool             AveragePool with count_include_pad = countIncludePad
 *   BatchNorm           BatchNormalization(x, γ, β, running mean, running variance), epsilon, momentum
 *   Dropout             nothing: it is the identity at inference
 *   LocalResponseNorm   LRN (odd sizes: the same window and α/n as ONNX's); even sizes: local-norm-functions.ts
 *   LocalContrastNorm   a model-local function spelling it out in standard ops (local-norm-functions.ts)
 */
import { windowGeometry, type PaddingOption, type PairOption } from '../kernels/conv-geometry';
import type { Layer, NamedArray, Param } from '../layers/layer';
import { floatAttr, intAttr, intsAttr } from './attributes';
import { OnnxError } from './errors';
import type { OnnxExportContext, OnnxLayerExporter } from './export';
import { exportLocalContrastNorm, exportLocalResponseNormEven } from './local-norm-functions';

function param(layer: Layer, ctx: OnnxExportContext, name: string): Param {
  const p = layer.params().find((q) => q.name === name);
  if (!p) throw new OnnxError(`layer ${ctx.index} (${layer.kind}) has no param "${name}" to export`);
  return p;
}

function buffer(layer: Layer, ctx: OnnxExportContext, name: string): NamedArray {
  const b = layer.buffers?.().find((q) => q.name === name);
  if (!b) throw new OnnxError(`layer ${ctx.index} (${layer.kind}) has no buffer "${name}" to export`);
  return b;
}

function pair(value: PairOption): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

/** kernel_shape, strides and pads of a window layer over the context's input. */
function windowAttributes(ctx: OnnxExportContext, kind: string, size: PairOption, stride: PairOption, padding: PaddingOption) {
  const [c, h, w] = ctx.inputShape;
  const g = windowGeometry(kind, [c, h, w], pair(size), pair(stride), padding);
  return [
    intsAttr('kernel_shape', [g.kernelH, g.kernelW]),
    intsAttr('strides', [g.strideH, g.strideW]),
    intsAttr('pads', [g.padTop, g.padLeft, g.padBottom, g.padRight]),
  ];
}

const affine: OnnxLayerExporter = (layer, ctx) => {
  const w = param(layer, ctx, 'weights');
  const bias = layer.params().find((p) => p.name === 'bias');
  const x = ctx.inputShape.length === 1 ? ctx.input : ctx.node('Flatten', [ctx.input], [intAttr('axis', 1)]);
  const inputs = [x, ctx.initializer('weights', w.shape, w.value)];
  if (bias) inputs.push(ctx.initializer('bias', bias.shape, bias.value));
  return ctx.node('Gemm', inputs);
};

const conv2d: OnnxLayerExporter = (layer, ctx) => {
  const c = layer.config() as { kernelSize: PairOption; stride: PairOption; padding: PaddingOption };
  const w = param(layer, ctx, 'weights');
  const bias = layer.params().find((p) => p.name === 'bias');
  const inputs = [ctx.input, ctx.initializer('weights', w.shape, w.value)];
  if (bias) inputs.push(ctx.initializer('bias', bias.shape, bias.value));
  return ctx.node('Conv', inputs, [...windowAttributes(ctx, 'Conv2D', c.kernelSize, c.stride, c.padding), intAttr('group', 1)]);
};

const maxPool: OnnxLayerExporter = (layer, ctx) => {
  const c = layer.config() as { size: PairOption; stride: PairOption; padding: PaddingOption };
  return ctx.node('MaxPool', [ctx.input], windowAttributes(ctx, 'MaxPool', c.size, c.stride, c.padding));
};

const avgPool: OnnxLayerExporter = (layer, ctx) => {
  const c = layer.config() as { size: PairOption; stride: PairOption; padding: PaddingOption; countIncludePad: boolean };
  return ctx.node('AveragePool', [ctx.input], [
    ...windowAttributes(ctx, 'AvgPool', c.size, c.stride, c.padding), intAttr('count_include_pad', c.countIncludePad ? 1 : 0),
  ]);
};

const batchNorm: OnnxLayerExporter = (layer, ctx) => {
  const c = layer.config() as { momentum: number; eps: number };
  const gamma = param(layer, ctx, 'gamma');
  const beta = param(layer, ctx, 'beta');
  const mean = buffer(layer, ctx, 'runningMean');
  const variance = buffer(layer, ctx, 'runningVar');
  return ctx.node('BatchNormalization', [
    ctx.input,
    ctx.initializer('gamma', gamma.shape, gamma.value),
    ctx.initializer('beta', beta.shape, beta.value),
    ctx.initializer('runningMean', mean.shape, mean.value),
    ctx.initializer('runningVar', variance.shape, variance.value),
  ], [floatAttr('epsilon', c.eps), floatAttr('momentum', c.momentum)]);
};

const localResponseNorm: OnnxLayerExporter = (layer, ctx) => {
  const c = layer.config() as { size: number; alpha: number; beta: number; k: number };
  // ONNX's window is [c − ⌊(n−1)/2⌋, c + ⌈(n−1)/2⌉], PyTorch's (ours) [c − ⌊n/2⌋, c + ⌊(n−1)/2⌋]: the same
  // for odd n, mirrored for even n — which is then spelt out as a function instead.
  if (c.size % 2 === 0) return exportLocalResponseNormEven(layer, ctx);
  return ctx.node('LRN', [ctx.input], [intAttr('size', c.size), floatAttr('alpha', c.alpha), floatAttr('beta', c.beta), floatAttr('bias', c.k)]);
};

const BUILT_IN: Record<string, OnnxLayerExporter> = {
  Affine: affine,
  ReLU: (_l, ctx) => ctx.node('Relu', [ctx.input]),
  Sigmoid: (_l, ctx) => ctx.node('Sigmoid', [ctx.input]),
  Tanh: (_l, ctx) => ctx.node('Tanh', [ctx.input]),
  Flatten: (_l, ctx) => ctx.node('Flatten', [ctx.input], [intAttr('axis', 1)]),
  Conv2D: conv2d,
  MaxPool: maxPool,
  AvgPool: avgPool,
  BatchNorm: batchNorm,
  Dropout: (_l, ctx) => ctx.input,
  LocalResponseNorm: localResponseNorm,
  LocalContrastNorm: exportLocalContrastNorm,
};

export function builtInExporter(kind: string): OnnxLayerExporter | undefined {
  return Object.prototype.hasOwnProperty.call(BUILT_IN, kind) ? BUILT_IN[kind] : undefined;
}
