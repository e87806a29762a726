/** save → load: bit-identical predictions for a net with every layer kind; damaged files are clear errors. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  Adam, ModelFileError, SoftmaxCrossEntropy, fit, load, predict, save, layerKinds, serializeModel, deserializeModel, type Sequential,
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

test('the files: documented model.json, little-endian float32 weights.bin, no temporary files left', () => {
  expect(fs.readdirSync(modelDir).sort()).toEqual(['model.json', 'optimizer.bin', 'weights.bin']);
  const model = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
  expect(model.format).toBe('millefeuille-model');
  expect(model.version).toBe(1);
  expect(model.inputShape).toEqual([1, 8, 8]);
  expect(model.seed).toBe(3);
  expect(model.layers[0]).toEqual({ kind: 'LocalContrastNorm', config: trained.layers[0].config() });
  expect(model.layers[1]).toEqual({ kind: 'Conv2D', config: trained.layers[1].config() });
  const bytes = fs.readFileSync(path.join(modelDir, 'weights.bin'));
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
  expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']); // the old optimizer.bin is no longer described
  const loaded = load(dir);
  expect(loaded.training).toEqual(training);
  expect(loaded.optimizer).toBeUndefined();
});

describe('damaged or missing files are clear errors', () => {
  test('a truncated weights.bin', () => {
    const dir = copyOfModel();
    const file = path.join(dir, 'weights.bin');
    const full = fs.statSync(file).size;
    fs.truncateSync(file, full - 10);
    expect(() => load(dir)).toThrow(ModelFileError);
    expect(() => load(dir)).toThrow(`weights.bin is ${full - 10} bytes but model.json's manifest needs ${full}; the file is truncated or from another model`);
  });

  test('an edited weights.bin (same length)', () => {
    const dir = copyOfModel();
    const file = path.join(dir, 'weights.bin');
    const bytes = fs.readFileSync(file);
    bytes[100] ^= 0x40;
    fs.writeFileSync(file, bytes);
    expect(() => load(dir)).toThrow(/weights\.bin does not match model\.json: its SHA-256 is [0-9a-f]{12}… but the manifest records [0-9a-f]{12}…; the file was edited/);
  });

  test('a missing weights.bin, model.json, or directory names the path', () => {
    const dir = copyOfModel();
    fs.rmSync(path.join(dir, 'weights.bin'));
    expect(() => load(dir)).toThrow(`${path.join(dir, 'weights.bin')} is missing (${path.join(dir, 'model.json')} refers to it)`);
    fs.rmSync(path.join(dir, 'model.json'));
    expect(() => load(dir)).toThrow(`${path.join(dir, 'model.json')} is missing: a model directory holds model.json and weights.bin`);
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
      'the manifest of weights.bin does not match the layers: the layers need 1.Conv2D.weights which the manifest lacks; the manifest lists 1.Conv2D.kernel which no layer has',
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

  test('a damaged or missing optimizer.bin', () => {
    const dir = copyOfModel();
    fs.truncateSync(path.join(dir, 'optimizer.bin'), 8);
    expect(() => load(dir)).toThrow(/optimizer\.bin is 8 bytes but model\.json's manifest needs \d+; the file is truncated/);
    fs.rmSync(path.join(dir, 'optimizer.bin'));
    expect(() => load(dir)).toThrow(`${path.join(dir, 'optimizer.bin')} is missing (${path.join(dir, 'model.json')} refers to it)`);
  });
});

describe('files are written under a temporary name and renamed', () => {
  // The real fs module (not the import wrapper), so that serialize.ts sees the spy.
  const realFs: typeof fs = require('fs');
  afterEach(() => jest.restoreAllMocks());

  test('a write that fails half-way (disk full) leaves the saved model intact and no temporary file behind', () => {
    const dir = copyOfModel();
    const before = fs.readFileSync(path.join(dir, 'weights.bin'));
    const original = realFs.writeFileSync;
    jest.spyOn(realFs, 'writeFileSync').mockImplementation((file, data, ...rest) => {
      const bytes = data as Uint8Array;
      original(file, bytes.subarray(0, bytes.length >> 1), ...(rest as []));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    const other = everyLayerNet(99);
    expect(() => save(other, dir)).toThrow(ModelFileError);
    expect(() => save(other, dir)).toThrow(`cannot write ${path.join(dir, 'weights.bin')}: ENOSPC`);
    jest.restoreAllMocks();
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'optimizer.bin', 'weights.bin']);
    expect(fs.readFileSync(path.join(dir, 'weights.bin'))).toEqual(before);
    expect(Array.from(predict(load(dir).net, data.x, 16).data)).toEqual(Array.from(predict(trained, data.x, 16).data));
  });

  test('a save interrupted between its renames is detected on load, never read as a model', () => {
    const dir = copyOfModel();
    const original = realFs.writeFileSync;
    jest.spyOn(realFs, 'writeFileSync').mockImplementation((file, ...rest) => {
      if (String(file).includes('model.json')) throw new Error('killed');
      original(file, ...(rest as [Uint8Array]));
    });
    expect(() => save(everyLayerNet(99), dir)).toThrow(/cannot write .*model\.json: killed/);
    jest.restoreAllMocks();
    // New weights.bin, old model.json: the recorded SHA-256 tells them apart.
    expect(() => load(dir)).toThrow(/weights\.bin does not match model\.json: its SHA-256/);
  });
});

describe('in memory (serializeModel / deserializeModel: the core, for pages and Workers)', () => {
  test('the parts are byte for byte the files save() wrote, and they rebuild the same net and optimizer', () => {
    const parts = serializeModel(trained, { optimizer, metadata: { name: 'every-layer', mean: 0.5, std: 0.25 } });
    expect(parts.json).toBe(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
    expect(Buffer.from(parts.weights)).toEqual(fs.readFileSync(path.join(modelDir, 'weights.bin')));
    expect(Buffer.from(parts.optimizer!)).toEqual(fs.readFileSync(path.join(modelDir, 'optimizer.bin')));
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
    expect(() => deserializeModel({ json: parts.json, weights: flipped, optimizer: parts.optimizer })).toThrow(/weights\.bin does not match model\.json: its SHA-256/);
    expect(() => deserializeModel({ json: parts.json, weights: parts.weights.subarray(4), optimizer: parts.optimizer })).toThrow(/truncated/);
    expect(() => deserializeModel({ json: parts.json, weights: parts.weights })).toThrow(/optimizer\.bin is missing/);
    expect(() => deserializeModel({ json: '{', weights: parts.weights }, { modelPath: 'https://example.org/m/model.json' })).toThrow(
      /^https:\/\/example\.org\/m\/model\.json is not valid JSON/,
    );
    expect(() => deserializeModel({ json: parts.json, weights: parts.weights })).toThrow(ModelFileError);
  });

  test('a manifest naming a file outside its directory is read under the default name', () => {
    const parts = serializeModel(trained);
    const model = JSON.parse(parts.json);
    model.weights.file = '../../etc/passwd';
    const asked: string[] = [];
    deserializeModel({ json: model, weights: (name) => (asked.push(name), parts.weights) });
    expect(asked).toEqual(['weights.bin']);
  });

  test('a non-finite weight is refused before anything is produced', () => {
    const net = everyLayerNet(4);
    net.params()[0].value[2] = NaN;
    expect(() => serializeModel(net)).toThrow(/refusing to save to a model: .* holds NaN at index 2/);
  });
});
