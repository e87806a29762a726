/**
 * toOnnx(net, options): a Sequential as the bytes of an ONNX ModelProto.
 *
 * The graph is the net's chain: input "input" [N, …inputShape] with a symbolic batch dimension "N", one
 * block of nodes per layer (its exporter, see layer-exporters.ts), output "logits". Weights are float32
 * initializers named after the layer ("3.Conv2D.weights"), so a graph viewer shows where each came from.
 * Opset 13 by default (what onnxruntime, PyTorch and TensorRT all read), IR version 8.
 */
import type { Layer } from '../layers/layer';
import type { Sequential } from '../net/sequential';
import { formatShape, sizeOf, type Shape } from '../tensor';
import { OnnxError } from './errors';
import { builtInExporter } from './layer-exporters';
import { INPUT_NAME, MILLEFEUILLE_DOMAIN, OUTPUT_NAME } from './names';
import { DataType, encodeModel, type AttributeProto, type FunctionProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto';
import { floatTensor, int64Tensor } from './tensors';

/** The opsets toOnnx can write (every op used has the same form across them). */
export const MIN_OPSET = 13;
export const MAX_OPSET = 21;

export interface ToOnnxOptions {
  /**
   * Per-sample shape of the exported input (default: the net's). It may differ from the net's if it holds
   * as many values (e.g. [1, 28, 28] for an MLP built on [784]); a Reshape then comes first.
   */
  inputShape?: Shape;
  /** The default-domain opset, 13 … 21 (default 13). */
  opset?: number;
  /**
   * Input normalisation x = (p − mean)/std done by the graph's first nodes (Sub, Div), so that the ONNX model
   * takes the raw input (for MNIST: pixels/255) — what `nn export` does with the normalisation nn train saved.
   */
  normalization?: { mean: number; std: number };
  /** The model's doc_string (optional): where it came from, what it takes. */
  docString?: string;
}

/** What a layer exporter sees: its layer's place in the net, and the graph to add nodes to. */
export interface OnnxExportContext {
  /** The value the layer reads: [N, …inputShape]. */
  readonly input: string;
  /** The layer's per-sample input and output shapes (as the net built it). */
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** The layer's index in the net, and "index.Kind" — the prefix of its node and initializer names. */
  readonly index: number;
  readonly prefix: string;
  readonly opset: number;
  /** Adds a node and returns the name of its (first) output. */
  node(opType: string, inputs: readonly string[], attributes?: readonly AttributeProto[], options?: { domain?: string; outputs?: number }): string;
  /** Adds a float32 initializer "prefix.name" and returns its name. */
  initializer(name: string, dims: readonly number[], values: ArrayLike<number>): string;
  /** Adds an int64 initializer (shapes, axes). */
  int64Initializer(name: string, dims: readonly number[], values: readonly number[]): string;
  /** Adds a model-local function (once per name) and imports its domain. */
  defineFunction(fn: FunctionProto): void;
}

/** Adds a layer's nodes; returns the name of the value holding its output ([N, …outputShape]). */
export type OnnxLayerExporter = (layer: Layer, ctx: OnnxExportContext) => string;

const customExporters = new Map<string, OnnxLayerExporter>();

/** Export layers of `kind` (a custom layer, or a built-in one differently) with `exporter`. */
export function registerOnnxExporter(kind: string, exporter: OnnxLayerExporter): void {
  if (typeof kind !== 'string' || kind === '') throw new TypeError('registerOnnxExporter: kind must be a non-empty string');
  if (typeof exporter !== 'function') throw new TypeError(`registerOnnxExporter("${kind}"): exporter must be a function (layer, ctx) => output name`);
  customExporters.set(kind, exporter);
}

function exporterFor(layer: Layer, index: number): OnnxLayerExporter {
  const exporter = customExporters.get(layer.kind) ?? builtInExporter(layer.kind);
  if (exporter === undefined) {
    throw new OnnxError(
      `layer ${index} (${layer.kind}) has no ONNX exporter; register one with registerOnnxExporter("${layer.kind}", (layer, ctx) => …)`,
    );
  }
  return exporter;
}

/**
 * The bytes of an ONNX model computing `net`'s inference forward, in stages: check the options → the input
 * normalisation and reshape the options ask for → each layer's nodes, by its exporter → name the last value
 * "logits" → encode the model.
 */
export function toOnnx(net: Sequential, options: ToOnnxOptions = {}): Uint8Array {
  const { opset, inputShape } = checkExportOptions(net, options);
  const graph = new GraphBuilder(opset);
  let value = inputNodes(graph, net, inputShape, options.normalization);
  net.layers.forEach((layer, index) => {
    const inShape = index === 0 ? net.inputShape : net.layerShapes[index - 1];
    const ctx = graph.context(`${index}.${layer.kind}`, index, value, inShape, net.layerShapes[index]);
    value = exporterFor(layer, index)(layer, ctx);
    if (typeof value !== 'string' || value === '') {
      throw new OnnxError(`the ONNX exporter of layer ${index} (${layer.kind}) returned ${String(value)} instead of the name of its output`);
    }
  });
  graph.nameOutput(value);

  const opsetImport = [{ domain: '', version: opset }];
  if (graph.functions.size > 0) opsetImport.push({ domain: MILLEFEUILLE_DOMAIN, version: 1 });
  return encodeModel({
    irVersion: 8,
    producerName: 'millefeuille',
    ...(options.docString ? { docString: options.docString } : {}),
    opsetImport,
    graph: {
      name: 'millefeuille',
      node: graph.nodes,
      initializer: graph.initializers,
      input: [valueInfo(INPUT_NAME, inputShape)],
      output: [valueInfo(OUTPUT_NAME, net.outputShape)],
    },
    ...(graph.functions.size > 0 ? { functions: [...graph.functions.values()] } : {}),
  });
}

/** The opset (13 … 21) and the exported per-sample input shape (as many values as the net's input). */
function checkExportOptions(net: Sequential, options: ToOnnxOptions): { opset: number; inputShape: Shape } {
  const opset = options.opset ?? MIN_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OnnxError(`toOnnx: opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${String(options.opset)}`);
  }
  const inputShape = options.inputShape ? [...options.inputShape] : [...net.inputShape];
  if (!inputShape.every((d) => Number.isInteger(d) && d > 0) || sizeOf(inputShape) !== sizeOf(net.inputShape)) {
    throw new OnnxError(
      `toOnnx: inputShape ${formatShape(inputShape)} must hold as many values as the net's input ${formatShape(net.inputShape)}`,
    );
  }
  return { opset, inputShape };
}

/**
 * The nodes before the first layer: the input normalisation (x − mean)/std when asked for, and a Reshape when
 * the exported input shape is not the net's. Returns the value the first layer reads.
 */
function inputNodes(graph: GraphBuilder, net: Sequential, inputShape: Shape, normalization: ToOnnxOptions['normalization']): string {
  let value = INPUT_NAME;
  if (normalization) {
    const { mean, std } = normalization;
    if (!Number.isFinite(mean) || !(std > 0) || !Number.isFinite(std)) {
      throw new OnnxError(`toOnnx: normalization needs a finite mean and a positive std, got mean ${mean}, std ${std}`);
    }
    const ctx = graph.context('normalization', -1, value, inputShape, inputShape);
    value = ctx.node('Sub', [value, ctx.initializer('mean', [], [mean])]);
    value = ctx.node('Div', [value, ctx.initializer('std', [], [std])]);
  }
  if (!sameShape(inputShape, net.inputShape)) {
    const ctx = graph.context('input', -1, value, inputShape, net.inputShape);
    value = ctx.node('Reshape', [value, ctx.int64Initializer('shape', [net.inputShape.length + 1], [-1, ...net.inputShape])]);
  }
  return value;
}

/** The graph as it is written: nodes, initializers and functions, every name unique, handed to exporters as contexts. */
class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly functions = new Map<string, FunctionProto>();
  private readonly usedNames = new Set<string>([INPUT_NAME]);

  constructor(private readonly opset: number) {}

  /** `base`, or `base_1`, `base_2` … when taken: two nodes or initializers never share a name. */
  unique(base: string): string {
    let name = base;
    for (let k = 1; this.usedNames.has(name); k++) name = `${base}_${k}`;
    this.usedNames.add(name);
    return name;
  }

  /** What the exporter of one layer (or the input nodes, index −1) sees: names start with `prefix`. */
  context(prefix: string, index: number, input: string, inShape: Shape, outShape: Shape): OnnxExportContext {
    const { nodes, initializers, functions } = this;
    const unique = (base: string) => this.unique(base);
    return {
      input, inputShape: inShape, outputShape: outShape, index, prefix, opset: this.opset,
      node(opType, inputs, attributes = [], nodeOptions = {}) {
        const name = unique(`${prefix}.${opType}`);
        const outputs = Array.from({ length: nodeOptions.outputs ?? 1 }, (_, k) => (k === 0 ? name : unique(`${name}.${k}`)));
        nodes.push({ name, opType, input: [...inputs], output: outputs, attribute: [...attributes], ...(nodeOptions.domain ? { domain: nodeOptions.domain } : {}) });
        return outputs[0];
      },
      initializer(name, dims, values) {
        const full = unique(`${prefix}.${name}`);
        initializers.push(floatTensor(full, dims, values));
        return full;
      },
      int64Initializer(name, dims, values) {
        const full = unique(`${prefix}.${name}`);
        initializers.push(int64Tensor(full, dims, values));
        return full;
      },
      defineFunction(fn) {
        if (!functions.has(`${fn.domain}:${fn.name}`)) functions.set(`${fn.domain}:${fn.name}`, fn);
      },
    };
  }

  /** The last value becomes "logits": rename the node output that produces it, or copy the input through. */
  nameOutput(value: string): void {
    const producer = this.nodes.find((n) => n.output?.includes(value));
    if (producer && value !== INPUT_NAME) {
      producer.output = producer.output!.map((o) => (o === value ? OUTPUT_NAME : o));
    } else {
      this.nodes.push({ name: 'output.Identity', opType: 'Identity', input: [value], output: [OUTPUT_NAME] });
    }
  }
}

function valueInfo(name: string, perSample: Shape): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, ...perSample.map((d) => ({ dimValue: d }))] } } },
  };
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

