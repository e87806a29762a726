/**
 * The two layers ONNX has no single op for, written as model-local functions in the domain "ai.millefeuille"
 * (ONNX IR 8): the main graph holds ONE node per layer — so it stays a chain, and fromOnnx reads the layer back
 * from the node's attributes — and the function body spells the layer out in standard ops, which onnxruntime
 * (and any runtime that inlines functions) executes. The body depends on no layer setting: those come in as
 * node attributes (referenced by the body) or as initializer inputs, so one function serves every layer.
 *
 * LocalResponseNorm, even size n: ONNX's LRN window is [c − (n/2 − 1), c + n/2], ours (PyTorch's) the mirror
 * image [c − n/2, c + n/2 − 1] (and onnxruntime refuses even sizes anyway), so the layer is spelt out:
 *   S = Σ over the window of x² = Conv3D(x² as [N, 1, C, H, W], ones[n, 1, 1]; SAME_LOWER)
 *   y = x / (k + α/n · S)^β         with the window, α/n, k and β as initializer inputs
 *
 * LocalContrastNorm(x, G, ε²) with G the size×size Gaussian taps as a [1, 1, size, size] initializer:
 *   blur(f) = Conv(f, G; SAME_LOWER) / Z,  Z = Conv(1, G; SAME_LOWER)   (zero padding: Z sums the taps inside)
 *   μ = blur(mean_c x),  v = x − μ,  s = √(blur(mean_c v²) + ε²),  c = mean_HW s
 *   y = v / ((c + s + √((c − s)² + τ²c²)) / 2)
 * SAME_LOWER pads ⌊size/2⌋ before and ⌊(size−1)/2⌋ after: the layer's window (the odd cell up/left).
 */
import { gaussianTaps, SMOOTH_MAX_SOFTNESS } from '../kernels/local-contrast-norm';
import { LocalContrastNorm } from '../layers/local-contrast-norm';
import { LocalResponseNorm } from '../layers/local-response-norm';
import type { Layer } from '../layers/layer';
import { floatAttr, intAttr, intsAttr, stringAttr } from './attributes';
import type { OnnxExportContext } from './export';
import { MILLEFEUILLE_DOMAIN } from './names';
import type { OnnxNodeImporter } from './import';
import { AttributeType, DataType, type AttributeProto, type FunctionProto, type NodeProto } from './proto';

const LRN_FUNCTION = 'LocalResponseNorm';
const LCN_FUNCTION = 'LocalContrastNorm';

function constantNode(output: string, dataType: number, dims: number[], values: number[]): NodeProto {
  const t = dataType === DataType.INT64
    ? { dims, dataType, int64Data: values }
    : { dims, dataType, floatData: values };
  return { opType: 'Constant', input: [], output: [output], attribute: [{ name: 'value', type: AttributeType.TENSOR, t }] };
}

/** ReduceMean over `axes`, keepdims 1, in the form of the opset (axes became an input in opset 18). */
function reduceMean(input: string, output: string, axes: number[], opset: number, axesName: string): NodeProto[] {
  if (opset < 18) return [{ opType: 'ReduceMean', input: [input], output: [output], attribute: [intsAttr('axes', axes), intAttr('keepdims', 1)] }];
  return [
    constantNode(axesName, DataType.INT64, [axes.length], axes),
    { opType: 'ReduceMean', input: [input, axesName], output: [output], attribute: [intAttr('keepdims', 1)] },
  ];
}

function lrnFunction(opset: number): FunctionProto {
  const op = (opType: string, input: string[], output: string, attribute: AttributeProto[] = []): NodeProto => ({ opType, input, output: [output], attribute });
  return {
    name: LRN_FUNCTION, domain: MILLEFEUILLE_DOMAIN, input: ['X', 'window', 'coef', 'bias', 'beta'], output: ['Y'],
    attribute: ['size', 'alpha', 'beta', 'bias', 'config'],
    opsetImport: [{ domain: '', version: opset }],
    docString: "LocalResponseNorm with PyTorch's window (any size): the sum of squares over the channel window as a 3-D convolution",
    node: [
      constantNode('axis1', DataType.INT64, [1], [1]),
      op('Mul', ['X', 'X'], 'squares'),
      op('Unsqueeze', ['squares', 'axis1'], 'stacked'),
      op('Conv', ['stacked', 'window'], 'windowSums', [stringAttr('auto_pad', 'SAME_LOWER')]),
      op('Squeeze', ['windowSums', 'axis1'], 'sums'),
      op('Mul', ['sums', 'coef'], 'scaled'),
      op('Add', ['scaled', 'bias'], 'D'),
      op('Pow', ['D', 'beta'], 'Dbeta'),
      op('Div', ['X', 'Dbeta'], 'Y'),
    ],
  };
}

function lcnFunction(opset: number): FunctionProto {
  const conv = (input: string, output: string): NodeProto => ({ opType: 'Conv', input: [input, 'G'], output: [output], attribute: [stringAttr('auto_pad', 'SAME_LOWER')] });
  const op = (opType: string, input: string[], output: string): NodeProto => ({ opType, input, output: [output] });
  return {
    name: LCN_FUNCTION, domain: MILLEFEUILLE_DOMAIN, input: ['X', 'G', 'eps2'], output: ['Y'], attribute: ['size', 'sigma', 'eps', 'config'],
    opsetImport: [{ domain: '', version: opset }],
    docString: 'LocalContrastNorm: subtractive then divisive normalisation over a Gaussian window renormalised at the border (docs/local-normalisation.md)',
    node: [
      constantNode('one', DataType.FLOAT, [1], [1]),
      constantNode('half', DataType.FLOAT, [], [0.5]),
      constantNode('tau2', DataType.FLOAT, [], [SMOOTH_MAX_SOFTNESS * SMOOTH_MAX_SOFTNESS]),
      ...reduceMean('X', 'xMean', [1], opset, 'channelAxes'),
      op('Shape', ['xMean'], 'planeShape'),
      { opType: 'ConstantOfShape', input: ['planeShape'], output: ['ones'], attribute: [{ name: 'value', type: AttributeType.TENSOR, t: { dims: [1], dataType: DataType.FLOAT, floatData: [1] } }] },
      conv('ones', 'Z'),
      conv('xMean', 'xBlur'),
      op('Div', ['xBlur', 'Z'], 'mu'),
      op('Sub', ['X', 'mu'], 'v'),
      op('Mul', ['v', 'v'], 'v2'),
      ...reduceMean('v2', 'v2Mean', [1], opset, 'channelAxes2'),
      conv('v2Mean', 'v2Blur'),
      op('Div', ['v2Blur', 'Z'], 'variance'),
      op('Add', ['variance', 'eps2'], 'floored'),
      op('Sqrt', ['floored'], 's'),
      ...reduceMean('s', 'c', [2, 3], opset, 'planeAxes'),
      op('Sub', ['c', 's'], 'gap'),
      op('Mul', ['gap', 'gap'], 'gap2'),
      op('Mul', ['c', 'c'], 'c2'),
      op('Mul', ['tau2', 'c2'], 'soft'),
      op('Add', ['gap2', 'soft'], 'radicand'),
      op('Sqrt', ['radicand'], 'root'),
      op('Add', ['c', 's'], 'sum'),
      op('Add', ['sum', 'root'], 'twice'),
      op('Mul', ['twice', 'half'], 'd'),
      op('Div', ['v', 'd'], 'Y'),
    ],
  };
}

export function exportLocalResponseNormEven(layer: Layer, ctx: OnnxExportContext): string {
  const c = layer.config() as { size: number; alpha: number; beta: number; k: number };
  ctx.defineFunction(lrnFunction(ctx.opset));
  const inputs = [
    ctx.input,
    ctx.initializer('window', [1, 1, c.size, 1, 1], new Float32Array(c.size).fill(1)),
    ctx.initializer('coef', [], [c.alpha / c.size]),
    ctx.initializer('bias', [], [c.k]),
    ctx.initializer('beta', [], [c.beta]),
  ];
  return ctx.node(LRN_FUNCTION, inputs, [
    intAttr('size', c.size), floatAttr('alpha', c.alpha), floatAttr('beta', c.beta), floatAttr('bias', c.k), stringAttr('config', JSON.stringify(c)),
  ], { domain: MILLEFEUILLE_DOMAIN });
}

export function exportLocalContrastNorm(layer: Layer, ctx: OnnxExportContext): string {
  const c = layer.config() as { size: number; sigma: number; eps: number };
  const taps = gaussianTaps(c.size, c.sigma).weights;
  const window = new Float32Array(c.size * c.size);
  for (let r = 0; r < c.size; r++) for (let q = 0; q < c.size; q++) window[r * c.size + q] = taps[r] * taps[q];
  ctx.defineFunction(lcnFunction(ctx.opset));
  return ctx.node(LCN_FUNCTION, [ctx.input, ctx.initializer('gaussian', [1, 1, c.size, c.size], window), ctx.initializer('eps2', [], [c.eps * c.eps])], [
    intAttr('size', c.size), floatAttr('sigma', c.sigma), floatAttr('eps', c.eps), stringAttr('config', JSON.stringify(c)),
  ], { domain: MILLEFEUILLE_DOMAIN });
}

/** The exact layer config a function node carries (its float attributes are only float32). */
function exactConfig<T>(ctx: Parameters<OnnxNodeImporter>[1], fallback: T): T {
  const text = ctx.attributes.string('config', '');
  if (text === '') return fallback;
  try {
    return { ...fallback, ...JSON.parse(text) };
  } catch {
    throw ctx.error(`attribute "config" is not JSON: ${text.slice(0, 60)}`);
  }
}

const importLrn: OnnxNodeImporter = (_node, ctx) => {
  const a = ctx.attributes;
  a.allowOnly(['size', 'alpha', 'beta', 'bias', 'config']);
  const c = exactConfig(ctx, { size: a.int('size', 0), alpha: a.float('alpha', 1e-4), beta: a.float('beta', 0.75), k: a.float('bias', 1) });
  try {
    return { layer: new LocalResponseNorm(c) };
  } catch (err) {
    throw ctx.error((err as Error).message);
  }
};

const importLcn: OnnxNodeImporter = (_node, ctx) => {
  const a = ctx.attributes;
  a.allowOnly(['size', 'sigma', 'eps', 'config']);
  const size = a.int('size', 9);
  const c = exactConfig(ctx, { size, sigma: a.float('sigma', size / 4), eps: a.float('eps', 1e-4) });
  try {
    return { layer: new LocalContrastNorm(c) };
  } catch (err) {
    throw ctx.error((err as Error).message);
  }
};

export function importLocalNormFunction(domain: string, opType: string): OnnxNodeImporter | undefined {
  if (domain !== MILLEFEUILLE_DOMAIN) return undefined;
  if (opType === LRN_FUNCTION) return importLrn;
  if (opType === LCN_FUNCTION) return importLcn;
  return undefined;
}
