/**
 * modelFromSpec: a spec file for each built-in layer kind builds and runs; both layer forms (flat options,
 * model.json's "config"); recipes; and every mistake is one message naming the layer and both shapes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { layerKinds } from '../../src/layers/registry';
import { DEFAULT_SPEC_RECIPE, ModelSpecError, modelFromSpec, parseModelSpec, specRecipe } from '../../src/models/spec';
import { readModelSpec } from '../../src/models/spec-file';
import { save, load } from '../../src/net/serialize';
import { tensor } from '../../src/tensor';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-spec-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A layer list for images [1, 8, 8] with `layer` in the middle, ending in 3 class scores. */
const WITH_LAYER: Record<string, object[]> = {
  Conv2D: [{ kind: 'Conv2D', filters: 2, kernelSize: 3, padding: 'same' }],
  MaxPool: [{ kind: 'MaxPool', size: 2 }],
  AvgPool: [{ kind: 'AvgPool', size: 2, stride: 2 }],
  BatchNorm: [{ kind: 'BatchNorm' }],
  Dropout: [{ kind: 'Dropout', rate: 0.5 }],
  LocalResponseNorm: [{ kind: 'Conv2D', filters: 4, kernelSize: 3, padding: 'same' }, { kind: 'LocalResponseNorm', size: 3 }],
  LocalContrastNorm: [{ kind: 'LocalContrastNorm', size: 3 }],
  ReLU: [{ kind: 'ReLU' }],
  Sigmoid: [{ kind: 'Sigmoid' }],
  Tanh: [{ kind: 'Tanh' }],
  Flatten: [],
  Affine: [{ kind: 'Flatten' }, { kind: 'Affine', units: 5 }],
};

test('a spec file for each built-in layer kind builds for its input, runs forward, saves and loads', () => {
  for (const kind of layerKinds()) {
    const middle = WITH_LAYER[kind];
    // A new layer kind needs its example here: every kind a spec can name is proven to build from one.
    if (middle === undefined) throw new Error(`no spec example for the layer kind ${kind}: add one to WITH_LAYER`);
    const file = path.join(tmp, `${kind}.json`);
    fs.writeFileSync(file, JSON.stringify({ layers: [...middle, { kind: 'Flatten' }, { kind: 'Affine', units: 3 }] }));
    const net = modelFromSpec(readModelSpec(file), { inputShape: [1, 8, 8], classes: 3, seed: 1, source: file });
    expect(net.layers.some((l) => l.kind === kind)).toBe(true);
    const y = net.forward(tensor([2, 1, 8, 8], new Float32Array(128).fill(0.5)), false);
    expect(y.shape).toEqual([2, 3]);
    save(net, path.join(tmp, `${kind}-model`));
    expect(load(path.join(tmp, `${kind}-model`)).net.layers.map((l) => l.kind)).toEqual(net.layers.map((l) => l.kind));
  }
});

test("model.json's { kind, config } form, a bare list, the description, and the recipe over the defaults", () => {
  const spec = parseModelSpec({
    description: 'tiny',
    layers: [{ kind: 'Affine', config: { units: 4 } }, { kind: 'ReLU' }, { kind: 'Affine', units: 2, init: 'xavier' }],
    recipe: { lr: 0.01, epochs: 3 },
  });
  expect(spec.layers[0]).toEqual({ kind: 'Affine', config: { units: 4 } });
  expect(spec.layers[2]).toEqual({ kind: 'Affine', config: { units: 2, init: 'xavier' } });
  expect(specRecipe(spec)).toEqual({ ...DEFAULT_SPEC_RECIPE, lr: 0.01, epochs: 3 });
  const net = modelFromSpec(spec, { inputShape: [6], classes: 2 });
  expect(net.outputShape).toEqual([2]);
  expect(parseModelSpec([{ kind: 'Affine', units: 2 }]).recipe).toEqual({});
  // Same seed ⇒ the same weights.
  const a = modelFromSpec(spec, { inputShape: [6], seed: 7 });
  const b = modelFromSpec(spec, { inputShape: [6], seed: 7 });
  expect(Array.from(a.params()[0].value)).toEqual(Array.from(b.params()[0].value));
});

describe('mistakes: one message naming the layer and the shapes', () => {
  const cases: [string, unknown, object, RegExp][] = [
    ['a conv layer on flat features', [{ kind: 'Conv2D', filters: 2, kernelSize: 3 }, { kind: 'Flatten' }, { kind: 'Affine', units: 3 }],
      { inputShape: [4], classes: 3 }, /layer 0 \(Conv2D\) cannot take input \[4\] \(the net input\).*the data gives samples of shape \[4\]/],
    ['a window larger than its input', [{ kind: 'MaxPool', size: 4 }, { kind: 'Flatten' }, { kind: 'Affine', units: 3 }],
      { inputShape: [1, 2, 2], classes: 3 }, /layer 0 \(MaxPool\) cannot take input \[1, 2, 2\]/],
    ['the wrong number of classes', [{ kind: 'Affine', units: 10 }], { inputShape: [4], classes: 3 },
      /the last layer, layers\[0\] \(Affine\), outputs \[10\] but the data has 3 classes, so it must output \[3\]: set "units": 3/],
    ['images left unflattened at the end', [{ kind: 'Conv2D', filters: 3, kernelSize: 1 }], { inputShape: [1, 4, 4], classes: 3 },
      /outputs \[3, 4, 4\] but the data has 3 classes/],
    ['an unknown kind', [{ kind: 'Dense', units: 3 }], { inputShape: [4] }, /layers\[0\] \(Dense\): unknown layer kind "Dense" \(known: Affine, Conv2D/],
    ['a bad option', [{ kind: 'Affine', units: -1 }], { inputShape: [4] }, /layers\[0\] \(Affine\):.*units/],
    ['no kind', [{ units: 3 }], { inputShape: [4] }, /layers\[0\] must be an object with a "kind"/],
    ['an empty list', { layers: [] }, { inputShape: [4] }, /"layers" must be a non-empty list/],
    ['a bad recipe value', { layers: [{ kind: 'ReLU' }], recipe: { optimizer: 'adamw' } }, { inputShape: [4] }, /recipe.optimizer must be one of sgd, .*got "adamw"/],
    ['an unknown recipe field', { layers: [{ kind: 'ReLU' }], recipe: { learningRate: 1 } }, { inputShape: [4] }, /recipe: unknown field "learningRate"/],
    ['an unknown top-level field', { layers: [{ kind: 'ReLU' }], optimizer: 'sgd' }, { inputShape: [4] }, /unknown field "optimizer"/],
    ['config and flat options together', [{ kind: 'Affine', units: 3, config: { units: 3 } }], { inputShape: [4] }, /either in "config" or beside "kind"/],
  ];
  test.each(cases)('%s', (_name, json, options, pattern) => {
    let error: unknown;
    try {
      modelFromSpec(parseModelSpec(json, 'spec.json'), { ...(options as { inputShape: number[] }), source: 'spec.json' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelSpecError);
    expect((error as Error).message).toMatch(/^spec.json/);
    expect((error as Error).message).toMatch(pattern);
  });

  test('files: not JSON, missing', () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{ "layers": [ }');
    expect(() => readModelSpec(bad)).toThrow(/bad.json is not valid JSON/);
    expect(() => readModelSpec(path.join(tmp, 'none.json'))).toThrow(/none.json: no such file/);
  });
});
