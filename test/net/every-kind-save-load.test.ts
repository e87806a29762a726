/**
 * save → load for every registered layer kind, built from its registration's example (test/helpers/every-kind.ts):
 * a net of that one layer, trained for a step (so params and running statistics are not their initial values),
 * comes back from its model directory with the same kind, config, params, buffers and bit-identical predictions.
 * A new kind is checked here by its registration alone. (test/net/serialize.test.ts checks the file format and
 * its damage on a net of every built-in kind.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { Rng, SGD, Sequential, layerKinds, load, predict, save, tensor, type Tensor } from '../../src/node';
import { kindCase, kindsWithoutExample } from '../helpers/every-kind';

const RUNS_PER_KIND = 10;
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mf-every-kind-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function randomTensor(shape: number[], rng: Rng): Tensor {
  return tensor(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-2, 2)));
}

function bits(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

test('every kind has an example', () => {
  expect(kindsWithoutExample()).toEqual([]);
});

test.each(layerKinds())('%s: save → load gives the same layer, state and predictions', (kind) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const rng = new Rng(seed);
      const { layer, input } = kindCase(kind, rng);
      const net = new Sequential([layer], { inputShape: input.slice(1), seed });
      const x = randomTensor(input, rng);
      // One training step: the forward updates running statistics, the step moves the params.
      net.zeroGrad();
      const y = net.forward(x, true);
      net.backward(randomTensor([...y.shape], rng));
      new SGD({ lr: 0.1 }).step(net.params());

      const target = path.join(dir, `${kind}-${seed}`);
      save(net, target);
      const { net: loaded } = load(target);
      expect(loaded.layers.map((l) => [l.kind, l.config()])).toEqual([[kind, layer.config()]]);
      expect(loaded.namedParams().map(({ name, param }) => [name, bits(param.value)])).toEqual(net.namedParams().map(({ name, param }) => [name, bits(param.value)]));
      expect(loaded.namedBuffers().map(({ name, buffer }) => [name, bits(buffer.value)])).toEqual(net.namedBuffers().map(({ name, buffer }) => [name, bits(buffer.value)]));
      expect(bits(predict(loaded, x, 2).data)).toBe(bits(predict(net, x, 2).data));
      fs.rmSync(target, { recursive: true, force: true });
    }),
    { numRuns: RUNS_PER_KIND, seed: 1010 },
  );
});
