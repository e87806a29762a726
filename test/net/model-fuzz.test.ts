/**
 * Model-file fuzz (issue 10): 1,500 seeded corruptions of a saved model (every layer kind, Adam state, a
 * training state, metadata), read back with deserializeModel — the format load() reads from a directory.
 * Every one must be refused with a ModelFileError, or load as a model. What may load is listed and counted;
 * anything else that loads fails the test:
 * - a value in model.json changed to another valid one (a layer's hyper-parameter, the metadata, the
 *   training record): model.json has no checksum — it is the human-readable half of the model, and an edit
 *   that still makes sense is not corruption one can detect;
 * - a weight or optimizer value changed to another FINITE float with the file's SHA-256 recomputed in the
 *   manifest: undetectable by design (the checksum detects accidents, it does not sign the model);
 * - changes that give the very same model (whitespace, a key load ignores, a no-op).
 * Binary changes without a recomputed checksum, non-finite values, and manifest layouts that are not
 * exactly what save writes must always be refused.
 */
import { Adam, ModelFileError, deserializeModel, serializeModel, type LoadedModel, type Sequential } from '../../src';
import { sha256Hex } from '../../src/net/sha256';
import { everyLayerNet } from './all-layers.fixture';
import { mulberry32 } from '../helpers/mulberry32';

/** mulberry32: the same corruptions on every run. */
const random = mulberry32(10);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(values: readonly T[]): T => values[int(values.length)];

const net = everyLayerNet(5);
const optimizer = new Adam({ lr: 0.01 });
for (const p of net.params()) p.grad.fill(0.01);
optimizer.step(net.params());
const training = {
  epoch: 2, step: 6, seed: 2, shuffleRng: { s: [1, 2, 3, 4], spareGaussian: null }, augmentRng: { s: [5, -6, 7, 8], spareGaussian: 0.5 },
  netRng: { s: [9, 10, 11, 12], spareGaussian: null }, bestValLoss: 0.5, bestEpoch: 2, epochsWithoutImprovement: 0,
  history: { loss: [1, 0.5], accuracy: [0.5, 0.75], valLoss: [0.7, 0.5], valAccuracy: [0.6, 0.7], lr: [0.01, 0.01], seconds: [1, 1], stopReason: 'completed' as const },
};
const metadata = { dataset: 'mnist', model: 'every-layer', normalization: { mean: 0.13, std: 0.31 } };
const original = serializeModel(net, { optimizer, training, metadata });

/** Placeholders for JSON text no object can produce. */
const TEXT_VALUES: Record<string, string> = {
  '"@1e400"': '1e400',
  '"@-1e400"': '-1e400',
  '"@deep"': '['.repeat(5000) + ']'.repeat(5000),
};
const VALUES: unknown[] = [
  null, true, false, 0, -1, 1, 0.5, -0.5, 3, 2 ** 31, 2 ** 53, 1e6, 1e300, -1e300, 1e-300, '', 'x', 'Affine', 'float32', 'A'.repeat(100000), [], {}, [1, 2],
  [0, 0, 0, 0], { a: 1 }, '@1e400', '@-1e400', '@deep',
];

interface Parts {
  json: string;
  weights: Uint8Array;
  optimizer: Uint8Array;
}

/** Every path in a JSON value, as key lists. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function withText(model: unknown): string {
  let text = JSON.stringify(model, null, 2);
  for (const [placeholder, raw] of Object.entries(TEXT_VALUES)) text = text.split(placeholder).join(raw);
  return text;
}

/** Replaces the float at `index` of a binary part and records the new SHA-256 in the manifest. */
function rewriteFloat(parts: Parts, part: 'weights' | 'optimizer', value: number): Parts {
  const bytes = parts[part].slice();
  const index = int(bytes.length / 4);
  new DataView(bytes.buffer).setFloat32(4 * index, value, true);
  const model = JSON.parse(parts.json);
  model[part].sha256 = sha256Hex(bytes);
  return { ...parts, [part]: bytes, json: JSON.stringify(model) };
}

type Kind = 'json-field' | 'json-text' | 'binary' | 'finite-rechecksummed' | 'nonfinite-rechecksummed' | 'layout-rechecksummed';

const mutations: { kind: Kind; count: number; make: () => Parts }[] = [
  {
    kind: 'json-field',
    count: 500,
    make: () => {
      const model = JSON.parse(original.json);
      const all = paths(model).filter((p) => p.length > 0);
      const target = pick(all);
      let parent = model;
      for (const key of target.slice(0, -1)) parent = parent[key];
      const key = target[target.length - 1];
      const op = random();
      if (op < 0.1 && !Array.isArray(parent)) delete parent[key];
      else if (op < 0.15 && Array.isArray(parent)) parent.splice(Number(key), 1);
      else if (op < 0.2 && parent !== null && typeof parent === 'object' && !Array.isArray(parent)) parent[`extra${int(3)}`] = pick(VALUES);
      else parent[key] = pick(VALUES);
      return { json: withText(model), weights: original.weights, optimizer: original.optimizer! };
    },
  },
  {
    kind: 'json-text',
    count: 150,
    make: () => {
      const bytes = Buffer.from(original.json);
      const at = int(bytes.length);
      const op = int(4);
      let out: Buffer;
      if (op === 0) out = Buffer.concat([bytes.subarray(0, at), Buffer.from([int(128)]), bytes.subarray(at)]);
      else if (op === 1) out = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
      else if (op === 2) out = bytes.subarray(0, at);
      else {
        out = Buffer.from(bytes);
        out[at] = 0x20 + int(95);
      }
      return { json: out.toString('utf8'), weights: original.weights, optimizer: original.optimizer! };
    },
  },
  {
    kind: 'binary',
    count: 200,
    make: () => {
      const part = pick(['weights', 'optimizer'] as const);
      let bytes = original[part]!.slice();
      const op = int(4);
      if (op === 0) bytes[int(bytes.length)] ^= 1 << int(8);
      else if (op === 1) bytes = bytes.slice(0, int(bytes.length));
      else if (op === 2) bytes = Uint8Array.from([...bytes, ...Array.from({ length: 1 + int(8) }, () => int(256))]);
      else {
        const at = int(bytes.length);
        const old = bytes[at];
        bytes[at] = (old + 1 + int(255)) & 0xff;
      }
      return { json: original.json, weights: original.weights, optimizer: original.optimizer!, [part]: bytes };
    },
  },
  {
    kind: 'finite-rechecksummed',
    count: 150,
    make: () => rewriteFloat({ json: original.json, weights: original.weights, optimizer: original.optimizer! }, pick(['weights', 'optimizer'] as const), pick([0, 1, -1, 1e30, -3.5e38, 1e-40, random() * 10 - 5])),
  },
  {
    kind: 'nonfinite-rechecksummed',
    count: 100,
    make: () => rewriteFloat({ json: original.json, weights: original.weights, optimizer: original.optimizer! }, pick(['weights', 'optimizer'] as const), pick([NaN, Infinity, -Infinity])),
  },
  {
    kind: 'layout-rechecksummed',
    count: 100,
    make: () => {
      // Move one tensor's offset, length or the byteLength, and make the binary fit the new numbers with a
      // fresh checksum: only the layout is wrong.
      const model = JSON.parse(original.json);
      const part = pick(['weights', 'optimizer'] as const);
      const manifest = model[part];
      const t = pick(manifest.tensors as { offset: number; length: number }[]);
      const op = int(4);
      if (op === 0) t.offset += pick([-8, -4, 4, 8]);
      else if (op === 1) t.offset = pick(manifest.tensors as { offset: number }[]).offset;
      else if (op === 2) t.length += pick([-1, 1]);
      else manifest.byteLength += pick([-4, 4, 8]);
      let bytes = original[part]!.slice();
      if (manifest.byteLength !== bytes.length) bytes = Uint8Array.from({ length: Math.max(0, manifest.byteLength) }, (_, i) => bytes[i] ?? 0);
      manifest.sha256 = sha256Hex(bytes);
      return { json: JSON.stringify(model), weights: original.weights, optimizer: original.optimizer!, [part]: bytes };
    },
  },
];

/** Everything a loaded model carries, to compare with the original. */
function snapshot(loaded: LoadedModel | { net: Sequential }): string {
  const l = loaded as LoadedModel;
  return JSON.stringify({
    layers: l.net.layers.map((layer) => ({ kind: layer.kind, config: layer.config() })),
    inputShape: l.net.inputShape,
    seed: l.net.seed,
    values: [...l.net.params(), ...l.net.buffers()].map((p) => Array.from(p.value)),
    optimizer: l.optimizer ? { config: l.optimizer.config(), state: l.optimizer.state(l.net.params()), slots: l.optimizer.state(l.net.params()).slots.map((s) => s.map((x) => Array.from(x))) } : null,
    training: l.training ?? null,
    metadata: l.metadata ?? null,
  });
}

/** For FUZZ_DEBUG: the first line of model.json that differs from the original. */
function diffOf(json: string): string {
  const a = JSON.stringify(JSON.parse(original.json), null, 1).split('\n');
  let b: string[];
  try {
    b = JSON.stringify(JSON.parse(json), null, 1).split('\n');
  } catch {
    return 'unparsable';
  }
  const i = a.findIndex((line, k) => line !== b[k]);
  return `${a[i]?.trim()} → ${b[i]?.trim().slice(0, 80)}`;
}

const reference = snapshot({ net, optimizer, training, metadata } as unknown as LoadedModel);

test(`${mutations.reduce((s, m) => s + m.count, 0)} seeded corruptions of a model: a ModelFileError, or a model in a listed class`, () => {
  const counts: Record<string, number> = {};
  const count = (key: string): void => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  let total = 0;
  let refused = 0;
  for (const mutation of mutations) {
    for (let i = 0; i < mutation.count; i++) {
      const parts = mutation.make();
      total++;
      let loaded: LoadedModel;
      try {
        loaded = deserializeModel(parts);
      } catch (e) {
        if (!(e instanceof ModelFileError)) throw new Error(`${mutation.kind} #${i}: ${(e as Error).name}: ${(e as Error).message}`);
        // Messages stay short whatever the file holds (a 100,000-character string is quoted as 80 + "…").
        expect(e.message.length).toBeLessThan(1200);
        refused++;
        continue;
      }
      const same = snapshot(loaded) === reference;
      if (same) {
        count('accepted: the same model (whitespace, an ignored key, a no-op)');
      } else if (mutation.kind === 'json-field' || mutation.kind === 'json-text') {
        count('accepted: a model.json value changed to another valid one (no checksum covers model.json)');
        if (process.env.FUZZ_DEBUG) process.stdout.write(`${diffOf(parts.json)}\n`);
      } else if (mutation.kind === 'finite-rechecksummed') {
        count('accepted: a value changed to another finite float with its SHA-256 recomputed (undetectable by design)');
      } else {
        throw new Error(`${mutation.kind} #${i} loaded as a different model: ${parts.json.slice(0, 200)}`);
      }
    }
  }
  const accepted = Object.values(counts).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `model-file fuzz: ${total} corruptions, ${refused} refused with a ModelFileError, ${accepted} accepted:\n` +
      Object.entries(counts).map(([k, n]) => `  ${n} × ${k}`).join('\n') + '\n',
  );
  expect(total).toBeGreaterThanOrEqual(1000);
  expect(refused + accepted).toBe(total);
});
