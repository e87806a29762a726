/**
 * Model files: `save(net, dir, extra)` / `load(dir)`.
 *
 * A model directory holds
 * - `model.json`: `{ format: "millefeuille-model", version: 1, inputShape, seed, layers: [{ kind, config }],
 *   weights: { file, dtype: "float32", byteOrder: "little-endian", byteLength, sha256, tensors: [{ name, role,
 *   shape, offset, length }] }, optimizer?, training?, metadata? }` — offsets in bytes, lengths in elements;
 * - `weights-<sha16>.bin` (the name model.json's `weights.file` gives; `weights.bin` in models saved before
 *   content names): every param, then every buffer (BatchNorm running statistics), in the net's order, as
 *   little-endian float32, back to back, nothing else;
 * - `optimizer-<sha16>.bin` (only when an optimizer was saved): its state arrays (`slots`), described by
 *   `model.json`'s `optimizer` entry `{ kind, config, step, slotNames, file, …, tensors: [{ name: "<param>:<slot>", … }] }`.
 *
 * Saving is crash-safe (docs/model-files.md): everything is checked and serialised in memory first; the
 * binary files, named by their content, are written under temporary names, flushed to disk and renamed; then
 * model.json is written the same way and renamed over the old one — the single step that switches from the
 * old checkpoint to the new; then the directory is flushed and the files no model.json names any more (the
 * old binaries, temporary files a killed save left) are removed. Killed at any instant, the directory holds
 * one complete checkpoint, the old or the new. Loading checks every field of model.json, the manifest against
 * the rebuilt net, the file lengths (before reading), the checksums and every value, and says exactly what
 * does not match.
 *
 * This file is the directory side (Node: millefeuille/node); the format itself, in memory, is model-bytes.ts
 * (the core, which a browser page uses to keep a model in IndexedDB or a download).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelFileError } from './errors';
import { deserializeModel, serializeModel, wrongLengthError, MODEL_FILE, type LoadedModel, type SaveExtras } from './model-bytes';
import type { Sequential } from './sequential';

export {
  MODEL_FORMAT, MODEL_FORMAT_VERSION, MODEL_FILE, WEIGHTS_FILE, OPTIMIZER_FILE, serializeModel, deserializeModel, contentFileName,
} from './model-bytes';
export type { TensorEntry, BinaryManifest, ModelFile, SaveExtras, LoadedModel, SerializedModel, ModelParts, ModelSource } from './model-bytes';

/** Write the net (and optionally optimizer state, training state, metadata) into `dir`, creating it if needed. */
export function save(net: Sequential, dir: string, extras: SaveExtras = {}): void {
  // Everything that can be refused (a diverged weight, metadata that is not JSON) is refused here, before
  // the directory is touched.
  const parts = serializeModel(net, extras, dir);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new ModelFileError(`cannot create the model directory ${dir}: ${(err as Error).message}`);
  }
  try {
    writeDurably(path.join(dir, parts.model.weights.file), parts.weights);
    if (parts.optimizer) writeDurably(path.join(dir, parts.model.optimizer!.file), parts.optimizer);
    // The switch: until this rename, model.json names the old checkpoint's files, which are untouched.
    writeDurably(path.join(dir, MODEL_FILE), new TextEncoder().encode(parts.json));
    syncDirectory(dir);
  } finally {
    // Whatever happened, remove what the model.json now on disk does not name (the old checkpoint's binaries
    // after a switch; this save's new binaries after a failure; leftovers of a killed save).
    removeUnnamedFiles(dir);
  }
}

/** Read a model directory written by `save`; every inconsistency is a ModelFileError saying what and where. */
export function load(dir: string): LoadedModel {
  if (!fs.existsSync(dir)) throw new ModelFileError(`model directory ${dir} does not exist`);
  if (!fs.statSync(dir).isDirectory()) throw new ModelFileError(`${dir} is not a directory (a model is a directory holding ${MODEL_FILE} and its weights file)`);
  const modelPath = path.join(dir, MODEL_FILE);
  if (!fs.existsSync(modelPath)) {
    throw new ModelFileError(`${modelPath} is missing: a model directory holds ${MODEL_FILE} and its weights file, written by save()`);
  }
  const modelStat = fs.statSync(modelPath);
  if (!modelStat.isFile()) throw new ModelFileError(`${modelPath} is not a regular file`);
  if (modelStat.size > MAX_MODEL_JSON_BYTES) {
    throw new ModelFileError(`${modelPath} is ${modelStat.size} bytes; a model.json is at most ${MAX_MODEL_JSON_BYTES} (the weights live in the binary files)`);
  }
  const read = (name: string, byteLength: number): Uint8Array => {
    const filePath = path.join(dir, name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(filePath);
    } catch {
      throw new ModelFileError(`${filePath} is missing (${modelPath} refers to it)`);
    }
    if (!stat.isFile()) throw new ModelFileError(`${filePath} is not a regular file (${modelPath} refers to it)`);
    // The length first: a file of the wrong size is never read (it may be huge, or a device).
    if (stat.size !== byteLength) throw wrongLengthError(name, stat.size, byteLength, filePath);
    return fs.readFileSync(filePath);
  };
  return deserializeModel(
    { json: fs.readFileSync(modelPath, 'utf8'), weights: read, optimizer: read },
    { modelPath, fileLocation: (name) => path.join(dir, name) },
  );
}

/** model.json holds layer configs, manifests, the training history and metadata: a few hundred KB at most. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

/** The files of a model directory that model.json names: its own path, the weights file's, the optimizer file's. */
export function modelFiles(dir: string): { model: string; weights: string; optimizer?: string } {
  const modelPath = path.join(dir, MODEL_FILE);
  const named = namedBinaries(dir);
  if (named === undefined) throw new ModelFileError(`${modelPath} is missing or not a model file`);
  return { model: modelPath, weights: path.join(dir, named.weights), ...(named.optimizer ? { optimizer: path.join(dir, named.optimizer) } : {}) };
}

/** The binary files the model.json in `dir` names, or undefined when there is no readable model.json. */
function namedBinaries(dir: string): { weights: string; optimizer?: string } | undefined {
  let model: { weights?: { file?: unknown }; optimizer?: { file?: unknown } };
  try {
    model = JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const bare = (file: unknown): string | undefined => (typeof file === 'string' && file === path.basename(file) && file !== '..' && file !== '.' ? file : undefined);
  const weights = bare(model?.weights?.file);
  if (weights === undefined) return undefined;
  const optimizer = bare(model?.optimizer?.file);
  return { weights, ...(optimizer ? { optimizer } : {}) };
}

/** The binary files save writes (content-named and the older plain names) and its temporary files. */
const SAVED_BINARY = /^(weights|optimizer)(-[0-9a-f]{16})?\.bin$/;
const TEMPORARY = /^(model\.json|(weights|optimizer)(-[0-9a-f]{16})?\.bin)\.tmp-(\d+)-[0-9a-f]+$/;

/**
 * Removes the binary files the current model.json does not name and the temporary files of saves that are no
 * longer running. Only names save itself writes are touched; with no readable model.json nothing is removed
 * (the files may be all that is left of a model).
 */
function removeUnnamedFiles(dir: string): void {
  const named = namedBinaries(dir);
  if (named === undefined) return;
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const temporary = TEMPORARY.exec(entry);
    const stale = temporary ? !saveRunning(Number(temporary[4])) : SAVED_BINARY.test(entry) && entry !== named.weights && entry !== named.optimizer;
    if (!stale) continue;
    try {
      fs.rmSync(path.join(dir, entry), { force: true });
    } catch {
      // Left for the next save to remove; the checkpoint itself is complete.
    }
  }
}

/** Whether process `pid` may still be writing a temporary file (this process's saves are synchronous: never). */
function saveRunning(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Writes `bytes` under a temporary name in the same directory (same file system), flushes them to the disk,
 * then renames over `target`: a reader sees the old file or the complete new one, also after a power cut.
 */
function writeDurably(target: string, bytes: Uint8Array): void {
  const temp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fd = fs.openSync(temp, 'wx');
    try {
      fs.writeFileSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new ModelFileError(`cannot write ${target}: ${(err as Error).message}`);
  }
}

/** Flushes the directory entry changes (the renames) to the disk; some platforms cannot open a directory: skipped. */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // EINVAL/EISDIR/EPERM where directories cannot be synced (Windows): the renames are still atomic.
  } finally {
    fs.closeSync(fd);
  }
}
