/**
 * What a model file must be, checked field by field — on the way out (save refuses what load would refuse or
 * silently change) and on the way in (load refuses anything that is not exactly what save writes, before
 * allocating or reading anything its numbers describe). Every refusal is a ModelFileError naming the field
 * ("weights.tensors[3].offset"), with any text from the file quoted and capped (`quote`), so that a hostile
 * file can neither crash the reader with a raw TypeError or a stack overflow nor flood the terminal.
 */
import { scheduleFromConfig, type ScheduleConfig } from '../optimizers/schedules';
import { formatShape } from '../tensor';
import { ModelFileError } from './errors';
// Constants and types only (model-bytes.ts calls checkModelFile; nothing here runs at import time).
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, type BinaryManifest, type ModelFile } from './model-bytes';

/** Longest piece of a file's own text quoted in a message. */
const QUOTE_MAX = 80;
/** Deepest nesting accepted in model.json (save writes at most ~6 levels; metadata gets the rest). */
export const MAX_JSON_DEPTH = 64;

/** A value from a file, as JSON, cut to 80 characters + "…" (a 100 MB "kind" gives a short message). */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'bigint' ? `${value}n` : value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}…` : text;
}

// ---- save: what may go into model.json ----

/**
 * Checks that `value` is plain JSON that comes back unchanged from JSON.parse(JSON.stringify(value)):
 * finite numbers, strings, booleans, null, arrays and plain objects, no cycles, at most MAX_JSON_DEPTH deep.
 * A BigInt or a cycle would make JSON.stringify throw; NaN, ±Infinity, undefined, functions, Dates and
 * Maps would be silently changed or dropped. `where` is the field's path ("metadata").
 */
export function checkPlainJson(value: unknown, where: string, seen: Set<object> = new Set(), depth = 1): void {
  const refuse = (what: string): never => {
    throw new ModelFileError(`refusing to save: ${where} ${what}; model.json holds plain JSON only (finite numbers, strings, booleans, null, arrays, plain objects)`);
  };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) refuse(`is ${value}`);
    return;
  }
  if (typeof value !== 'object') refuse(`is a ${typeof value}${typeof value === 'bigint' ? ` (${quote(value)})` : ''}`);
  const object = value as object;
  if (depth > MAX_JSON_DEPTH) refuse(`is nested more than ${MAX_JSON_DEPTH} levels deep`);
  if (seen.has(object)) refuse('refers back to itself (a cycle)');
  seen.add(object);
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) {
      if (!(i in object)) refuse(`has a hole at index ${i}`);
      checkPlainJson(object[i], `${where}[${i}]`, seen, depth + 1);
    }
  } else {
    // A plain object's prototype is Object.prototype (of whichever realm made it) or null.
    const proto = Object.getPrototypeOf(object);
    if (proto !== null && Object.getPrototypeOf(proto) !== null) refuse(`is a ${proto.constructor?.name ?? 'non-plain object'}, not a plain object`);
    for (const [key, v] of Object.entries(object)) checkPlainJson(v, `${where}.${key}`, seen, depth + 1);
  }
  seen.delete(object);
}

// ---- load: what model.json may hold ----

/**
 * Refuses JSON text nested deeper than MAX_JSON_DEPTH before it is parsed, so that no recursive step after
 * JSON.parse (checks, copies, messages) can overflow the stack. Strings are skipped, brackets counted.
 */
export function checkJsonDepth(text: string, modelPath: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) throw new ModelFileError(`${modelPath} is nested more than ${MAX_JSON_DEPTH} levels deep; a model file is not`);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
}

/** A field's checks: each throws a ModelFileError "<modelPath>: <field> …". */
export class FieldChecker {
  constructor(readonly modelPath: string) {}

  fail(field: string, what: string): never {
    throw new ModelFileError(`${this.modelPath}: ${field} ${what}`);
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(field, `must be an object, got ${quote(value)}`);
    return value as Record<string, unknown>;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.fail(field, `must be an array, got ${quote(value)}`);
    return value as unknown[];
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.fail(field, `must be a string, got ${quote(value)}`);
    return value as string;
  }

  /** An integer in [min, max] (default: ≥ 0 and exact in a float64). */
  integer(value: unknown, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `must be an integer from ${min} to ${max}, got ${quote(value)}`);
    }
    return value as number;
  }

  finite(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(field, `must be a finite number, got ${quote(value)}`);
    return value as number;
  }

  /** A shape: an array of at most 8 positive integers whose product is exact. */
  shape(value: unknown, field: string): number[] {
    const dims = this.array(value, field);
    if (dims.length > 8) this.fail(field, `has ${dims.length} dimensions; at most 8`);
    let size = 1;
    dims.forEach((d, i) => {
      size *= this.integer(d, `${field}[${i}]`, 1);
    });
    if (!Number.isSafeInteger(size)) this.fail(field, `holds ${size} values, more than any file can`);
    return dims as number[];
  }
}

/** Refuses the first NaN or ±Infinity in a tensor read from a binary file: save never writes one. */
export function checkFiniteValues(values: Float32Array, tensor: string, file: string, modelPath: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new ModelFileError(`${modelPath}: ${tensor} holds ${values[i]} at index ${i} in ${file}; save() never writes a value that is not finite (the file was edited or damaged)`);
    }
  }
}

// ---- load: model.json field by field ----

/** The largest per-sample input a model file may declare: 2^24 values (64 MB a sample; MNIST is 784). */
const MAX_INPUT_VALUES = 2 ** 24;

/** A binary file name: a bare name, so that a hostile model.json cannot point outside its directory. */
const BARE_FILE_NAME = /^(?!\.\.?$)[^\\/\0]{1,255}$/;

/**
 * model.json, parsed, checked field by field against the format save writes: every field's type and range,
 * each manifest's layout, the training state. Nothing is allocated from its numbers here.
 */
export function checkModelFile(parsed: unknown, check: FieldChecker): ModelFile {
  const modelPath = check.modelPath;
  const model = parsed as Record<string, unknown>;
  if (model === null || typeof model !== 'object' || Array.isArray(model) || model.format !== MODEL_FORMAT) {
    const format = model !== null && typeof model === 'object' ? (model as { format?: unknown }).format : undefined;
    throw new ModelFileError(`${modelPath} is not a millefeuille model (its "format" is ${quote(format)}, expected "${MODEL_FORMAT}")`);
  }
  if (model.version !== MODEL_FORMAT_VERSION) {
    throw new ModelFileError(`${modelPath} has format version ${quote(model.version)}; this millefeuille reads version ${MODEL_FORMAT_VERSION}`);
  }
  checkParsedNumbers(model, '', check);
  const layers = check.array(model.layers, 'layers');
  if (layers.length === 0) check.fail('layers', 'must be a non-empty array');
  layers.forEach((entry, i) => {
    const layer = check.object(entry, `layers[${i}]`);
    const kind = check.string(layer.kind, `layers[${i}].kind`);
    if (kind.length === 0 || kind.length > 100) check.fail(`layers[${i}].kind`, `must be a layer kind (1 to 100 characters), got ${quote(kind)}`);
    check.object(layer.config, `layers[${i}].config`);
  });
  const inputShape = check.shape(model.inputShape, 'inputShape');
  // Some layers allocate work space for a whole input image when built (LocalContrastNorm): the input's size
  // is bounded before any layer is built (the params themselves are bounded by the weights file).
  const inputValues = inputShape.reduce((a, b) => a * b, 1);
  if (inputValues > MAX_INPUT_VALUES) check.fail('inputShape', `${formatShape(inputShape)} holds ${inputValues} values per sample; a model takes at most ${MAX_INPUT_VALUES}`);
  check.integer(model.seed, 'seed', Number.MIN_SAFE_INTEGER);
  checkManifest(model.weights, 'weights', check);
  if (model.optimizer !== undefined) {
    const o = checkManifest(model.optimizer, 'optimizer', check);
    check.string(o.kind, 'optimizer.kind');
    check.object(o.config, 'optimizer.config');
    check.integer(o.step, 'optimizer.step');
    const slotNames = check.array(o.slotNames, 'optimizer.slotNames');
    if (slotNames.length > 16) check.fail('optimizer.slotNames', `lists ${slotNames.length} slots; an optimizer keeps at most a few`);
    slotNames.forEach((name, j) => {
      if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(name)) check.fail(`optimizer.slotNames[${j}]`, `must be a slot name, got ${quote(name)}`);
    });
    if (new Set(slotNames).size !== slotNames.length) check.fail('optimizer.slotNames', `names a slot twice: ${quote(slotNames)}`);
  }
  if (model.training !== undefined) checkTrainingState(model.training, check);
  if (model.metadata !== undefined) check.object(model.metadata, 'metadata');
  return model as unknown as ModelFile;
}

/**
 * A binary manifest: a bare file name, float32 little-endian, a SHA-256, and tensors laid out exactly as save
 * writes them — back to back from byte 0 in the order listed, each `length` the product of its shape — so
 * that overlapping, shifted or out-of-range entries are refused before any byte is read.
 */
function checkManifest(value: unknown, field: string, check: FieldChecker): BinaryManifest & Record<string, unknown> {
  const m = check.object(value, field);
  const file = check.string(m.file, `${field}.file`);
  if (!BARE_FILE_NAME.test(file)) check.fail(`${field}.file`, `must be a file name in the model's directory, got ${quote(file)}`);
  if (m.dtype !== 'float32') check.fail(`${field}.dtype`, `is ${quote(m.dtype)}; only "float32" is supported`);
  if (m.byteOrder !== 'little-endian') check.fail(`${field}.byteOrder`, `is ${quote(m.byteOrder)}; only "little-endian" is supported`);
  const byteLength = check.integer(m.byteLength, `${field}.byteLength`);
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) check.fail(`${field}.sha256`, `must be 64 lowercase hex digits, got ${quote(m.sha256)}`);
  const tensors = check.array(m.tensors, `${field}.tensors`);
  const names = new Set<string>();
  let offset = 0;
  tensors.forEach((value, i) => {
    const where = `${field}.tensors[${i}]`;
    const t = check.object(value, where);
    const name = check.string(t.name, `${where}.name`);
    if (name.length === 0 || name.length > 300) check.fail(`${where}.name`, `must be a tensor name (1 to 300 characters), got ${quote(name)}`);
    if (names.has(name)) check.fail(`${where}.name`, `${quote(name)} is listed twice`);
    names.add(name);
    check.string(t.role, `${where}.role`);
    const shape = check.shape(t.shape, `${where}.shape`);
    const size = shape.reduce((a, b) => a * b, 1);
    const length = check.integer(t.length, `${where}.length`);
    if (length !== size) check.fail(`${where}.length`, `is ${length} but its shape ${formatShape(shape)} holds ${size} values`);
    const at = check.integer(t.offset, `${where}.offset`);
    if (at !== offset) {
      check.fail(`${where}.offset`, `is ${at} but save() puts ${quote(name)} at byte ${offset}, right after the tensor before it (the entries overlap, leave a gap or are shifted)`);
    }
    offset += 4 * length;
    if (offset > byteLength) check.fail(`${where}`, `ends at byte ${offset}, past ${field}.byteLength ${byteLength}`);
  });
  if (offset !== byteLength) check.fail(`${field}.byteLength`, `is ${byteLength} but the tensors listed fill ${offset} bytes`);
  return m as unknown as BinaryManifest & Record<string, unknown>;
}

/**
 * A random generator's saved state: four 32-bit words, signed or not (Rng.state() gives int32s; setState reads
 * them modulo 2^32), not all zero (xoshiro128 would stay at zero), and a spare gaussian or null.
 */
function checkRngState(value: unknown, field: string, check: FieldChecker): void {
  const state = check.object(value, field);
  const s = check.array(state.s, `${field}.s`);
  if (s.length !== 4) check.fail(`${field}.s`, `must hold 4 words, got ${s.length}`);
  s.forEach((w, i) => check.integer(w, `${field}.s[${i}]`, -0x80000000, 0xffffffff));
  if (s.every((w) => w === 0)) check.fail(`${field}.s`, 'is all zeros, which no generator reaches');
  if (state.spareGaussian !== null) check.finite(state.spareGaussian, `${field}.spareGaussian`);
}

const HISTORY_SERIES = ['loss', 'accuracy', 'lr', 'seconds'] as const;
const STOP_REASONS = ['completed', 'early-stopping', 'aborted'];

/** `training` (fit's TrainingState): what --resume continues from, so every field must be usable as it is. */
function checkTrainingState(value: unknown, check: FieldChecker): void {
  const t = check.object(value, 'training');
  const epoch = check.integer(t.epoch, 'training.epoch');
  check.integer(t.step, 'training.step');
  check.integer(t.seed, 'training.seed', Number.MIN_SAFE_INTEGER);
  for (const rng of ['shuffleRng', 'augmentRng', 'netRng']) checkRngState(t[rng], `training.${rng}`, check);
  if (t.schedule !== undefined) {
    const schedule = check.object(t.schedule, 'training.schedule');
    try {
      scheduleFromConfig(schedule as unknown as ScheduleConfig);
    } catch (err) {
      check.fail('training.schedule', `cannot be rebuilt: ${capMessage((err as Error).message)}`);
    }
  }
  if (t.bestValLoss !== null) check.finite(t.bestValLoss, 'training.bestValLoss');
  if (t.bestEpoch !== null) check.integer(t.bestEpoch, 'training.bestEpoch', 1, Math.max(1, epoch));
  check.integer(t.epochsWithoutImprovement, 'training.epochsWithoutImprovement', 0, epoch);
  const h = check.object(t.history, 'training.history');
  for (const series of [...HISTORY_SERIES, 'valLoss', 'valAccuracy']) {
    const values = check.array(h[series], `training.history.${series}`);
    const validation = series === 'valLoss' || series === 'valAccuracy';
    if (values.length !== epoch && !(validation && values.length === 0)) {
      check.fail(`training.history.${series}`, `has ${values.length} entries but training.epoch is ${epoch}`);
    }
    values.forEach((v, i) => check.finite(v, `training.history.${series}[${i}]`));
  }
  if (typeof h.stopReason !== 'string' || !STOP_REASONS.includes(h.stopReason)) {
    check.fail('training.history.stopReason', `must be one of ${STOP_REASONS.join(', ')}, got ${quote(h.stopReason)}`);
  }
  if (h.bestEpoch !== undefined) check.integer(h.bestEpoch, 'training.history.bestEpoch', 1, Math.max(1, epoch));
}

/**
 * Every number in model.json must be a finite float64: JSON has no NaN or Infinity, but a literal such as
 * 1e400 parses to Infinity and would flow into a config or a normalisation unnoticed. (Depth is bounded by
 * checkJsonDepth for text; for an object handed in, by this walk.)
 */
function checkParsedNumbers(value: unknown, field: string, check: FieldChecker, depth = 0): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) check.fail(field || 'a value', `is ${value}; a model file holds finite numbers only (a literal like 1e400 overflows)`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth > MAX_JSON_DEPTH) check.fail(field, `is nested more than ${MAX_JSON_DEPTH} levels deep`);
  if (Array.isArray(value)) {
    // Long arrays of numbers (history) are the common case: a plain loop, no string building per item.
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) checkParsedNumbers(v, `${field}[${i}]`, check, depth + 1);
      } else if (v !== null && typeof v === 'object') {
        checkParsedNumbers(v, `${field}[${i}]`, check, depth + 1);
      }
    }
    return;
  }
  for (const key of Object.keys(value)) {
    checkParsedNumbers((value as Record<string, unknown>)[key], field ? `${field}.${key}` : key, check, depth + 1);
  }
}

/** An error message from elsewhere (a layer's constructor quoting a config value) cut to a readable length. */
export function capMessage(message: string): string {
  return message.length > 400 ? `${message.slice(0, 400)}…` : message;
}
