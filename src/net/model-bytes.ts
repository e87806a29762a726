/**
 * Models in memory: `serializeModel(net, extras)` gives the text of `model.json` and the bytes of `weights.bin`
 * (and `optimizer.bin`), `deserializeModel(files)` rebuilds the net from them — the format described in
 * serialize.ts, without a file system, so a page can save a model to IndexedDB or a download, or load one
 * from `fetch`, exactly as `save`/`load` (millefeuille/node) do with a directory. The SHA-256 of each binary
 * part is computed by a pure implementation (sha256.ts) so that this stays synchronous everywhere.
 */
import { withParamBudget } from '../layers/param-budget';
import { layerFromConfig } from '../layers/registry';
import type { Layer } from '../layers/layer';
import { createOptimizer } from '../optimizers/factory';
import type { Optimizer, OptimizerConfig } from '../optimizers/optimizer';
import { formatShape, shapesEqual, type Shape } from '../tensor';
import { ModelFileError } from './errors';
import { capMessage, checkFiniteValues, checkJsonDepth, checkModelFile, checkPlainJson, FieldChecker, quote } from './model-check';
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
  weights: Uint8Array | ((name: string, byteLength: number) => Uint8Array);
  optimizer?: Uint8Array | ((name: string, byteLength: number) => Uint8Array);
}

/** Where the parts came from, for error messages: the model file's name and each binary file's location. */
export interface ModelSource {
  /** How to call model.json in messages (default "model.json"). */
  modelPath?: string;
  /** How to call a binary file named by the manifest (default: the name itself). */
  fileLocation?: (name: string) => string;
}

/**
 * The name a binary part is saved under: "weights-<first 16 hex digits of its SHA-256>.bin". Named by content,
 * a new checkpoint's files never overwrite the ones the current model.json names, so that renaming model.json
 * is the one step that switches from the old checkpoint to the new (serialize.ts); models saved before this
 * used the plain names WEIGHTS_FILE and OPTIMIZER_FILE, which load still reads.
 */
export function contentFileName(prefix: 'weights' | 'optimizer', sha256: string): string {
  return `${prefix}-${sha256.slice(0, 16)}.bin`;
}

/**
 * The net (and optionally optimizer state, training state, metadata) as model.json text and binary bytes.
 * `where` names the destination in the error thrown when a weight is not finite. Everything is checked and
 * produced here, before a caller touches any file: a failed save leaves the previous model as it was.
 */
export function serializeModel(net: Sequential, extras: SaveExtras = {}, where = 'a model'): SerializedModel {
  if (extras.metadata !== undefined && (extras.metadata === null || typeof extras.metadata !== 'object' || Array.isArray(extras.metadata))) {
    throw new ModelFileError(`refusing to save to ${where}: metadata must be a plain object, got ${quote(extras.metadata)}`);
  }
  if (extras.metadata !== undefined) checkPlainJson(extras.metadata, 'metadata');
  if (extras.training !== undefined) checkPlainJson(extras.training, 'training');
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
    for (const t of slots) {
      const bad = t.value.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new ModelFileError(`refusing to save to ${where}: the optimizer state ${t.name} holds ${t.value[bad]} at index ${bad}`);
    }
    checkPlainJson(state.config, 'optimizer.config');
    const packed = packFloat32(slots);
    optimizerPart = {
      manifest: { kind: state.kind, config: state.config, step: state.step, slotNames: state.slotNames, ...manifestOf('optimizer', packed) },
      bytes: packed.bytes,
    };
  }

  const model: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    inputShape: [...net.inputShape],
    seed: net.seed,
    layers: net.layers.map((layer: Layer) => ({ kind: layer.kind, config: layer.config() })),
    weights: manifestOf('weights', weights),
    ...(optimizerPart ? { optimizer: optimizerPart.manifest } : {}),
    ...(extras.training !== undefined ? { training: extras.training } : {}),
    ...(extras.metadata !== undefined ? { metadata: extras.metadata } : {}),
  };
  checkPlainJson(model.layers, 'layers');
  return { model, json: readableJson(model), weights: weights.bytes, ...(optimizerPart ? { optimizer: optimizerPart.bytes } : {}) };
}

/**
 * Rebuilds a net from model.json (text or parsed) and its binary parts; every inconsistency is a
 * ModelFileError saying what and where. `optimizer` is needed only when model.json describes one.
 *
 * The order matters: model.json is checked field by field (checkModelFile) and every layer constructed from
 * its config before any binary part is asked for; a binary part must have exactly the length its manifest
 * says and the recorded SHA-256 before the net is built, and building may allocate no more values than the
 * weights file holds (param-budget.ts); every value read must be finite.
 */
export function deserializeModel(parts: ModelParts, source: ModelSource = {}): LoadedModel {
  const modelPath = source.modelPath ?? MODEL_FILE;
  const location = source.fileLocation ?? ((name: string) => name);
  const check = new FieldChecker(modelPath);
  let parsed: unknown;
  if (typeof parts.json === 'string') {
    checkJsonDepth(parts.json, modelPath);
    try {
      parsed = JSON.parse(parts.json);
    } catch (err) {
      throw new ModelFileError(`${modelPath} is not valid JSON (${capMessage((err as Error).message)})`);
    }
  } else {
    parsed = parts.json;
  }
  const model = checkModelFile(parsed, check);

  const layers = model.layers.map((entry, i) => {
    try {
      return layerFromConfig(entry.kind, entry.config);
    } catch (err) {
      throw new ModelFileError(`${modelPath}: layers[${i}] (${entry.kind}) cannot be rebuilt: ${capMessage((err as Error).message)}`);
    }
  });

  const weightsName = model.weights.file;
  const weights = readPart(parts.weights, model.weights, location);
  let net: Sequential;
  try {
    // Room for a small mismatch to be reported by name and shape below; a gross one (units: 1e6) stops here.
    const held = model.weights.byteLength / 4;
    const why = `twice the ${held} values in ${weightsName}, plus 2^20`;
    net = withParamBudget(2 * held + 2 ** 20, why, () => new Sequential(layers, { inputShape: model.inputShape, seed: model.seed }));
  } catch (err) {
    throw new ModelFileError(`${modelPath}: the layers do not build: ${capMessage((err as Error).message)}`);
  }

  const expected = [
    ...net.namedParams().map(({ name, param }) => ({ name, role: 'param', shape: param.shape, value: param.value })),
    ...net.namedBuffers().map(({ name, buffer }) => ({ name, role: 'buffer', shape: buffer.shape, value: buffer.value })),
  ];
  unpackFloat32(model.weights, weights, expected, modelPath, 'weights');

  let optimizer: Optimizer | undefined;
  if (model.optimizer !== undefined) {
    const o = model.optimizer;
    try {
      optimizer = createOptimizer(o.kind, o.config);
    } catch (err) {
      throw new ModelFileError(`${modelPath}: the saved optimizer cannot be rebuilt: ${capMessage((err as Error).message)}`);
    }
    const params = net.namedParams();
    const slots = params.map(({ param }) => o.slotNames.map(() => new Float32Array(param.value.length)));
    const targets = params.flatMap(({ name, param }, i) =>
      o.slotNames.map((slot, j) => ({ name: `${name}:${slot}`, role: slot, shape: param.shape, value: slots[i][j] })),
    );
    if (parts.optimizer === undefined) throw new ModelFileError(`${location(o.file)} is missing (${modelPath} refers to it)`);
    const bytes = readPart(parts.optimizer, o, location);
    unpackFloat32(o, bytes, targets, modelPath, 'optimizer');
    try {
      optimizer.loadState({ kind: o.kind, config: o.config, step: o.step, slotNames: o.slotNames, slots }, net.params());
    } catch (err) {
      throw new ModelFileError(`${modelPath}: the optimizer state does not fit: ${capMessage((err as Error).message)}`);
    }
  }

  return {
    net,
    ...(optimizer ? { optimizer } : {}),
    ...(model.training !== undefined ? { training: model.training } : {}),
    ...(model.metadata !== undefined ? { metadata: model.metadata } : {}),
  };
}

/** A binary part, asked for (when it is a function) only with a manifest already checked; then its length and SHA-256. */
function readPart(part: Uint8Array | ((name: string, byteLength: number) => Uint8Array), manifest: BinaryManifest, location: (name: string) => string): Uint8Array {
  const bytes = typeof part === 'function' ? part(manifest.file, manifest.byteLength) : part;
  checkBinary(bytes, manifest, manifest.file, location(manifest.file));
  return bytes;
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

function manifestOf(prefix: 'weights' | 'optimizer', packed: { bytes: Uint8Array; tensors: TensorEntry[] }): BinaryManifest {
  const sha256 = sha256Hex(packed.bytes);
  return {
    file: contentFileName(prefix, sha256),
    dtype: 'float32',
    byteOrder: 'little-endian',
    byteLength: packed.bytes.length,
    sha256,
    tensors: packed.tensors,
  };
}

/**
 * Checks the manifest's tensors against what the rebuilt net expects (the same names, the same shapes),
 * then copies every tensor's values in, refusing any that is not finite. The layout (back to back, in
 * order) was checked with the manifest (checkManifest).
 */
function unpackFloat32(manifest: BinaryManifest, bytes: Uint8Array, expected: NamedValues[], modelPath: string, field: string): void {
  const file = manifest.file;
  const listed = new Map(manifest.tensors.map((t) => [t.name, t]));
  const missing = expected.filter((e) => !listed.has(e.name)).map((e) => e.name);
  const expectedNames = new Set(expected.map((e) => e.name));
  const extra = manifest.tensors.filter((t) => !expectedNames.has(t.name)).map((t) => quote(t.name));
  if (missing.length > 0 || extra.length > 0) {
    throw new ModelFileError(
      `${modelPath}: the manifest of ${file} does not match the layers: ` +
        [
          missing.length ? `the layers need ${listOf(missing)} which the manifest lacks` : '',
          extra.length ? `the manifest lists ${listOf(extra)} which no layer has` : '',
        ].filter(Boolean).join('; '),
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const target of expected) {
    const entry = listed.get(target.name)!;
    if (!shapesEqual(entry.shape, target.shape)) {
      throw new ModelFileError(
        `${modelPath}: the manifest gives ${entry.name} the shape ${formatShape(entry.shape)} but the layers build ${formatShape(target.shape)}`,
      );
    }
    for (let i = 0; i < entry.length; i++) target.value[i] = view.getFloat32(entry.offset + 4 * i, true);
    checkFiniteValues(target.value, entry.name, file, modelPath);
  }
}

/** At most 12 names, then how many more. */
function listOf(names: string[]): string {
  return names.length <= 12 ? names.join(', ') : `${names.slice(0, 12).join(', ')} and ${names.length - 12} more`;
}

/** Checks a binary part's length and SHA-256 against its manifest (`filePath` says where it came from). */
function checkBinary(bytes: Uint8Array, manifest: BinaryManifest, name: string, filePath: string): void {
  if (bytes.length !== manifest.byteLength) throw wrongLengthError(name, bytes.length, manifest.byteLength, filePath);
  const digest = sha256Hex(bytes);
  if (digest !== manifest.sha256) {
    throw new ModelFileError(
      `${name} does not match ${MODEL_FILE}: its SHA-256 is ${digest.slice(0, 12)}… but the manifest records ${manifest.sha256.slice(0, 12)}…; ` +
        `the file was edited, damaged, or written by another save (${filePath})`,
    );
  }
}

/** A binary file whose length is not the manifest's (also raised by load before reading such a file). */
export function wrongLengthError(name: string, actual: number, needed: number, filePath: string): ModelFileError {
  return new ModelFileError(
    `${name} is ${actual} bytes but ${MODEL_FILE}'s manifest needs ${needed}; ` +
      `the file is ${actual < needed ? 'truncated' : 'longer than written'} or from another model (${filePath})`,
  );
}

/** Indented JSON with every array of numbers (shapes, rng states) kept on one line, for people reading it. */
function readableJson(value: unknown): string {
  return (
    JSON.stringify(value, null, 2).replace(/\[\s*(-?[\d.eE+-]+(?:,\s*-?[\d.eE+-]+)*)\s*\]/g, (_m, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`) +
    '\n'
  );
}

