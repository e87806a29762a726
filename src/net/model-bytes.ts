/**
 * Models in memory: `serializeModel(net, extras)` gives the text of `model.json` and the bytes of `weights.bin`
 * (and `optimizer.bin`), `deserializeModel(files)` rebuilds the net from them — the format described in
 * serialize.ts, without a file system, so a page can save a model to IndexedDB or a download, or load one
 * from `fetch`, exactly as `save`/`load` (millefeuille/node) do with a directory. The SHA-256 of each binary
 * part is computed by a pure implementation (sha256.ts) so that this stays synchronous everywhere.
 */
import { layerFromConfig } from '../layers/registry';
import type { Layer } from '../layers/layer';
import { createOptimizer } from '../optimizers/factory';
import type { Optimizer, OptimizerConfig } from '../optimizers/optimizer';
import { formatShape, shapesEqual, sizeOf, type Shape } from '../tensor';
import { ModelFileError } from './errors';
import { Sequential } from './sequential';
import { sha256Hex } from './sha256';
import type { TrainingState } from './train';

export const MODEL_FORMAT = 'millefeuille-model';
export const MODEL_FORMAT_VERSION = 1;
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const OPTIMIZER_FILE = 'optimizer.bin';

export interface TensorEntry {
  /** "0.Conv2D.weights"; for optimizer slots "0.Conv2D.weights:m". */
  name: string;
  /** "param" or "buffer" in weights.bin; the slot name in optimizer.bin. */
  role: string;
  shape: number[];
  /** Byte offset in the file. */
  offset: number;
  /** Number of float32 values. */
  length: number;
}

export interface BinaryManifest {
  file: string;
  dtype: 'float32';
  byteOrder: 'little-endian';
  byteLength: number;
  sha256: string;
  tensors: TensorEntry[];
}

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: number;
  inputShape: number[];
  seed: number;
  layers: { kind: string; config: object }[];
  weights: BinaryManifest;
  optimizer?: { kind: string; config: OptimizerConfig; step: number; slotNames: string[] } & BinaryManifest;
  training?: TrainingState;
  metadata?: Record<string, unknown>;
}

export interface SaveExtras {
  /** Save the optimizer's state too (to resume training exactly). */
  optimizer?: Optimizer;
  /** Where the run stands (from fit's onEpoch `trainingState()`). */
  training?: TrainingState;
  /** Anything JSON the application needs back (the CLI: model name, input normalisation). */
  metadata?: Record<string, unknown>;
}

export interface LoadedModel {
  net: Sequential;
  optimizer?: Optimizer;
  training?: TrainingState;
  metadata?: Record<string, unknown>;
}

/** A model as the three parts of a model directory: `json` is model.json's text, the rest its binary files. */
export interface SerializedModel {
  /** model.json as an object (what `json` holds). */
  model: ModelFile;
  /** The text of model.json (indented, arrays of numbers on one line). */
  json: string;
  /** weights.bin: every param, then every buffer, little-endian float32. */
  weights: Uint8Array;
  /** optimizer.bin, when an optimizer was given. */
  optimizer?: Uint8Array;
}

/**
 * The parts `deserializeModel` reads. A binary part may be a function of the file name the manifest gives,
 * called only once the layers have been rebuilt (so a model directory reports a bad layer before a
 * missing file, and never reads a file named by a manifest it rejected).
 */
export interface ModelParts {
  json: string | ModelFile;
  weights: Uint8Array | ((name: string) => Uint8Array);
  optimizer?: Uint8Array | ((name: string) => Uint8Array);
}

/** Where the parts came from, for error messages: the model file's name and each binary file's location. */
export interface ModelSource {
  /** How to call model.json in messages (default "model.json"). */
  modelPath?: string;
  /** How to call a binary file named by the manifest (default: the name itself). */
  fileLocation?: (name: string) => string;
}

/**
 * The net (and optionally optimizer state, training state, metadata) as model.json text and binary bytes.
 * `where` names the destination in the error thrown when a weight is not finite.
 */
export function serializeModel(net: Sequential, extras: SaveExtras = {}, where = 'a model'): SerializedModel {
  const named = [
    ...net.namedParams().map(({ name, param }) => ({ name, role: 'param', shape: param.shape, value: param.value })),
    ...net.namedBuffers().map(({ name, buffer }) => ({ name, role: 'buffer', shape: buffer.shape, value: buffer.value })),
  ];
  for (const t of named) {
    const bad = t.value.findIndex((v) => !Number.isFinite(v));
    // A diverged net is not worth keeping, and must not replace a good checkpoint.
    if (bad >= 0) throw new ModelFileError(`refusing to save to ${where}: ${t.name} holds ${t.value[bad]} at index ${bad}`);
  }
  const weights = packFloat32(named);

  let optimizerPart: { manifest: ModelFile['optimizer']; bytes: Uint8Array } | undefined;
  if (extras.optimizer !== undefined) {
    const state = extras.optimizer.state(net.params());
    const paramNames = net.namedParams().map((p) => p.name);
    const slots = state.slots.flatMap((perParam, i) =>
      perParam.map((value, j) => ({
        name: `${paramNames[i]}:${state.slotNames[j]}`, role: state.slotNames[j], shape: net.params()[i].shape, value,
      })),
    );
    const packed = packFloat32(slots);
    optimizerPart = {
      manifest: { kind: state.kind, config: state.config, step: state.step, slotNames: state.slotNames, ...manifestOf(OPTIMIZER_FILE, packed) },
      bytes: packed.bytes,
    };
  }

  const model: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    inputShape: [...net.inputShape],
    seed: net.seed,
    layers: net.layers.map((layer: Layer) => ({ kind: layer.kind, config: layer.config() })),
    weights: manifestOf(WEIGHTS_FILE, weights),
    ...(optimizerPart ? { optimizer: optimizerPart.manifest } : {}),
    ...(extras.training !== undefined ? { training: extras.training } : {}),
    ...(extras.metadata !== undefined ? { metadata: extras.metadata } : {}),
  };
  return { model, json: readableJson(model), weights: weights.bytes, ...(optimizerPart ? { optimizer: optimizerPart.bytes } : {}) };
}

/**
 * Rebuilds a net from model.json (text or parsed) and its binary parts; every inconsistency is a
 * ModelFileError saying what and where. `optimizer` is needed only when model.json describes one.
 */
export function deserializeModel(parts: ModelParts, source: ModelSource = {}): LoadedModel {
  const modelPath = source.modelPath ?? MODEL_FILE;
  const location = source.fileLocation ?? ((name: string) => name);
  let model: ModelFile;
  if (typeof parts.json === 'string') {
    try {
      model = JSON.parse(parts.json);
    } catch (err) {
      throw new ModelFileError(`${modelPath} is not valid JSON (${(err as Error).message})`);
    }
  } else {
    model = parts.json;
  }
  checkHeader(model, modelPath);

  const layers = model.layers.map((entry, i) => {
    try {
      return layerFromConfig(entry.kind, entry.config);
    } catch (err) {
      throw new ModelFileError(`${modelPath}: layers[${i}] (${entry.kind}) cannot be rebuilt: ${(err as Error).message}`);
    }
  });
  let net: Sequential;
  try {
    net = new Sequential(layers, { inputShape: model.inputShape, seed: model.seed });
  } catch (err) {
    throw new ModelFileError(`${modelPath}: the layers do not build: ${(err as Error).message}`);
  }

  const expected = [
    ...net.namedParams().map(({ name, param }) => ({ name, role: 'param', shape: param.shape, value: param.value })),
    ...net.namedBuffers().map(({ name, buffer }) => ({ name, role: 'buffer', shape: buffer.shape, value: buffer.value })),
  ];
  const weightsName = binaryFileName(model.weights, modelPath, WEIGHTS_FILE);
  const weights = typeof parts.weights === 'function' ? parts.weights(weightsName) : parts.weights;
  checkBinary(weights, model.weights, weightsName, location(weightsName));
  unpackFloat32(model.weights, weights, expected, modelPath);

  let optimizer: Optimizer | undefined;
  if (model.optimizer !== undefined) {
    const o = model.optimizer;
    try {
      optimizer = createOptimizer(o.kind, o.config);
    } catch (err) {
      throw new ModelFileError(`${modelPath}: the saved optimizer cannot be rebuilt: ${(err as Error).message}`);
    }
    const params = net.namedParams();
    if (!Array.isArray(o.slotNames)) throw new ModelFileError(`${modelPath}: optimizer.slotNames is missing`);
    const slots = params.map(({ param }) => o.slotNames.map(() => new Float32Array(param.value.length)));
    const targets = params.flatMap(({ name, param }, i) =>
      o.slotNames.map((slot, j) => ({ name: `${name}:${slot}`, role: slot, shape: param.shape, value: slots[i][j] })),
    );
    const optimizerName = binaryFileName(o, modelPath, OPTIMIZER_FILE);
    if (parts.optimizer === undefined) throw new ModelFileError(`${location(optimizerName)} is missing (${modelPath} refers to it)`);
    const bytes = typeof parts.optimizer === 'function' ? parts.optimizer(optimizerName) : parts.optimizer;
    checkBinary(bytes, o, optimizerName, location(optimizerName));
    unpackFloat32(o, bytes, targets, modelPath);
    try {
      optimizer.loadState({ kind: o.kind, config: o.config, step: o.step, slotNames: o.slotNames, slots }, net.params());
    } catch (err) {
      throw new ModelFileError(`${modelPath}: the optimizer state does not fit: ${(err as Error).message}`);
    }
  }

  return {
    net,
    ...(optimizer ? { optimizer } : {}),
    ...(model.training !== undefined ? { training: model.training } : {}),
    ...(model.metadata !== undefined ? { metadata: model.metadata } : {}),
  };
}

// ---- binary packing ----

interface NamedValues {
  name: string;
  role: string;
  shape: Shape;
  value: Float32Array;
}

function packFloat32(tensors: NamedValues[]): { bytes: Uint8Array; tensors: TensorEntry[] } {
  const total = tensors.reduce((sum, t) => sum + t.value.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const t of tensors) {
    entries.push({ name: t.name, role: t.role, shape: [...t.shape], offset, length: t.value.length });
    // Explicit little-endian, whatever the host's byte order.
    for (let i = 0; i < t.value.length; i++) view.setFloat32(offset + 4 * i, t.value[i], true);
    offset += 4 * t.value.length;
  }
  return { bytes, tensors: entries };
}

function manifestOf(file: string, packed: { bytes: Uint8Array; tensors: TensorEntry[] }): BinaryManifest {
  return {
    file,
    dtype: 'float32',
    byteOrder: 'little-endian',
    byteLength: packed.bytes.length,
    sha256: sha256Hex(packed.bytes),
    tensors: packed.tensors,
  };
}

/** Check the manifest against what the rebuilt net expects, then copy every tensor's values in. */
function unpackFloat32(manifest: BinaryManifest, bytes: Uint8Array, expected: NamedValues[], modelPath: string): void {
  const file = manifest.file;
  const listed = manifest.tensors;
  const names = new Set(listed.map((t) => t.name));
  const missing = expected.filter((e) => !names.has(e.name)).map((e) => e.name);
  const expectedNames = new Set(expected.map((e) => e.name));
  const extra = listed.filter((t) => !expectedNames.has(t.name)).map((t) => t.name);
  if (missing.length > 0 || extra.length > 0) {
    throw new ModelFileError(
      `${modelPath}: the manifest of ${file} does not match the layers: ` +
        [
          missing.length ? `the layers need ${missing.join(', ')} which the manifest lacks` : '',
          extra.length ? `the manifest lists ${extra.join(', ')} which no layer has` : '',
        ].filter(Boolean).join('; '),
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const target of expected) {
    const entry = listed.find((t) => t.name === target.name)!;
    if (!Array.isArray(entry.shape) || !shapesEqual(entry.shape, target.shape)) {
      throw new ModelFileError(
        `${modelPath}: the manifest gives ${entry.name} the shape ${formatShape(entry.shape ?? [])} but the layers build ${formatShape(target.shape)}`,
      );
    }
    const length = sizeOf(target.shape);
    if (entry.length !== length || !Number.isInteger(entry.offset) || entry.offset < 0 || entry.offset % 4 !== 0) {
      throw new ModelFileError(`${modelPath}: the manifest entry of ${entry.name} is damaged (offset ${entry.offset}, length ${entry.length}, shape needs ${length})`);
    }
    if (entry.offset + 4 * length > bytes.length) {
      throw new ModelFileError(`${modelPath}: ${entry.name} lies at bytes ${entry.offset}–${entry.offset + 4 * length} but ${file} has ${bytes.length}`);
    }
    for (let i = 0; i < length; i++) target.value[i] = view.getFloat32(entry.offset + 4 * i, true);
  }
}

/**
 * The file name a binary manifest gives (a bare name; anything with a directory part falls back to the
 * default, so a hostile model.json cannot point outside its directory), after checking the manifest's form.
 */
export function binaryFileName(manifest: BinaryManifest, modelPath: string, defaultName: string): string {
  if (manifest === undefined || typeof manifest !== 'object' || !Array.isArray(manifest.tensors)) {
    throw new ModelFileError(`${modelPath}: the manifest of ${defaultName} is missing or damaged`);
  }
  if (manifest.dtype !== 'float32' || manifest.byteOrder !== 'little-endian') {
    throw new ModelFileError(`${modelPath}: ${manifest.file} is ${manifest.dtype}/${manifest.byteOrder}; only float32/little-endian is supported`);
  }
  const file = manifest.file;
  const bare = typeof file === 'string' && file !== '' && file !== '.' && file !== '..' && !/[\\/]/.test(file);
  return bare ? file : defaultName;
}

/** Checks a binary part's length and SHA-256 against its manifest (`filePath` says where it came from). */
function checkBinary(bytes: Uint8Array, manifest: BinaryManifest, name: string, filePath: string): void {
  const needed = manifest.tensors.reduce((sum, t) => Math.max(sum, t.offset + 4 * t.length), 0);
  if (bytes.length !== manifest.byteLength || bytes.length < needed) {
    throw new ModelFileError(
      `${name} is ${bytes.length} bytes but ${MODEL_FILE}'s manifest needs ${manifest.byteLength}; ` +
        `the file is ${bytes.length < manifest.byteLength ? 'truncated' : 'longer than written'} or from another model (${filePath})`,
    );
  }
  const digest = sha256Hex(bytes);
  if (digest !== manifest.sha256) {
    throw new ModelFileError(
      `${name} does not match ${MODEL_FILE}: its SHA-256 is ${digest.slice(0, 12)}… but the manifest records ${String(manifest.sha256).slice(0, 12)}…; ` +
        `the file was edited, damaged, or written by another save (${filePath})`,
    );
  }
}

export function checkHeader(model: ModelFile, modelPath: string): void {
  if (model === null || typeof model !== 'object' || model.format !== MODEL_FORMAT) {
    throw new ModelFileError(`${modelPath} is not a millefeuille model (its "format" is ${JSON.stringify((model as { format?: unknown })?.format)}, expected "${MODEL_FORMAT}")`);
  }
  if (model.version !== MODEL_FORMAT_VERSION) {
    throw new ModelFileError(
      `${modelPath} has format version ${JSON.stringify(model.version)}; this millefeuille reads version ${MODEL_FORMAT_VERSION}`,
    );
  }
  if (!Array.isArray(model.layers) || model.layers.length === 0) throw new ModelFileError(`${modelPath}: "layers" must be a non-empty array`);
  if (!Array.isArray(model.inputShape)) throw new ModelFileError(`${modelPath}: "inputShape" is missing`);
  if (!Number.isInteger(model.seed)) throw new ModelFileError(`${modelPath}: "seed" must be an integer, got ${JSON.stringify(model.seed)}`);
}

/** Indented JSON with every array of numbers (shapes, rng states) kept on one line, for people reading it. */
function readableJson(value: unknown): string {
  return (
    JSON.stringify(value, null, 2).replace(/\[\s*(-?[\d.eE+-]+(?:,\s*-?[\d.eE+-]+)*)\s*\]/g, (_m, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`) +
    '\n'
  );
}

