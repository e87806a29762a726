/** save → load: bit-identical predictions for a net with every layer kind; damaged files are clear errors. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  Adam, ModelFileError, SoftmaxCrossEntropy, fit, load, predict, save, layerKinds, serializeModel, deserializeModel, modelFiles, type Sequential,
} from '../../src/node';
import { ALL_KINDS, blobImages, everyLayerNet } from './all-layers.fixture';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mf-serialize-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

let trained: Sequential;
let optimizer: Adam;
let modelDir: string;
const data = blobImages(48, 1);

beforeAll(async () => {
  trained = everyLayerNet(3);
  optimizer = new Adam({ lr: 0.01, weightDecay: 1e-4, clipNorm: 5 });
  await fit(trained, new SoftmaxCrossEntropy(), optimizer, data, { epochs: 2, batchSize: 16, seed: 2 });
  modelDir = tempDir();
  save(trained, path.join(modelDir, 'nested', 'model'), { optimizer, metadata: { name: 'every-layer', mean: 0.5, std: 0.25 } });
  modelDir = path.join(modelDir, 'nested', 'model');
});

/** A fresh copy of the saved model directory, to damage. */
function copyOfModel(): string {
  const dir = tempDir();
  for (const f of fs.readdirSync(modelDir)) fs.copyFileSync(path.join(modelDir, f), path.join(dir, f));
  return dir;
}

function editJson(dir: string, edit: (model: any) => void): void {
  const file = path.join(dir, 'model.json');
  const model = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(model);
  fs.writeFileSync(file, JSON.stringify(model));
}

test('the fixture net holds the twelve built-in kinds, all registered (every registered kind alone: every-kind-save-load.test.ts)', () => {
  expect(new Set(trained.layers.map((l) => l.kind))).toEqual(new Set(ALL_KINDS));
  expect(layerKinds()).toEqual(expect.arrayContaining(ALL_KINDS));
});

test('save → load → predict is bit-identical; params, BatchNorm running stats, optimizer and metadata come back', () => {
  const { net, optimizer: restored, metadata, training } = load(modelDir);
  expect(Array.from(predict(net, data.x, 7).data)).toEqual(Array.from(predict(trained, data.x, 7).data));
  expect(net.summary()).toBe(trained.summary());
  net.namedParams().forEach(({ name, param }, i) => {
    expect(name).toBe(trained.namedParams()[i].name);
    expect(Array.from(param.value)).toEqual(Array.from(trained.namedParams()[i].param.value));
  });
  expect(net.namedBuffers().length).toBeGreaterThan(0);
  net.namedBuffers().forEach(({ buffer }, i) => {
    const original = trained.namedBuffers()[i].buffer.value;
    expect(Array.from(buffer.value)).toEqual(Array.from(original));
    expect(Array.from(original)).not.toEqual(buffer.name === 'runningVar' ? [1, 1, 1] : [0, 0, 0]); // trained, not initial
  });
  expect(restored?.kind).toBe('Adam');
  expect(restored?.config()).toEqual(optimizer.config());
  const a = optimizer.state(trained.params());
  const b = restored!.state(net.params());
  expect(b.step).toBe(a.step);
  expect(b.slots.map((s) => s.map((x) => Array.from(x)))).toEqual(a.slots.map((s) => s.map((x) => Array.from(x))));
  expect(metadata).toEqual({ name: 'every-layer', mean: 0.5, std: 0.25 });
  expect(training).toBeUndefined();
});

/** The file names in a model directory, sorted, with the content part of binary names replaced by <sha16>. */
function fileNames(dir: string): string[] {
  return fs.readdirSync(dir).map((f) => f.replace(/-[0-9a-f]{16}\.bin$/, '-<sha16>.bin')).sort();
}

test('the files: documented model.json, little-endian float32 weights named by content, no temporary files left', () => {
  expect(fileNames(modelDir)).toEqual(['model.json', 'optimizer-<sha16>.bin', 'weights-<sha16>.bin']);
  const model = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
  expect(model.weights.file).toBe(`weights-${model.weights.sha256.slice(0, 16)}.bin`);
  expect(model.optimizer.file).toBe(`optimizer-${model.optimizer.sha256.slice(0, 16)}.bin`);
  expect(model.format).toBe('millefeuille-model');
  expect(model.version).toBe(1);
  expect(model.inputShape).toEqual([1, 8, 8]);
  expect(model.seed).toBe(3);
  expect(model.layers[0]).toEqual({ kind: 'LocalContrastNorm', config: trained.layers[0].config() });
  expect(model.layers[1]).toEqual({ kind: 'Conv2D', config: trained.layers[1].config() });
  const bytes = fs.readFileSync(modelFiles(modelDir).weights);
  expect(bytes.length).toBe(model.weights.byteLength);
  const total = [...trained.params(), ...trained.buffers()].reduce((s, p) => s + p.value.length, 0);
  expect(bytes.length).toBe(4 * total);
  // Every manifest entry points at its values, read back byte by byte as little-endian.
  for (const entry of model.weights.tensors) {
    const source = [...trained.namedParams().map((p) => ({ name: p.name, value: p.param.value })),
      ...trained.namedBuffers().map((b) => ({ name: b.name, value: b.buffer.value }))].find((t) => t.name === entry.name)!;
    expect(entry.length).toBe(source.value.length);
    expect(bytes.readFloatLE(entry.offset)).toBe(source.value[0]);
    expect(bytes.readFloatLE(entry.offset + 4 * (entry.length - 1))).toBe(source.value[entry.length - 1]);
  }
  expect(model.weights.tensors.map((t: { role: string }) => t.role)).toContain('buffer');
});

test('saving again overwrites in place; training state round-trips', () => {
  const dir = copyOfModel();
  const training = { epoch: 2, step: 6, seed: 2, shuffleRng: { s: [1, 2, 3, 4], spareGaussian: null }, augmentRng: { s: [5, 6, 7, 8], spareGaussian: 0.5 },
    netRng: { s: [9, 10, 11, 12], spareGaussian: null }, bestValLoss: null, bestEpoch: null, epochsWithoutImprovement: 0,
    history: { loss: [1, 0.5], accuracy: [0.5, 0.75], valLoss: [], valAccuracy: [], lr: [0.01, 0.01], seconds: [1, 1], stopReason: 'completed' as const } };
  save(trained, dir, { training });
  expect(fileNames(dir)).toEqual(['model.json', 'weights-<sha16>.bin']); // the old optimizer file is no longer described
  const loaded = load(dir);
  expect(loaded.training).toEqual(training);
  expect(loaded.optimizer).toBeUndefined();
});

describe('damaged or missing files are clear errors', () => {
  test('a truncated weights file', () => {
    const dir = copyOfModel();
    const file = modelFiles(dir).weights;
    const full = fs.statSync(file).size;
    fs.truncateSync(file, full - 10);
    expect(() => load(dir)).toThrow(ModelFileError);
    expect(() => load(dir)).toThrow(`${path.basename(file)} is ${full - 10} bytes but model.json's manifest needs ${full}; the file is truncated or from another model`);
  });

  test('an edited weights file (same length)', () => {
    const dir = copyOfModel();
    const file = modelFiles(dir).weights;
    const bytes = fs.readFileSync(file);
    bytes[100] ^= 0x40;
    fs.writeFileSync(file, bytes);
    expect(() => load(dir)).toThrow(/weights-[0-9a-f]{16}\.bin does not match model\.json: its SHA-256 is [0-9a-f]{12}… but the manifest records [0-9a-f]{12}…; the file was edited/);
  });

  test('a missing weights file, model.json, or directory names the path', () => {
    const dir = copyOfModel();
    const weights = modelFiles(dir).weights;
    fs.rmSync(weights);
    expect(() => load(dir)).toThrow(`${weights} is missing (${path.join(dir, 'model.json')} refers to it)`);
    fs.rmSync(path.join(dir, 'model.json'));
    expect(() => load(dir)).toThrow(`${path.join(dir, 'model.json')} is missing: a model directory holds model.json and its weights file`);
    expect(() => load(path.join(dir, 'nope'))).toThrow(`model directory ${path.join(dir, 'nope')} does not exist`);
  });

  test('a wrong format version or format name', () => {
    const dir = copyOfModel();
    editJson(dir, (m) => (m.version = 2));
    expect(() => load(dir)).toThrow(`${path.join(dir, 'model.json')} has format version 2; this millefeuille reads version 1`);
    editJson(dir, (m) => (m.format = 'keras'));
    expect(() => load(dir)).toThrow('is not a millefeuille model (its "format" is "keras", expected "millefeuille-model")');
  });

  test('invalid JSON', () => {
    const dir = copyOfModel();
    fs.writeFileSync(path.join(dir, 'model.json'), '{"format": "millefeuille-model", ');
    expect(() => load(dir)).toThrow(/model\.json is not valid JSON/);
  });

  test('a layer config that no longer matches the manifest', () => {
    const dir = copyOfModel();
    editJson(dir, (m) => (m.layers[11].config.units = 7));
    expect(() => load(dir)).toThrow('the manifest gives 11.Affine.weights the shape [16, 6] but the layers build [16, 7]');
  });

  test('a manifest that lacks or adds tensors', () => {
    const dir = copyOfModel();
    editJson(dir, (m) => (m.weights.tensors[0].name = '1.Conv2D.kernel'));
    expect(() => load(dir)).toThrow(
      /the manifest of weights-[0-9a-f]{16}\.bin does not match the layers: the layers need 1\.Conv2D\.weights which the manifest lacks; the manifest lists "1\.Conv2D\.kernel" which no layer has/,
    );
  });

  test('an unknown layer kind or a bad layer config', () => {
    const dir = copyOfModel();
    editJson(dir, (m) => (m.layers[4].kind = 'Swish'));
    expect(() => load(dir)).toThrow(/layers\[4\] \(Swish\) cannot be rebuilt: unknown layer kind "Swish" \(known: Affine, Conv2D/);
    editJson(dir, (m) => {
      m.layers[4].kind = 'ReLU';
      m.layers[10].config.rate = 2;
    });
    expect(() => load(dir)).toThrow(/layers\[10\] \(Dropout\) cannot be rebuilt: Dropout: option "rate" must be a number in \[0, 1\)/);
  });

  test('a damaged or missing optimizer file', () => {
    const dir = copyOfModel();
    const file = modelFiles(dir).optimizer!;
    fs.truncateSync(file, 8);
    expect(() => load(dir)).toThrow(/optimizer-[0-9a-f]{16}\.bin is 8 bytes but model\.json's manifest needs \d+; the file is truncated/);
    fs.rmSync(file);
    expect(() => load(dir)).toThrow(`${file} is missing (${path.join(dir, 'model.json')} refers to it)`);
  });
});

describe('load refuses every malformed field with a ModelFileError naming it (never a TypeError, a stack overflow or a huge allocation)', () => {
  let parts: ReturnType<typeof serializeModel>;
  beforeAll(() => (parts = serializeModel(trained, { optimizer, training: {
    epoch: 1, step: 3, seed: 2, shuffleRng: { s: [1, 2, 3, 4], spareGaussian: null }, augmentRng: { s: [5, 6, 7, 8], spareGaussian: null },
    netRng: { s: [9, 10, 11, 12], spareGaussian: null }, bestValLoss: null, bestEpoch: null, epochsWithoutImprovement: 0,
    history: { loss: [1], accuracy: [0.5], valLoss: [], valAccuracy: [], lr: [0.01], seconds: [1], stopReason: 'completed' },
  }, metadata: { normalization: { mean: 0.1, std: 0.3 } } })));
  const loadEdited = (edit: (m: any) => void, json?: (text: string) => string): LoadedModelOrError => {
    const model = JSON.parse(parts.json);
    edit(model);
    const text = json ? json(JSON.stringify(model)) : JSON.stringify(model);
    try {
      return deserializeModel({ json: text, weights: parts.weights, optimizer: parts.optimizer });
    } catch (e) {
      return e as Error;
    }
  };
  type LoadedModelOrError = ReturnType<typeof deserializeModel> | Error;
  const refused = (result: LoadedModelOrError, message: string | RegExp): void => {
    expect(result).toBeInstanceOf(ModelFileError);
    if (typeof message === 'string') expect((result as Error).message).toContain(message);
    else expect((result as Error).message).toMatch(message);
  };

  test('the unedited parts load (the cases below change one thing each)', () => {
    expect(loadEdited(() => {})).not.toBeInstanceOf(Error);
  });

  test('wrong types: a shape that is not an array, a null tensor entry, weights: null, training.history: null', () => {
    refused(loadEdited((m) => (m.weights.tensors[0].shape = 5)), 'model.json: weights.tensors[0].shape must be an array, got 5');
    refused(loadEdited((m) => (m.weights.tensors[1] = null)), 'model.json: weights.tensors[1] must be an object, got null');
    refused(loadEdited((m) => (m.weights = null)), 'model.json: weights must be an object, got null');
    refused(loadEdited((m) => (m.optimizer.slotNames = 'm,v')), 'model.json: optimizer.slotNames must be an array, got "m,v"');
    refused(loadEdited((m) => (m.training.history = null)), 'model.json: training.history must be an object, got null');
    refused(loadEdited((m) => (m.training.history.loss = [1, 2])), 'model.json: training.history.loss has 2 entries but training.epoch is 1');
    refused(loadEdited((m) => (m.layers[3] = null)), 'model.json: layers[3] must be an object, got null');
    refused(loadEdited((m) => (m.inputShape = [1, -8, 8])), 'model.json: inputShape[1] must be an integer from 1 to');
  });

  test('a bad random-generator state for --resume', () => {
    refused(loadEdited((m) => (m.training.netRng = { s: [0, 0, 0, 0], spareGaussian: null })), 'model.json: training.netRng.s is all zeros, which no generator reaches');
    refused(loadEdited((m) => (m.training.shuffleRng.s = [1, 2, 3])), 'model.json: training.shuffleRng.s must hold 4 words, got 3');
    refused(loadEdited((m) => (m.training.augmentRng.s[2] = 1.5)), 'model.json: training.augmentRng.s[2] must be an integer from -2147483648 to 4294967295, got 1.5');
    refused(loadEdited((m) => delete m.training.augmentRng), 'model.json: training.augmentRng must be an object, got undefined');
  });

  test('overlapping, shifted or out-of-range manifest offsets are refused, even with a recomputed checksum', () => {
    refused(loadEdited((m) => (m.weights.tensors[1].offset = 0)), /^model\.json: weights\.tensors\[1\]\.offset is 0 but save\(\) puts "0\.LocalContrastNorm|^model\.json: weights\.tensors\[1\]\.offset is 0 but save\(\) puts "1\.Conv2D\.bias" at byte \d+/);
    refused(loadEdited((m) => (m.weights.tensors[2].length += 1)), /weights\.tensors\[2\]\.length is \d+ but its shape \[.*\] holds \d+ values/);
    refused(loadEdited((m) => (m.weights.byteLength = 1e15)), 'model.json: weights.byteLength is 1000000000000000 but the tensors listed fill');
    // Every tensor moved 4 bytes on, the file 4 bytes longer, its SHA-256 recomputed: still not what save writes.
    const shifted = new Uint8Array(parts.weights.length + 4);
    shifted.set(parts.weights, 4);
    const model = JSON.parse(parts.json);
    for (const t of model.weights.tensors) t.offset += 4;
    model.weights.byteLength += 4;
    model.weights.sha256 = require('../../src/net/sha256').sha256Hex(shifted);
    expect(() => deserializeModel({ json: model, weights: shifted, optimizer: parts.optimizer })).toThrow(/weights\.tensors\[0\]\.offset is 4 but save\(\) puts .* at byte 0/);
  });

  test('NaN or ±Infinity in the weights or the optimizer state is refused, even with a recomputed checksum', () => {
    const { sha256Hex } = require('../../src/net/sha256');
    for (const part of ['weights', 'optimizer'] as const) {
      for (const value of [NaN, Infinity, -Infinity]) {
        const bytes = parts[part]!.slice();
        new DataView(bytes.buffer).setFloat32(8, value, true);
        const model = JSON.parse(parts.json);
        model[part].sha256 = sha256Hex(bytes);
        const files = { json: model, weights: parts.weights, optimizer: parts.optimizer, [part]: bytes };
        expect(() => deserializeModel(files)).toThrow(ModelFileError);
        expect(() => deserializeModel(files)).toThrow(new RegExp(`holds ${value} at index 2 in ${part}-[0-9a-f]{16}\\.bin; save\\(\\) never writes a value that is not finite`));
      }
    }
  });

  test('deep nesting, 1e400, and a 1,000,000-character kind: short, named refusals', () => {
    refused(loadEdited(() => {}, (t) => t.replace('"normalization":', `"deep": ${'['.repeat(100000)}${']'.repeat(100000)}, "normalization":`)), 'model.json is nested more than 64 levels deep');
    refused(loadEdited(() => {}, (t) => t.replace('"std":0.3', '"std":1e400')), 'model.json: metadata.normalization.std is Infinity; a model file holds finite numbers only');
    const long = loadEdited((m) => (m.layers[2].kind = 'A'.repeat(1e6)));
    refused(long, `model.json: layers[2].kind must be a layer kind (1 to 100 characters), got "${'A'.repeat(79)}…`);
    expect((long as Error).message.length).toBeLessThan(200);
  });

  test('a layer config asking for far more weights than the file holds is refused before allocating them', () => {
    const before = process.memoryUsage().arrayBuffers;
    refused(loadEdited((m) => (m.layers[11].config.units = 1e6)), /the layers do not build: layer 11 \(Affine\) .*its params would take the layers past \d+ values \(twice the \d+ values in weights-[0-9a-f]{16}\.bin, plus 2\^20\)/);
    refused(loadEdited((m) => (m.inputShape = [1, 8, 8e8])), 'model.json: inputShape [1, 8, 800000000] holds 6400000000 values per sample; a model takes at most 16777216');
    // 16 × 1e6 floats would be 64 MB, and inputShape 8e8 wide some 10 GB: nothing near that was allocated.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('a save switches atomically from one complete checkpoint to the next', () => {
  // The real fs module (not the import wrapper), so that serialize.ts sees the spy.
  const realFs: typeof fs = require('fs');
  afterEach(() => jest.restoreAllMocks());

  /** Every file in `dir` and its bytes. */
  function snapshot(dir: string): Record<string, Buffer> {
    return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f))]));
  }

  test('a write that fails half-way (disk full) leaves the saved model intact and no temporary file behind', () => {
    const dir = copyOfModel();
    const before = snapshot(dir);
    const original = realFs.writeFileSync;
    jest.spyOn(realFs, 'writeFileSync').mockImplementation((file, data, ...rest) => {
      const bytes = data as Uint8Array;
      original(file, bytes.subarray(0, bytes.length >> 1), ...(rest as []));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    const other = everyLayerNet(99);
    expect(() => save(other, dir)).toThrow(ModelFileError);
    expect(() => save(other, dir)).toThrow(new RegExp(`^cannot write ${path.join(dir, 'weights-')}[0-9a-f]{16}\\.bin: ENOSPC`));
    jest.restoreAllMocks();
    expect(snapshot(dir)).toEqual(before);
    expect(Array.from(predict(load(dir).net, data.x, 16).data)).toEqual(Array.from(predict(trained, data.x, 16).data));
  });

  test('a save stopped before its switch (model.json not renamed) leaves the old model whole, and its new files are removed', () => {
    const dir = copyOfModel();
    const before = snapshot(dir);
    const original = realFs.renameSync;
    const renamed: string[] = [];
    jest.spyOn(realFs, 'renameSync').mockImplementation((from, to) => {
      if (path.basename(String(to)) === 'model.json') throw new Error('killed');
      renamed.push(path.basename(String(to)));
      original(from, to);
    });
    expect(() => save(everyLayerNet(99), dir, { optimizer })).toThrow(/cannot write .*model\.json: killed/);
    jest.restoreAllMocks();
    // The new binaries were in place before the switch; nothing the old model.json names was touched.
    expect(renamed.map((f) => f.replace(/-[0-9a-f]{16}/, ''))).toEqual(['weights.bin', 'optimizer.bin']);
    expect(snapshot(dir)).toEqual(before);
    expect(Array.from(predict(load(dir).net, data.x, 16).data)).toEqual(Array.from(predict(trained, data.x, 16).data));
  });

  test('the switch is the rename of model.json; the old binaries go only after it, the directory is synced', () => {
    const dir = copyOfModel();
    const old = modelFiles(dir);
    const steps: string[] = [];
    const rename = realFs.renameSync;
    const rm = realFs.rmSync;
    const fsync = realFs.fsyncSync;
    jest.spyOn(realFs, 'renameSync').mockImplementation((from, to) => (steps.push(`rename ${path.basename(String(to)).replace(/-[0-9a-f]{16}/, '')}`), rename(from, to)));
    jest.spyOn(realFs, 'rmSync').mockImplementation((file, options) => (steps.push(`remove ${path.basename(String(file)).replace(/-[0-9a-f]{16}/, '')}`), rm(file, options)));
    jest.spyOn(realFs, 'fsyncSync').mockImplementation((fd) => (steps.push('fsync'), fsync(fd)));
    save(everyLayerNet(99), dir, { optimizer });
    jest.restoreAllMocks();
    expect(steps.slice(0, 7)).toEqual(['fsync', 'rename weights.bin', 'fsync', 'rename optimizer.bin', 'fsync', 'rename model.json', 'fsync']);
    expect(steps.slice(7).sort()).toEqual(['remove optimizer.bin', 'remove weights.bin']);
    expect(fs.existsSync(old.weights) || fs.existsSync(old.optimizer!)).toBe(false);
    expect(fileNames(dir)).toEqual(['model.json', 'optimizer-<sha16>.bin', 'weights-<sha16>.bin']);
  });

  test('leftovers of a killed save (temporary files, unnamed binaries) are removed by the next save; other files are kept', () => {
    const dir = copyOfModel();
    const dead = require('child_process').spawnSync(process.execPath, ['-e', '0']).pid as number; // a pid that has ended
    const leftovers = [`model.json.tmp-${dead}-0a1b2c3d`, `weights-0123456789abcdef.bin.tmp-${dead}-00000000`, 'weights-0123456789abcdef.bin', 'optimizer.bin'];
    for (const f of [...leftovers, 'notes.txt']) fs.writeFileSync(path.join(dir, f), 'x');
    save(trained, dir, { optimizer });
    expect(fileNames(dir)).toEqual(['model.json', 'notes.txt', 'optimizer-<sha16>.bin', 'weights-<sha16>.bin']);
  });

  test('a model saved before content names (weights.bin, optimizer.bin) loads, and the next save replaces those files', () => {
    const dir = copyOfModel();
    const files = modelFiles(dir);
    fs.renameSync(files.weights, path.join(dir, 'weights.bin'));
    fs.renameSync(files.optimizer!, path.join(dir, 'optimizer.bin'));
    editJson(dir, (m) => {
      m.weights.file = 'weights.bin';
      m.optimizer.file = 'optimizer.bin';
    });
    const loaded = load(dir);
    expect(Array.from(predict(loaded.net, data.x, 16).data)).toEqual(Array.from(predict(trained, data.x, 16).data));
    save(loaded.net, dir, { optimizer: loaded.optimizer });
    expect(fileNames(dir)).toEqual(['model.json', 'optimizer-<sha16>.bin', 'weights-<sha16>.bin']);
  });

  test('metadata that is not plain JSON (BigInt, NaN, a cycle, a Date, undefined) is refused before the directory is touched', () => {
    const dir = copyOfModel();
    const before = snapshot(dir);
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ count: BigInt(3) }, /^refusing to save: metadata\.count is a bigint \(3n\); model\.json holds plain JSON only/],
      [{ run: { lr: NaN } }, /^refusing to save: metadata\.run\.lr is NaN/],
      [{ std: Infinity }, /^refusing to save: metadata\.std is Infinity/],
      [cycle, /^refusing to save: metadata\.self refers back to itself \(a cycle\)/],
      [{ when: new Date(0) }, /^refusing to save: metadata\.when is a Date, not a plain object/],
      [{ gone: undefined }, /^refusing to save: metadata\.gone is a undefined/],
      [{ f: () => 1 }, /^refusing to save: metadata\.f is a function/],
    ];
    for (const [metadata, message] of cases) {
      expect(() => save(everyLayerNet(99), dir, { metadata })).toThrow(ModelFileError);
      expect(() => save(everyLayerNet(99), dir, { metadata })).toThrow(message);
    }
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('in memory (serializeModel / deserializeModel: the core, for pages and Workers)', () => {
  test('the parts are byte for byte the files save() wrote, and they rebuild the same net and optimizer', () => {
    const parts = serializeModel(trained, { optimizer, metadata: { name: 'every-layer', mean: 0.5, std: 0.25 } });
    expect(parts.json).toBe(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
    expect(Buffer.from(parts.weights)).toEqual(fs.readFileSync(modelFiles(modelDir).weights));
    expect(Buffer.from(parts.optimizer!)).toEqual(fs.readFileSync(modelFiles(modelDir).optimizer!));
    const back = deserializeModel({ json: parts.json, weights: parts.weights, optimizer: parts.optimizer });
    const fromDir = load(modelDir);
    expect(Array.from(predict(back.net, data.x).data)).toEqual(Array.from(predict(fromDir.net, data.x).data));
    expect(back.optimizer!.state(back.net.params())).toEqual(fromDir.optimizer!.state(fromDir.net.params()));
    expect(back.metadata).toEqual({ name: 'every-layer', mean: 0.5, std: 0.25 });
  });

  test('a changed byte, a short buffer, a missing optimizer part or bad JSON is a ModelFileError', () => {
    const parts = serializeModel(trained, { optimizer });
    const flipped = parts.weights.slice();
    flipped[7] ^= 1;
    expect(() => deserializeModel({ json: parts.json, weights: flipped, optimizer: parts.optimizer })).toThrow(/weights-[0-9a-f]{16}\.bin does not match model\.json: its SHA-256/);
    expect(() => deserializeModel({ json: parts.json, weights: parts.weights.subarray(4), optimizer: parts.optimizer })).toThrow(/truncated/);
    expect(() => deserializeModel({ json: parts.json, weights: parts.weights })).toThrow(/optimizer-[0-9a-f]{16}\.bin is missing/);
    expect(() => deserializeModel({ json: '{', weights: parts.weights }, { modelPath: 'https://example.org/m/model.json' })).toThrow(
      /^https:\/\/example\.org\/m\/model\.json is not valid JSON/,
    );
    expect(() => deserializeModel({ json: parts.json, weights: parts.weights })).toThrow(ModelFileError);
  });

  test('a manifest naming a file outside its directory is refused, and nothing is asked for', () => {
    const parts = serializeModel(trained);
    const model = JSON.parse(parts.json);
    model.weights.file = '../../etc/passwd';
    const asked: string[] = [];
    expect(() => deserializeModel({ json: model, weights: (name) => (asked.push(name), parts.weights) })).toThrow(
      `model.json: weights.file must be a file name in the model's directory, got "../../etc/passwd"`,
    );
    expect(asked).toEqual([]);
  });

  test('a non-finite weight is refused before anything is produced', () => {
    const net = everyLayerNet(4);
    net.params()[0].value[2] = NaN;
    expect(() => serializeModel(net)).toThrow(/refusing to save to a model: .* holds NaN at index 2/);
  });
});
