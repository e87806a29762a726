/**
 * Round trips: fromOnnx(toOnnx(net)) gives bit-identical outputs and param values, and so does every order of
 * save, load, export and import — for the three MNIST models and a net with every layer kind.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Affine, AvgPool, BatchNorm, Conv2D, Dropout, Flatten, LocalContrastNorm, LocalResponseNorm, MaxPool, ReLU, Rng, Sequential, Sigmoid, Tanh,
  cloneTensor, tensor, type Tensor,
} from '../../src/index';
import { load, save } from '../../src/net/serialize';
import { buildMnistModel } from '../../src/models/mnist';
import { fromOnnx, toOnnx } from '../../src/onnx/index';
import { firstDifference, netState } from './ort';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-onnx-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function everyLayer(): Sequential {
  return new Sequential([
    new LocalContrastNorm({ size: 4 }),
    new Conv2D({ filters: 6, kernelSize: 3, padding: 'same', stride: 2 }), new BatchNorm(), new ReLU(),
    new LocalResponseNorm({ size: 3, alpha: 0.01, k: 2 }), new LocalResponseNorm({ size: 4 }),
    new MaxPool({ size: 2, stride: 1, padding: 1 }), new AvgPool({ size: 3, padding: 1, countIncludePad: true }),
    new Conv2D({ filters: 4, kernelSize: [3, 2], padding: [1, 0], useBias: false }), new Tanh(),
    new Flatten(), new Affine({ units: 12 }), new BatchNorm({ eps: 1e-3 }), new Sigmoid(), new Dropout({ rate: 0.25 }), new Affine({ units: 5, init: 'xavier' }),
  ], { inputShape: [2, 11, 9], seed: 3 });
}

/** Random params and running statistics, so nothing is at its initial value. */
function randomised(net: Sequential, seed: number): Sequential {
  const rng = new Rng(seed);
  for (const p of net.params()) for (let i = 0; i < p.value.length; i++) p.value[i] = rng.uniform(-0.5, 0.5);
  for (const b of net.namedBuffers()) for (let i = 0; i < b.buffer.value.length; i++) b.buffer.value[i] = /Var/.test(b.name) ? rng.uniform(0.5, 2) : rng.uniform(-0.5, 0.5);
  return net;
}

function input(net: Sequential, batch: number, seed: number): Tensor {
  const rng = new Rng(seed);
  const size = batch * net.inputShape.reduce((a, b) => a * b, 1);
  return tensor([batch, ...net.inputShape], Array.from({ length: size }, () => rng.uniform(0, 1)));
}


const viaOnnx = (net: Sequential): Sequential => fromOnnx(toOnnx(net));
const viaFiles = (name: string) => (net: Sequential): Sequential => {
  save(net, path.join(dir, name));
  return load(path.join(dir, name)).net;
};

const NETS: [string, () => Sequential][] = [
  ['mlp', () => buildMnistModel('mlp', 1)],
  ['cnn', () => buildMnistModel('cnn', 1)],
  ['best', () => buildMnistModel('best', 1)],
  ['every layer kind', everyLayer],
];

test.each(NETS)('%s: fromOnnx(toOnnx(net)), then save, load, export and import in turn, keep outputs and params bit for bit', (name, make) => {
  const net = randomised(make(), 7);
  const x = input(net, 3, 8);
  const expected = cloneTensor(net.forward(x)).data;
  // onnx → files → onnx → files covers every pair: export after load, save after import, and each alone.
  let current = net;
  for (const [k, step] of [viaOnnx, viaFiles(`${name}-1`), viaOnnx, viaFiles(`${name}-2`)].entries()) {
    current = step(current);
    expect({ step: k, differs: firstDifference(current.forward(x).data, expected) }).toEqual({ step: k, differs: -1 });
    expect({ step: k, differs: firstDifference(netState(current), netState(net)) }).toEqual({ step: k, differs: -1 });
  }
});
