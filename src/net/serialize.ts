/**
 * Model files: `save(net, dir, extra)` / `load(dir)`.
 *
 * A model directory holds
 * - `model.json`: `{ format: "millefeuille-model", version: 1, inputShape, seed, layers: [{ kind, config }],
 *   weights: { file, dtype: "float32", byteOrder: "little-endian", byteLength, sha256, tensors: [{ name, role,
 *   shape, offset, length }] }, optimizer?, training?, metadata? }` — offsets in bytes, lengths in elements;
 * - `weights.bin`: every param, then every buffer (BatchNorm running statistics), in the net's order, as
 *   little-endian float32, back to back, nothing else;
 * - `optimizer.bin` (only when an optimizer was saved, else removed): its state arrays (`slots`), described by
 *   `model.json`'s `optimizer` entry `{ kind, config, step, slotNames, file, …, tensors: [{ name: "<param>:<slot>", … }] }`.
 *
 * Each file is written under a temporary name in the same directory and renamed over the old one; the
 * binary files go first and `model.json` last, and `model.json` records each binary file's SHA-256, so a
 * reader never mistakes a half-replaced or edited pair for a model. Loading checks the format and version,
 * every layer, the manifest against the rebuilt net (names, shapes), the file lengths and checksums, and
 * says exactly what does not match.
 *
 * This file is the directory side (Node: millefeuille/node); the format itself, in memory, is model-bytes.ts
 * (the core, which a browser page uses to keep a model in IndexedDB or a download).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelFileError } from './errors';
import { deserializeModel, serializeModel, MODEL_FILE, OPTIMIZER_FILE, WEIGHTS_FILE, type LoadedModel, type SaveExtras } from './model-bytes';
import type { Sequential } from './sequential';

export {
  MODEL_FORMAT, MODEL_FORMAT_VERSION, MODEL_FILE, WEIGHTS_FILE, OPTIMIZER_FILE, serializeModel, deserializeModel,
} from './model-bytes';
export type { TensorEntry, BinaryManifest, ModelFile, SaveExtras, LoadedModel, SerializedModel, ModelParts, ModelSource } from './model-bytes';

/** Write the net (and optionally optimizer state, training state, metadata) into `dir`, creating it if needed. */
export function save(net: Sequential, dir: string, extras: SaveExtras = {}): void {
  const parts = serializeModel(net, extras, dir);
  fs.mkdirSync(dir, { recursive: true });
  writeAtomic(path.join(dir, WEIGHTS_FILE), parts.weights);
  if (parts.optimizer) writeAtomic(path.join(dir, OPTIMIZER_FILE), parts.optimizer);
  writeAtomic(path.join(dir, MODEL_FILE), new TextEncoder().encode(parts.json));
  // An optimizer.bin from an earlier save is no longer described by model.json: remove it, not leave it stale.
  if (!parts.optimizer) fs.rmSync(path.join(dir, OPTIMIZER_FILE), { force: true });
}

/** Read a model directory written by `save`; every inconsistency is a ModelFileError saying what and where. */
export function load(dir: string): LoadedModel {
  if (!fs.existsSync(dir)) throw new ModelFileError(`model directory ${dir} does not exist`);
  if (!fs.statSync(dir).isDirectory()) throw new ModelFileError(`${dir} is not a directory (a model is a directory holding ${MODEL_FILE} and ${WEIGHTS_FILE})`);
  const modelPath = path.join(dir, MODEL_FILE);
  if (!fs.existsSync(modelPath)) {
    throw new ModelFileError(`${modelPath} is missing: a model directory holds ${MODEL_FILE} and ${WEIGHTS_FILE}, written by save()`);
  }
  const read = (name: string): Uint8Array => {
    const filePath = path.join(dir, name);
    if (!fs.existsSync(filePath)) throw new ModelFileError(`${filePath} is missing (${modelPath} refers to it)`);
    return fs.readFileSync(filePath);
  };
  return deserializeModel(
    { json: fs.readFileSync(modelPath, 'utf8'), weights: read, optimizer: read },
    { modelPath, fileLocation: (name) => path.join(dir, name) },
  );
}

/** Write to a temporary name in the same directory (same filesystem), then rename over the target. */
function writeAtomic(target: string, bytes: Uint8Array): void {
  const temp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.writeFileSync(temp, bytes);
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new ModelFileError(`cannot write ${target}: ${(err as Error).message}`);
  }
}
