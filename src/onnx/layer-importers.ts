/**
 * ONNX nodes as the built-in layers: the forms torch.onnx.export and tf2onnx write for chains of these ops.
 * Every attribute that could change the result is either understood or refused (Attributes.allowOnly), and
 * every weight is checked against the layer's input before it is used.
 *
 *   Gemm (transA 0, any transB, alpha, beta) · MatMul [+ Add]      → Affine
 *   Conv (group 1, dilations 1; pads symmetric or TensorFlow's 'same'; auto_pad) → Conv2D
 *   MaxPool, AveragePool (ceil_mode 0), GlobalAveragePool           → MaxPool, AvgPool
 *   BatchNormalization (inference)                                  → BatchNorm
 *   Relu, Sigmoid, Tanh · Flatten (axis 1), Reshape to [N, D]        → ReLU, Sigmoid, Tanh, Flatten
 *   Dropout → Dropout (identity at inference, kept for fine-tuning) · Identity → nothing
 *   LRN (odd size) → LocalResponseNorm · ai.millefeuille functions → LocalResponseNorm, LocalContrastNorm
 */
import { resolvePadding, type PaddingOption } from '../kernels/conv-geometry';
import { Affine } from '../layers/affine';
import { AvgPool } from '../layers/avgpool';
import { BatchNorm } from '../layers/batchnorm';
import { Conv2D } from '../layers/conv2d';
import { Dropout } from '../layers/dropout';
import { Flatten } from '../layers/flatten';
import type { Layer } from '../layers/layer';
import { LocalResponseNorm } from '../layers/local-response-norm';
import { MaxPool } from '../layers/maxpool';
import { ReLU } from '../layers/relu';
import { Sigmoid } from '../layers/sigmoid';
import { Tanh } from '../layers/tanh';
import { sizeOf } from '../tensor';
import type { OnnxImportContext, OnnxNodeImporter } from './import';
import { importLocalNormFunction } from './local-norm-functions';
import { describeNode, shortestFloat32 } from './attributes';
import type { NodeProto } from './proto';
import { readFloats } from './tensors';

/** Builds a layer, turning an option the layer refuses into an error naming the node. */
function make<T extends Layer>(ctx: OnnxImportContext, build: () => T): T {
  try {
    return build();
  } catch (err) {
    throw ctx.error((err as Error).message);
  }
}

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

function scaled(values: Float32Array, factor: number): Float32Array {
  return factor === 1 ? values : values.map((v) => v * factor);
}

/** A bias of `units` values from a constant of that size or one value (broadcast). */
function biasValues(ctx: OnnxImportContext, values: Float32Array, units: number, what: string): Float32Array {
  if (values.length === units) return values;
  if (values.length === 1) return new Float32Array(units).fill(values[0]);
  throw ctx.error(`its ${what} holds ${values.length} values; ${units} (one per unit) were expected`);
}

function denseInputSize(ctx: OnnxImportContext): number {
  if (ctx.inputShape.length !== 1) {
    throw ctx.error(`needs a 2-D input [N, D], got per-sample shape [${ctx.inputShape.join(', ')}] (flatten first)`);
  }
  return ctx.inputShape[0];
}

const gemm: OnnxNodeImporter = (_node, ctx) => {
  const a = ctx.attributes;
  a.allowOnly(['alpha', 'beta', 'transA', 'transB']);
  if (a.int('transA', 0) !== 0) throw ctx.error('transA = 1 (a transposed batch) is not supported');
  const inputSize = denseInputSize(ctx);
  const dims = ctx.dims(1, 'weight matrix B');
  if (dims.length !== 2) throw ctx.error(`its weight matrix B has shape [${dims.join(', ')}]; 2-D expected`);
  const transB = a.int('transB', 0) !== 0;
  const [rows, cols] = dims;
  const [d, units] = transB ? [cols, rows] : [rows, cols];
  if (d !== inputSize) {
    throw ctx.error(`its weight matrix B has shape [${dims.join(', ')}]${transB ? ' (transposed)' : ''}, which takes ${d} inputs, but the input has ${inputSize}`);
  }
  let weights = ctx.floats(1, 'weight matrix B');
  if (transB) weights = transpose(weights, rows, cols);
  weights = scaled(weights, a.float('alpha', 1));
  const layer = new Affine({ units, useBias: ctx.constant(2) !== undefined });
  const params: Record<string, Float32Array> = { weights };
  if (ctx.constant(2) !== undefined) params.bias = scaled(biasValues(ctx, ctx.floats(2, 'bias C'), units, 'bias C'), a.float('beta', 1));
  else if ((ctx.node.input ?? [])[2]) ctx.floats(2, 'bias C'); // named but missing: the error says so
  return { layer, params };
};

const matMul: OnnxNodeImporter = (node, ctx) => {
  ctx.attributes.allowOnly([]);
  const inputSize = denseInputSize(ctx);
  const dims = ctx.dims(1, 'weight matrix');
  if (dims.length !== 2 || dims[0] !== inputSize) {
    throw ctx.error(`its weight matrix has shape [${dims.join(', ')}]; [${inputSize}, units] is needed for the input's ${inputSize} values`);
  }
  const units = dims[1];
  const params: Record<string, Float32Array> = { weights: ctx.floats(1, 'weight matrix') };
  // MatMul followed by Add of a constant is one Affine layer with a bias (tf2onnx's form of Dense).
  const next = ctx.next();
  const out = node.output?.[0];
  if (next && next.opType === 'Add' && (next.domain ?? '') === '' && next.input?.length === 2) {
    const other = next.input[0] === out ? 1 : next.input[1] === out ? 0 : -1;
    const bias = other >= 0 ? nextConstant(ctx, next, other) : undefined;
    if (bias && (bias.length === units || bias.length === 1)) {
      params.bias = biasValues(ctx, bias, units, 'bias');
      ctx.consumeNext();
    }
  }
  return { layer: new Affine({ units, useBias: params.bias !== undefined }), params };
};

/** The values of a constant input of the next node, if it is one. */
function nextConstant(ctx: OnnxImportContext, next: NodeProto, index: number): Float32Array | undefined {
  const t = ctx.constantNamed(next.input![index]);
  return t ? readFloats(t, `${describeNode(next)} input ${index}`) : undefined;
}

interface Window {
  kernel: [number, number];
  stride: [number, number];
  padding: PaddingOption;
}

/** kernel_shape, strides, pads/auto_pad of a 2-D window op, as our padding option (symmetric or 'same'). */
function windowOf(ctx: OnnxImportContext, kernelFromWeights?: [number, number]): Window {
  const a = ctx.attributes;
  if (ctx.inputShape.length !== 3) throw ctx.error(`needs an image input [N, C, H, W], got per-sample shape [${ctx.inputShape.join(', ')}]`);
  const [, h, w] = ctx.inputShape;
  const kernelShape = a.ints('kernel_shape') ?? kernelFromWeights;
  if (!kernelShape || kernelShape.length !== 2) throw ctx.error(`kernel_shape must hold 2 sizes (a 2-D window), got ${JSON.stringify(kernelShape)}`);
  const kernel: [number, number] = [kernelShape[0], kernelShape[1]];
  if (kernelFromWeights && (kernel[0] !== kernelFromWeights[0] || kernel[1] !== kernelFromWeights[1])) {
    throw ctx.error(`kernel_shape [${kernel.join(', ')}] differs from the weights' [${kernelFromWeights.join(', ')}]`);
  }
  const strides = a.ints('strides') ?? [1, 1];
  const dilations = a.ints('dilations') ?? [1, 1];
  if (strides.length !== 2) throw ctx.error(`strides must hold 2 values, got [${strides.join(', ')}]`);
  if (dilations.some((d) => d !== 1)) throw ctx.error(`dilations [${dilations.join(', ')}] are not supported (only 1)`);
  const stride: [number, number] = [strides[0], strides[1]];
  const autoPad = a.string('auto_pad', 'NOTSET');
  let pads: number[];
  if (autoPad === 'NOTSET') {
    pads = a.ints('pads') ?? [0, 0, 0, 0];
    if (pads.length !== 4) throw ctx.error(`pads must hold 4 values [top, left, bottom, right], got [${pads.join(', ')}]`);
  } else if (autoPad === 'VALID') {
    pads = [0, 0, 0, 0];
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const [t, b] = resolvePadding('same', h, kernel[0], stride[0]);
    const [l, r] = resolvePadding('same', w, kernel[1], stride[1]);
    pads = autoPad === 'SAME_UPPER' ? [t, l, b, r] : [b, r, t, l];
  } else {
    throw ctx.error(`auto_pad "${autoPad}" is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  }
  const [top, left, bottom, right] = pads;
  let padding: PaddingOption;
  if (top === bottom && left === right) padding = top === left ? top : [top, left];
  else {
    // Asymmetric: representable when it is exactly TensorFlow's 'same' (the odd cell bottom/right) here.
    const [t, b] = resolvePadding('same', h, kernel[0], stride[0]);
    const [l, r] = resolvePadding('same', w, kernel[1], stride[1]);
    if (top !== t || bottom !== b || left !== l || right !== r) {
      throw ctx.error(
        `asymmetric pads [${pads.join(', ')}] (top, left, bottom, right) are not supported: only symmetric padding ` +
          `or 'same' with the odd cell bottom/right ([${[t, l, b, r].join(', ')}] for this ${h}×${w} input)`,
      );
    }
    padding = 'same';
  }
  return { kernel, stride, padding };
}

const conv: OnnxNodeImporter = (_node, ctx) => {
  const a = ctx.attributes;
  a.allowOnly(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  if (a.int('group', 1) !== 1) throw ctx.error(`group = ${a.int('group', 1)} (grouped or depthwise convolution) is not supported`);
  const dims = ctx.dims(1, 'weights W');
  if (dims.length !== 4) throw ctx.error(`its weights W have shape [${dims.join(', ')}]; [filters, channels, kh, kw] expected`);
  const [filters, channels, kh, kw] = dims;
  const window = windowOf(ctx, [kh, kw]);
  if (channels !== ctx.inputShape[0]) {
    throw ctx.error(`its weights W have shape [${dims.join(', ')}] for ${channels} input channels, but the input has ${ctx.inputShape[0]}`);
  }
  const hasBias = ctx.constant(2) !== undefined || Boolean((ctx.node.input ?? [])[2]);
  const params: Record<string, Float32Array> = { weights: ctx.floats(1, 'weights W') };
  if (hasBias) params.bias = biasValues(ctx, ctx.floats(2, 'bias B'), filters, 'bias B');
  const layer = make(ctx, () => new Conv2D({ filters, kernelSize: window.kernel, stride: window.stride, padding: window.padding, useBias: hasBias }));
  return { layer, params };
};

function poolWindow(ctx: OnnxImportContext, extra: string[]): Window {
  const a = ctx.attributes;
  a.allowOnly(['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'strides', ...extra]);
  if (a.int('ceil_mode', 0) !== 0) throw ctx.error('ceil_mode = 1 is not supported (output sizes are rounded down here)');
  return windowOf(ctx);
}

const maxPool: OnnxNodeImporter = (_node, ctx) => {
  const w = poolWindow(ctx, ['storage_order']);
  return { layer: make(ctx, () => new MaxPool({ size: w.kernel, stride: w.stride, padding: w.padding })) };
};

const averagePool: OnnxNodeImporter = (_node, ctx) => {
  const w = poolWindow(ctx, ['count_include_pad']);
  const countIncludePad = ctx.attributes.int('count_include_pad', 0) !== 0;
  return { layer: make(ctx, () => new AvgPool({ size: w.kernel, stride: w.stride, padding: w.padding, countIncludePad })) };
};

const globalAveragePool: OnnxNodeImporter = (_node, ctx) => {
  ctx.attributes.allowOnly([]);
  if (ctx.inputShape.length !== 3) throw ctx.error(`needs an image input [N, C, H, W], got per-sample shape [${ctx.inputShape.join(', ')}]`);
  const [, h, w] = ctx.inputShape;
  return { layer: new AvgPool({ size: [h, w] }) };
};

const batchNormalization: OnnxNodeImporter = (_node, ctx) => {
  const a = ctx.attributes;
  a.allowOnly(['epsilon', 'momentum', 'spatial', 'training_mode', 'is_test', 'consumed_inputs']);
  if (a.int('training_mode', 0) !== 0) throw ctx.error('training_mode = 1 is not supported (export the model in eval mode)');
  if (a.int('spatial', 1) !== 1) throw ctx.error('spatial = 0 (per-position statistics) is not supported');
  if (ctx.inputShape.length !== 1 && ctx.inputShape.length !== 3) {
    throw ctx.error(`needs an input [N, C] or [N, C, H, W], got per-sample shape [${ctx.inputShape.join(', ')}]`);
  }
  const channels = ctx.inputShape[0];
  const names = ['scale', 'bias B', 'mean', 'variance'];
  const values = names.map((what, i) => {
    const v = ctx.floats(i + 1, what);
    if (v.length !== channels) throw ctx.error(`its ${what} holds ${v.length} values, but the input has ${channels} channels`);
    return v;
  });
  const layer = make(ctx, () => new BatchNorm({ eps: a.float('epsilon', 1e-5), momentum: a.float('momentum', 0.9) }));
  return { layer, params: { gamma: values[0], beta: values[1] }, buffers: { runningMean: values[2], runningVar: values[3] } };
};

const flatten: OnnxNodeImporter = (_node, ctx) => {
  ctx.attributes.allowOnly(['axis']);
  const axis = ctx.attributes.int('axis', 1);
  if (axis !== 1) throw ctx.error(`axis = ${axis} is not supported: only axis 1 ([N, …] → [N, D]) keeps the batch apart`);
  return { layer: new Flatten() };
};

const reshape: OnnxNodeImporter = (_node, ctx) => {
  ctx.attributes.allowOnly(['allowzero']);
  const target = ctx.ints(1, 'target shape');
  const size = sizeOf(ctx.inputShape);
  const allowZero = ctx.attributes.int('allowzero', 0) !== 0;
  // [N, D] with N written as 0 (copy), −1 (infer) or the batch itself, D as −1 or the size.
  const flat = target.length === 2 && (target[0] === -1 || (target[0] === 0 && !allowZero) || target[0] > 0) &&
    (target[1] === size || (target[1] === -1 && target[0] !== -1));
  if (!flat) {
    throw ctx.error(`a reshape to [${target.join(', ')}] is not supported here: only to [N, ${size}] (a flatten) after the first layer`);
  }
  return { layer: new Flatten() };
};

const dropout: OnnxNodeImporter = (_node, ctx) => {
  ctx.attributes.allowOnly(['ratio', 'seed', 'is_test']);
  const ratio = ctx.constant(1) !== undefined ? ctx.floats(1, 'ratio')[0] : ctx.attributes.float('ratio', 0.5);
  if (ctx.constant(2) !== undefined) {
    const training = ctx.ints(2, 'training_mode')[0];
    if (training) throw ctx.error('training_mode = true: the model would drop values at inference');
  }
  if (!(ratio >= 0 && ratio < 1)) return null; // ratio 1 is not a model anyone trains; identity at inference anyway
  return { layer: make(ctx, () => new Dropout({ rate: shortestFloat32(ratio) })) };
};

const lrn: OnnxNodeImporter = (_node, ctx) => {
  const a = ctx.attributes;
  a.allowOnly(['alpha', 'beta', 'bias', 'size']);
  const size = a.int('size', 0);
  if (size % 2 === 0) {
    throw ctx.error(
      `size ${size} is even: ONNX's window then reaches one channel further forward than LocalResponseNorm's (PyTorch's), ` +
        'which reaches one further back; only odd sizes are the same layer',
    );
  }
  if (ctx.inputShape.length !== 3) throw ctx.error(`needs an image input [N, C, H, W], got per-sample shape [${ctx.inputShape.join(', ')}]`);
  return { layer: make(ctx, () => new LocalResponseNorm({ size, alpha: a.float('alpha', 1e-4), beta: a.float('beta', 0.75), k: a.float('bias', 1) })) };
};

const simple = (build: () => Layer): OnnxNodeImporter => (_node, ctx) => {
  ctx.attributes.allowOnly([]);
  return { layer: build() };
};

const STANDARD: Record<string, OnnxNodeImporter> = {
  Gemm: gemm,
  MatMul: matMul,
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  BatchNormalization: batchNormalization,
  Relu: simple(() => new ReLU()),
  Sigmoid: simple(() => new Sigmoid()),
  Tanh: simple(() => new Tanh()),
  Flatten: flatten,
  Reshape: reshape,
  Dropout: dropout,
  Identity: () => null,
  LRN: lrn,
};

export function builtInImporter(domain: string, opType: string): OnnxNodeImporter | undefined {
  if (domain === '' || domain === 'ai.onnx') return Object.prototype.hasOwnProperty.call(STANDARD, opType) ? STANDARD[opType] : undefined;
  return importLocalNormFunction(domain, opType);
}

