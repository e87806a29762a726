/**
 * fromOnnx(bytes) / importOnnx(bytes): an ONNX graph that is a chain of supported ops, as a Sequential.
 *
 * The walk: the graph's one input → the one node that reads it → … → the graph's one output. Every node
 * must read the previous node's output as its first input and only constants (initializers, Constant
 * nodes) otherwise, and its output must feed one node only: anything else (a residual Add, a Shape that
 * reads the activations, a second consumer) is a branch, refused with the value and the nodes it feeds.
 * Each node becomes a layer through its importer (layer-importers.ts, or one registered with
 * registerOnnxImporter) which checks every attribute and weight shape against the layer it builds; the
 * layer is built on the current shape there and then, so a shape mismatch names the node that has it.
 * Nothing is guessed: an op, an attribute or a form that is not understood is an OnnxError naming the node.
 */
import type { Layer } from '../layers/layer';
import { layerFromConfig } from '../layers/registry';
import { Sequential } from '../net/sequential';
import { Rng } from '../random';
import { formatShape, type Shape } from '../tensor';
import { Attributes, describeNode, shortestFloat32 } from './attributes';
import { OnnxError } from './errors';
import { builtInImporter } from './layer-importers';
import { decodeModel, toNumber, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from './proto';
import { readFloats, readInts, tensorDims } from './tensors';

/** A layer made from one node (or a few, for fused forms), with the weights to put into it once built. */
export interface ImportedLayer {
  layer: Layer;
  /** Param values by the layer's param name ("weights", "bias", "gamma", …), in the layer's layout. */
  params?: Record<string, Float32Array>;
  /** Buffer values by name ("runningMean", "runningVar"). */
  buffers?: Record<string, Float32Array>;
}

/** What a node importer sees. */
export interface OnnxImportContext {
  readonly node: NodeProto;
  readonly attributes: Attributes;
  /** Per-sample shape of the node's data input (its first input). */
  readonly inputShape: Shape;
  /** The default-domain opset of the model. */
  readonly opset: number;
  /** "node "name" (Op)", for messages. */
  readonly where: string;
  /** The constant (initializer or Constant node) feeding input `index`, or undefined if that input is absent (""). */
  constant(index: number): TensorProto | undefined;
  /** The constant of that name (any node's input), or undefined if the value is not a constant. */
  constantNamed(name: string): TensorProto | undefined;
  /** The float values of constant input `index`, required (`what` names it in the error when missing). */
  floats(index: number, what: string): Float32Array;
  /** The integer values of constant input `index`, required. */
  ints(index: number, what: string): number[];
  /** The dimensions of constant input `index`, required. */
  dims(index: number, what: string): number[];
  /** The node that reads this node's output, if any (for fused forms such as MatMul + Add). */
  next(): NodeProto | undefined;
  /** Marks next() as part of this layer: the walk continues after it. */
  consumeNext(): void;
  /** An OnnxError whose message starts with the node. */
  error(message: string): OnnxError;
}

/**
 * Makes a layer from a node (an `ImportedLayer`), or returns null for a node that is the identity at
 * inference (Identity, a Dropout kept only for training).
 */
export type OnnxNodeImporter = (node: NodeProto, ctx: OnnxImportContext) => ImportedLayer | ImportedLayer[] | null;

const customImporters = new Map<string, OnnxNodeImporter>();

/** Import nodes of op `opType` (in `domain`, default the standard one) with `importer`. */
export function registerOnnxImporter(opType: string, importer: OnnxNodeImporter, options: { domain?: string } = {}): void {
  if (typeof opType !== 'string' || opType === '') throw new TypeError('registerOnnxImporter: opType must be a non-empty string');
  if (typeof importer !== 'function') throw new TypeError(`registerOnnxImporter("${opType}"): importer must be a function (node, ctx) => layer`);
  customImporters.set(importerKey(options.domain ?? '', opType), importer);
}

function importerKey(domain: string, opType: string): string {
  return `${domain === 'ai.onnx' ? '' : domain}::${opType}`;
}

export interface FromOnnxOptions {
  /** Seed of the net's Rng (Dropout masks when fine-tuning). Default 0. */
  seed?: number;
}

export interface ImportedModel {
  net: Sequential;
  /**
   * Input normalisation found as the graph's first nodes, x = (input − mean)/std with scalar constants
   * (what `nn export` writes): the net takes normalised inputs, this says how to make them.
   */
  normalization?: { mean: number; std: number };
  /** The model's producer ("pytorch 2.1", "millefeuille"), for messages. */
  producer: string;
}

/** A Sequential from ONNX bytes; a graph that starts with input normalisation is refused (see importOnnx). */
export function fromOnnx(bytes: Uint8Array, options: FromOnnxOptions = {}): Sequential {
  const model = importOnnx(bytes, options);
  if (model.normalization) {
    const { mean, std } = model.normalization;
    throw new OnnxError(
      `the graph starts with input normalisation (x − ${mean}) / ${std}, which a Sequential has no layer for; ` +
        'use importOnnx(bytes) to get the net and the normalisation separately',
    );
  }
  return model.net;
}

/**
 * The net and the input normalisation of an ONNX model, in stages: decode and check the model → index the
 * graph (constants, the one input and output, who reads and who writes each value) → take a leading input
 * normalisation → walk the chain node by node, each becoming layers → check nothing was left off the chain
 * → build the Sequential and load the weights.
 */
export function importOnnx(bytes: Uint8Array, options: FromOnnxOptions = {}): ImportedModel {
  const model = decodeModel(bytes);
  const graph = checkModel(model);
  const opset = defaultOpset(model);
  const producer = [model.producerName, model.producerVersion].filter(Boolean).join(' ') || 'an unknown producer';
  const chain = indexGraph(graph, opset);

  const walk: Walk = {
    value: chain.inputName, shape: chain.inputShape, netInputShape: chain.inputShape, imported: [], visited: new Set(),
  };
  const normalization = leadingNormalization(chain, walk);
  walkChain(chain, walk);
  const unused = chain.nodes.filter((n) => !walk.visited.has(n));
  if (unused.length > 0) {
    throw new OnnxError(`${describeNode(unused[0])} is not on the path from the input to the output (the graph is not a chain)`);
  }
  if (walk.imported.length === 0) throw new OnnxError('the graph has no layer: its output is its input');
  return { net: buildNet(walk, options), normalization, producer };
}

/** The graph as the walk reads it. */
interface ChainGraph {
  /** The default-domain opset of the model. */
  readonly opset: number;
  /** Initializers and Constant nodes' values, by name. */
  readonly constants: Map<string, TensorProto>;
  /** Every node but the Constant nodes (which are values, not layers). */
  readonly nodes: NodeProto[];
  readonly inputName: string;
  /** Per-sample shape of the graph input. */
  readonly inputShape: Shape;
  readonly outputName: string;
  /** Who reads each value (constants left out): a value read twice is a branch. */
  readonly consumers: Map<string, NodeProto[]>;
  /** Which node writes each value. */
  readonly producers: Map<string, NodeProto>;
}

/** What the walk has made so far: where it is (the value, its per-sample shape), the layers, the nodes passed. */
interface Walk {
  value: string;
  shape: Shape;
  /** The net's per-sample input shape: the graph input's, or what a Reshape before any layer makes of it. */
  netInputShape: Shape;
  readonly imported: ImportedLayer[];
  readonly visited: Set<NodeProto>;
}

/** Constants, the one input and the one output (refusing any other number), and the readers and writers of each value. */
function indexGraph(graph: GraphProto, opset: number): ChainGraph {
  const constants = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) if (t.name) constants.set(t.name, t);
  if ((graph.sparseInitializer?.length ?? 0) > 0) throw new OnnxError('the graph has sparse initializers, which are not supported');

  // Constant nodes are values, not layers.
  const nodes: NodeProto[] = [];
  for (const node of graph.node ?? []) {
    if ((node.opType === 'Constant') && (node.domain ?? '') === '') constants.set(node.output?.[0] ?? '', constantValue(node));
    else nodes.push(node);
  }

  const inputs = (graph.input ?? []).filter((v) => v.name && !constants.has(v.name));
  if (inputs.length !== 1) {
    throw new OnnxError(`the graph has ${inputs.length} inputs (${inputs.map((v) => v.name).join(', ') || 'none'}); a Sequential has exactly one`);
  }
  const outputs = graph.output ?? [];
  if (outputs.length !== 1) {
    throw new OnnxError(`the graph has ${outputs.length} outputs (${outputs.map((v) => v.name).join(', ') || 'none'}); a Sequential has exactly one`);
  }
  const inputShape = perSampleShape(inputs[0]);

  const consumers = new Map<string, NodeProto[]>();
  for (const node of nodes) {
    for (const name of node.input ?? []) {
      if (name === '' || constants.has(name)) continue;
      const list = consumers.get(name) ?? [];
      if (!list.includes(node)) list.push(node);
      consumers.set(name, list);
    }
  }
  const producers = new Map<string, NodeProto>();
  for (const node of nodes) for (const name of node.output ?? []) if (name) producers.set(name, node);
  return { opset, constants, nodes, inputName: inputs[0].name!, inputShape, outputName: outputs[0].name ?? '', consumers, producers };
}

/** The one node that reads `value` (undefined if none); a second reader, or a reader of the graph's output, is a branch. */
function readerOf(chain: ChainGraph, value: string): NodeProto | undefined {
  const list = chain.consumers.get(value) ?? [];
  if (list.length > 1) {
    throw new OnnxError(
      `the graph branches: "${value}" feeds ${list.map(describeNode).join(' and ')}; only a chain of layers can become a Sequential`,
    );
  }
  if (value === chain.outputName && list.length > 0) {
    throw new OnnxError(`the graph branches: the output "${value}" also feeds ${describeNode(list[0])}`);
  }
  return list[0];
}

/**
 * Input normalisation (x − mean)/std by scalar constants as the first two nodes (what `nn export` writes):
 * taken off the chain (the walk moves past both nodes) and returned, since a Sequential has no layer for it.
 */
function leadingNormalization(chain: ChainGraph, walk: Walk): ImportedModel['normalization'] {
  const value = walk.value;
  const first = readerOf(chain, value);
  if (first?.opType === 'Sub' && first.output?.[0] && first.output[0] !== chain.outputName) {
    const second = readerOf(chain, first.output[0]);
    const mean = scalarOperand(first, value, chain.constants);
    const std = second?.opType === 'Div' ? scalarOperand(second, first.output[0], chain.constants) : undefined;
    if (mean !== undefined && std !== undefined && std > 0 && Number.isFinite(std)) {
      walk.visited.add(first).add(second!);
      walk.value = second!.output![0];
      return { mean: shortestFloat32(mean), std: shortestFloat32(std) };
    }
  }
  return undefined;
}

/** Follows the chain from the walk's value to the graph's output, one node (or fused group) at a time. */
function walkChain(chain: ChainGraph, walk: Walk): void {
  const rng = new Rng(0); // only to build each layer on its input shape as it comes (the net rebuilds them)
  while (walk.value !== chain.outputName) {
    const node = readerOf(chain, walk.value);
    if (!node) {
      const producer = chain.producers.get(chain.outputName);
      throw new OnnxError(
        `the graph's output "${chain.outputName}" is not reached from its input: "${walk.value}" feeds no node` +
          (producer ? ` (the output comes from ${describeNode(producer)})` : ''),
      );
    }
    walk.visited.add(node);
    importNode(chain, node, walk, rng);
  }
}

/** One step of the walk: `node` (and the next one, if its importer fuses it) becomes layers on the current shape. */
function importNode(chain: ChainGraph, node: NodeProto, walk: Walk, rng: Rng): void {
  let consumedNext = false;
  const ctx = importContext(node, walk.shape, chain.opset, chain.constants, () => {
    const out = node.output?.[0];
    return out && out !== chain.outputName ? readerOf(chain, out) : undefined;
  }, () => {
    consumedNext = true;
  });
  checkDataInputs(node, walk.value, chain.constants, chain.producers, chain.inputName, ctx);
  if (walk.imported.length === 0 && node.opType === 'Reshape' && (node.domain ?? '') === '') {
    // A reshape before any layer only says how the net sees its input ([784] as [1, 28, 28]): it becomes
    // the net's input shape (a batch of the graph's input reshaped the same way is what the net takes).
    walk.netInputShape = leadingReshape(ctx, walk.shape);
    walk.shape = walk.netInputShape;
    checkSingleOutput(node, chain.consumers);
    walk.value = node.output![0];
    return;
  }
  const result = importerOf(node)(node, ctx);
  let last = node;
  if (consumedNext) {
    last = ctx.next()!;
    walk.visited.add(last);
  }
  checkSingleOutput(last, chain.consumers);
  for (const item of result === null ? [] : Array.isArray(result) ? result : [result]) {
    try {
      walk.shape = outputShape(item.layer, walk.shape, rng);
    } catch (err) {
      throw new OnnxError(`${describeNode(node)} cannot take its input ${formatShape(walk.shape)}: ${(err as Error).message}`);
    }
    walk.imported.push(item);
  }
  walk.value = last.output![0];
}

/** The importer of a node's op: a registered one first, else the built-in one; an op neither knows is refused. */
function importerOf(node: NodeProto): OnnxNodeImporter {
  const importer = customImporters.get(importerKey(node.domain ?? '', node.opType ?? '')) ??
    builtInImporter(node.domain ?? '', node.opType ?? '');
  if (!importer) {
    throw new OnnxError(`${describeNode(node)}: the op ${node.domain ? `${node.domain}.` : ''}${node.opType} is not supported` +
      ` (supported: ${supportedOps()}; add others with registerOnnxImporter)`);
  }
  return importer;
}

/** The Sequential of the imported layers, built on the net's input shape, with the ONNX weights loaded. */
function buildNet(walk: Walk, options: FromOnnxOptions): Sequential {
  let net: Sequential;
  try {
    net = new Sequential(walk.imported.map((i) => i.layer), { inputShape: walk.netInputShape, seed: options.seed ?? 0 });
  } catch (err) {
    throw new OnnxError(`the imported layers do not fit together: ${(err as Error).message}`);
  }
  walk.imported.forEach((item, index) => loadValues(item, index));
  return net;
}

/**
 * The layer's output shape on `shape`, found by building a copy (from its kind and config) and disposing it:
 * the layer itself is built once, by the net, so no weights are allocated twice. A kind the registry does
 * not know (a custom layer without registerLayer) is built itself; the net's build replaces that.
 */
function outputShape(layer: Layer, shape: Shape, rng: Rng): Shape {
  let probe: Layer;
  try {
    probe = layerFromConfig(layer.kind, layer.config());
  } catch {
    return layer.build(shape, rng);
  }
  try {
    return probe.build(shape, rng);
  } finally {
    probe.dispose?.();
  }
}

function loadValues(item: ImportedLayer, index: number): void {
  const { layer } = item;
  const fill = (kind: string, target: { name: string; value: Float32Array }[], values: Record<string, Float32Array> | undefined) => {
    for (const [name, data] of Object.entries(values ?? {})) {
      const slot = target.find((t) => t.name === name);
      if (!slot) throw new OnnxError(`layer ${index} (${layer.kind}) has no ${kind} "${name}"`);
      if (slot.value.length !== data.length) {
        throw new OnnxError(`layer ${index} (${layer.kind}): ${kind} "${name}" holds ${slot.value.length} values, the ONNX tensor ${data.length}`);
      }
      slot.value.set(data);
    }
  };
  fill('param', layer.params(), item.params);
  fill('buffer', layer.buffers?.() ?? [], item.buffers);
}

/** The per-sample shape a Reshape before any layer gives: the same number of values, batch kept. */
function leadingReshape(ctx: OnnxImportContext, shape: Shape): Shape {
  ctx.attributes.allowOnly(['allowzero']);
  const target = ctx.ints(1, 'target shape');
  const size = shape.reduce((a, b) => a * b, 1);
  const rest = target.slice(1);
  const known = rest.filter((d) => d > 0).reduce((a, b) => a * b, 1);
  const free = rest.filter((d) => d === -1).length;
  const perSample = rest.map((d) => (d === -1 ? size / known : d));
  const batchOk = target[0] === -1 || target[0] === 0;
  if (target.length < 2 || !batchOk || free > 1 || rest.some((d) => d === 0 || d < -1) || !perSample.every((d) => Number.isInteger(d) && d > 0) ||
      perSample.reduce((a, b) => a * b, 1) !== size) {
    throw ctx.error(`a reshape of the input [N, ${shape.join(', ')}] to [${target.join(', ')}] is not supported (the batch must stay first, as -1 or 0)`);
  }
  return perSample;
}

function checkModel(model: ModelProto): GraphProto {
  const graph = model.graph;
  if (!graph || (graph.node ?? []).length === 0 || toNumber(model.irVersion) <= 0) {
    throw new OnnxError('the bytes are not an ONNX model: no IR version or no graph with nodes');
  }
  return graph;
}

function defaultOpset(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  const version = entry ? toNumber(entry.version) : 1;
  if (version < 7) throw new OnnxError(`the model uses opset ${version}; opset 7 or later is supported (re-export it with a newer opset)`);
  return version;
}

/** The scalar b of a node "data op b" (b a one-value constant), else undefined. */
function scalarOperand(node: NodeProto, data: string, constants: Map<string, TensorProto>): number | undefined {
  const [a, b] = node.input ?? [];
  const t = a === data ? constants.get(b ?? '') : undefined;
  if (!t) return undefined;
  const v = readFloats(t, `${describeNode(node)} constant`);
  return v.length === 1 ? v[0] : undefined;
}

function constantValue(node: NodeProto): TensorProto {
  const a = new Attributes(node);
  const name = node.output?.[0] ?? '';
  for (const attribute of node.attribute ?? []) {
    if (attribute.name === 'value' && attribute.t) return { ...attribute.t, name };
    if (attribute.name === 'value_float') return { name, dims: [], dataType: 1, floatData: [attribute.f ?? 0] };
    if (attribute.name === 'value_floats') return { name, dims: [(attribute.floats ?? []).length], dataType: 1, floatData: attribute.floats };
    if (attribute.name === 'value_int') return { name, dims: [], dataType: 7, int64Data: [attribute.i ?? 0] };
    if (attribute.name === 'value_ints') return { name, dims: [(attribute.ints ?? []).length], dataType: 7, int64Data: attribute.ints };
  }
  throw new OnnxError(`${describeNode(node)}: a Constant of kind ${a.names().join(', ') || 'none'} is not supported`);
}

function perSampleShape(info: { name?: string; type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: unknown; dimParam?: string }[] } } } }): Shape {
  const tensorType = info.type?.tensorType;
  if (!tensorType) throw new OnnxError(`the graph input "${info.name}" is not a tensor`);
  if (tensorType.elemType !== 1) throw new OnnxError(`the graph input "${info.name}" has element type ${tensorType.elemType}; float32 (1) is supported`);
  const dims = tensorType.shape?.dim;
  if (!dims || dims.length < 2) {
    throw new OnnxError(`the graph input "${info.name}" has ${dims ? `rank ${dims.length}` : 'no shape'}; a batch dimension and a fixed per-sample shape are needed`);
  }
  const perSample = dims.slice(1).map((d) => toNumber(d.dimValue as number | undefined));
  if (!perSample.every((d) => Number.isInteger(d) && d > 0)) {
    throw new OnnxError(
      `the graph input "${info.name}" has per-sample dimensions [${dims.slice(1).map((d) => d.dimParam || toNumber(d.dimValue as number)).join(', ')}]; ` +
        'they must be fixed sizes (only the batch dimension may be symbolic)',
    );
  }
  return perSample;
}

function checkDataInputs(
  node: NodeProto, value: string, constants: Map<string, TensorProto>, producers: Map<string, NodeProto>, graphInput: string, ctx: OnnxImportContext,
): void {
  const inputs = node.input ?? [];
  if (inputs[0] !== value) {
    throw new OnnxError(`${describeNode(node)} reads "${value}" as input ${inputs.indexOf(value)}, not as its first (data) input; the graph is not a chain of layers`);
  }
  for (let i = 1; i < inputs.length; i++) {
    if (inputs[i] === '' || constants.has(inputs[i])) continue;
    const producer = producers.get(inputs[i]);
    if (producer || inputs[i] === graphInput) {
      throw new OnnxError(
        `the graph branches: ${describeNode(node)} joins "${inputs[i]}" (from ${producer ? describeNode(producer) : 'the graph input'}) ` +
          'to its data input; only a chain of layers can become a Sequential',
      );
    }
    throw ctx.error(`input ${i} "${inputs[i]}" is missing: no initializer, Constant or node gives it`);
  }
}

function checkSingleOutput(node: NodeProto, consumers: Map<string, NodeProto[]>): void {
  for (const extra of (node.output ?? []).slice(1)) {
    if (extra && (consumers.get(extra)?.length ?? 0) > 0) {
      throw new OnnxError(`the graph branches: ${describeNode(node)}'s output "${extra}" feeds ${describeNode(consumers.get(extra)![0])}`);
    }
  }
}

function importContext(
  node: NodeProto, inputShape: Shape, opset: number, constants: Map<string, TensorProto>,
  next: () => NodeProto | undefined, consumeNext: () => void,
): OnnxImportContext {
  const where = describeNode(node);
  const error = (message: string): OnnxError => new OnnxError(`${where}: ${message}`);
  const constant = (index: number): TensorProto | undefined => {
    const name = node.input?.[index];
    return name ? constants.get(name) : undefined;
  };
  const required = (index: number, what: string): TensorProto => {
    const name = node.input?.[index];
    const t = name ? constants.get(name) : undefined;
    if (!t) throw error(`its ${what} (input ${index}${name ? ` "${name}"` : ''}) is missing: no initializer or Constant of that name`);
    return t;
  };
  return {
    node, attributes: new Attributes(node), inputShape, opset, where, constant, error,
    constantNamed: (name) => constants.get(name),
    floats: (index, what) => readFloats(required(index, what), `${where} ${what}`),
    ints: (index, what) => readInts(required(index, what), `${where} ${what}`),
    dims: (index, what) => tensorDims(required(index, what)),
    next, consumeNext,
  };
}

function supportedOps(): string {
  return 'Gemm, MatMul(+Add), Conv, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Relu, Sigmoid, Tanh, Flatten, Reshape, Dropout, Identity, LRN';
}
