/**
 * Sequential's pooled-first order (src/net/pooled-first.ts): a ReLU directly followed by a MaxPool runs pool
 * first. Proven here against the declared order (`declaredOrder: true`), bit for bit, on random window shapes
 * (odd sides, sizes 2 and 3, strides, padding, batch 1…5) and inputs full of ties, zeros, −0, negative-only
 * windows and windows whose max is exactly 0: outputs, loss, input gradient, every param gradient, and the
 * weights after fit. Sigmoid and Tanh must not be reordered (a test input where it would change the gradient),
 * and a NaN must give the declared numbers too.
 */
import {
  Adam, AvgPool, BatchNorm, Conv2D, Flatten, MaxPool, ReLU, Rng, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh, fit, tensor,
  type Layer, type Tensor,
} from '../../src/node';
import { kernelBackend, setKernelBackend, type KernelBackend } from '../../src/kernels/backend';
import { serializeModel } from '../../src/net/model-bytes';
import { toOnnx } from '../../src/onnx/export';
import { Affine } from '../../src/layers/affine';

/** Bit-for-bit equality (NaN-safe, −0 ≠ +0): compare the raw bytes. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function expectSameBits(a: Float32Array, b: Float32Array, what: string): void {
  if (!sameBits(a, b)) {
    const i = a.findIndex((v, k) => !Object.is(v, b[k]));
    throw new Error(`${what} differs at ${i}: ${a[i]} vs ${b[i]} (lengths ${a.length}, ${b.length})`);
  }
}

interface Case {
  channels: number; height: number; width: number; batch: number;
  size: number; stride: number; padding: number; conv: boolean; batchNorm: boolean;
}

function randomCase(rng: Rng): Case {
  const size = rng.next() < 0.5 ? 2 : 3;
  return {
    channels: 1 + Math.floor(rng.next() * 3),
    height: size + Math.floor(rng.next() * 7),
    width: size + Math.floor(rng.next() * 7),
    batch: 1 + Math.floor(rng.next() * 5),
    size,
    stride: rng.next() < 0.5 ? size : 1 + Math.floor(rng.next() * size),
    padding: rng.next() < 0.6 ? 0 : Math.floor(rng.next() * size),
    conv: rng.next() < 0.6,
    batchNorm: rng.next() < 0.4,
  };
}

/** Few distinct values (ties everywhere), a third negative, zeros and −0: windows of all kinds. */
function tiedValues(n: number, rng: Rng): Float32Array {
  const values = [-1, -0.5, -0, 0, 0, 0.5, 1, 1, 1.5];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = values[Math.floor(rng.next() * values.length)];
  return out;
}

/** [Conv2D (integer-ish weights, so its outputs tie too)] [BatchNorm] ReLU MaxPool Flatten Affine. */
function caseNet(c: Case, declaredOrder: boolean): Sequential {
  const layers: Layer[] = [];
  if (c.conv) layers.push(new Conv2D({ filters: 2, kernelSize: 2, padding: 1 }));
  if (c.batchNorm) layers.push(new BatchNorm());
  layers.push(new ReLU(), new MaxPool({ size: c.size, stride: c.stride, padding: c.padding }), new Flatten(), new Affine({ units: 3 }));
  const net = new Sequential(layers, { inputShape: [c.channels, c.height, c.width], seed: 7, declaredOrder });
  if (c.conv) {
    const w = net.params()[0].value;
    for (let i = 0; i < w.length; i++) w[i] = Math.round(w[i] * 2) / 2;
  }
  return net;
}

interface Pass { output: Float32Array; loss: number; dInput: Float32Array; grads: Float32Array[] }

function pass(net: Sequential, x: Tensor, y: Int32Array): Pass {
  const loss = new SoftmaxCrossEntropy();
  net.zeroGrad();
  const scores = net.forward(x, true);
  const output = scores.data.slice();
  const value = loss.forward(scores, y);
  const dInput = net.backward(loss.backward()).data.slice();
  return { output, loss: value, dInput, grads: net.params().map((p) => p.grad.slice()) };
}

function expectSamePass(a: Pass, b: Pass, what: string): void {
  expectSameBits(a.output, b.output, `${what}: output`);
  expect(Object.is(a.loss, b.loss)).toBe(true);
  expectSameBits(a.dInput, b.dInput, `${what}: dInput`);
  a.grads.forEach((g, i) => expectSameBits(g, b.grads[i], `${what}: grad ${i}`));
}

function labels(batch: number, rng: Rng): Int32Array {
  return Int32Array.from({ length: batch }, () => Math.floor(rng.next() * 3));
}

describe.each(['wasm', 'ts'] as KernelBackend[])('%s kernels: ReLU → MaxPool run pool first', (backend) => {
  let previous: KernelBackend;
  beforeAll(() => {
    previous = kernelBackend();
    setKernelBackend(backend);
  });
  afterAll(() => setKernelBackend(previous));

  test('the ReLU really runs on the pooled tensor (and on the full one with declaredOrder)', () => {
    const forward = ReLU.prototype.forward;
    const shapes: number[][] = [];
    ReLU.prototype.forward = function (this: ReLU, x: Tensor, training: boolean) {
      shapes.push([...x.shape]);
      return forward.call(this, x, training);
    };
    try {
      const x = tensor([2, 1, 6, 6], tiedValues(72, new Rng(1)));
      const make = (declaredOrder: boolean) =>
        new Sequential([new ReLU(), new MaxPool({ size: 2 })], { inputShape: [1, 6, 6], declaredOrder });
      make(false).forward(x);
      make(true).forward(x);
    } finally {
      ReLU.prototype.forward = forward;
    }
    expect(shapes).toEqual([[2, 1, 3, 3], [2, 1, 6, 6]]);
  });

  test('120 random shapes and tied inputs: outputs, loss, dInput and param gradients bit-identical to the declared order', () => {
    const rng = new Rng(2026);
    for (let k = 0; k < 120; k++) {
      const c = randomCase(rng);
      const x = tensor([c.batch, c.channels, c.height, c.width], tiedValues(c.batch * c.channels * c.height * c.width, rng));
      const y = labels(c.batch, rng);
      const swapped = caseNet(c, false);
      const declared = caseNet(c, true);
      expectSamePass(pass(swapped, x, y), pass(declared, x, y), `case ${k} ${JSON.stringify(c)}`);
      swapped.dispose();
      declared.dispose();
    }
  });

  test('a ReLU–MaxPool pair at the end of the net, and two pairs in a row', () => {
    const rng = new Rng(5);
    const x = tensor([3, 2, 9, 9], tiedValues(3 * 2 * 81, rng));
    const make = (declaredOrder: boolean) => new Sequential(
      [new ReLU(), new MaxPool({ size: 3, stride: 2, padding: 1 }), new ReLU(), new MaxPool({ size: 2 })],
      { inputShape: [2, 9, 9], declaredOrder },
    );
    const a = make(false), b = make(true);
    const ya = a.forward(x, true), yb = b.forward(x, true);
    expect(ya.shape).toEqual(yb.shape);
    expectSameBits(ya.data, yb.data, 'output');
    const dy = tensor(ya.shape, tiedValues(ya.data.length, rng));
    expectSameBits(a.backward(dy).data, b.backward(dy).data, 'dInput');
  });

  test('fit with a seed: the default-model layout gives the same weights and running statistics after 3 epochs', async () => {
    const rng = new Rng(9);
    const n = 24;
    const x = tensor([n, 1, 12, 12], tiedValues(n * 144, rng));
    const y = labels(n, rng);
    const train = async (declaredOrder: boolean) => {
      const net = new Sequential([
        new Conv2D({ filters: 3, kernelSize: 3, padding: 1 }), new BatchNorm(), new ReLU(), new MaxPool({ size: 2 }),
        new Conv2D({ filters: 4, kernelSize: 3 }), new BatchNorm(), new ReLU(), new MaxPool({ size: 2 }),
        new Flatten(), new Affine({ units: 3 }),
      ], { inputShape: [1, 12, 12], seed: 3, declaredOrder });
      const history = await fit(net, new SoftmaxCrossEntropy(), new Adam({ lr: 0.01 }), { x, y }, { epochs: 3, batchSize: 5, seed: 4 });
      return { net, history };
    };
    const a = await train(false), b = await train(true);
    expect(a.history.loss).toEqual(b.history.loss);
    a.net.params().forEach((p, i) => expectSameBits(p.value, b.net.params()[i].value, `param ${i}`));
    a.net.buffers().forEach((buf, i) => expectSameBits(buf.value, b.net.buffers()[i].value, `buffer ${i}`));
    // The run moved the weights (else equality proves little).
    expect(a.history.loss[2]).not.toEqual(a.history.loss[0]);
  });

  test('a NaN in a window with positive cells gives the declared order\'s numbers (the pair falls back to it)', () => {
    const make = (declaredOrder: boolean) =>
      new Sequential([new ReLU(), new MaxPool({ size: 2 })], { inputShape: [1, 4, 4], declaredOrder });
    const values = tiedValues(16, new Rng(4));
    values.set([NaN, 0.5, 1, -1], 0); // window (0,0) holds the NaN (row 0: NaN, 0.5) and 1 (row 1 starts at 4)
    values[4] = 1;
    const x = tensor([1, 1, 4, 4], values);
    const a = make(false), b = make(true);
    const ya = a.forward(x, true), yb = b.forward(x, true);
    expectSameBits(ya.data, yb.data, 'output');
    expect(ya.data[0]).toBe(1); // relu(NaN) = 0, then max(0, 0.5, 1, …) — not relu(max) = relu(NaN) = 0
    const dy = tensor([1, 1, 2, 2], new Float32Array([1, 2, 3, 4]));
    expectSameBits(a.backward(dy).data, b.backward(dy).data, 'dInput');
    // A finite batch afterwards runs pool first again, still with the declared numbers.
    const finite = tensor([1, 1, 4, 4], tiedValues(16, new Rng(5)));
    expectSameBits(a.forward(finite, true).data, b.forward(finite, true).data, 'output after the NaN batch');
    expectSameBits(a.backward(dy).data, b.backward(dy).data, 'dInput after the NaN batch');
  });
});

describe('what stays in the declared order', () => {
  test('layers, shapes, summary, param names, model file and ONNX bytes are those of declaredOrder: true', () => {
    const make = (declaredOrder: boolean) => new Sequential(
      [new Conv2D({ filters: 2, kernelSize: 3 }), new ReLU(), new MaxPool({ size: 2 }), new Flatten(), new Affine({ units: 4 })],
      { inputShape: [1, 9, 9], seed: 1, declaredOrder },
    );
    const a = make(false), b = make(true);
    expect(a.layers.map((l) => l.kind)).toEqual(['Conv2D', 'ReLU', 'MaxPool', 'Flatten', 'Affine']);
    expect(a.layerShapes).toEqual(b.layerShapes);
    expect(a.outputShape).toEqual(b.outputShape);
    expect(a.summary()).toBe(b.summary());
    expect(a.namedParams().map((p) => p.name)).toEqual(b.namedParams().map((p) => p.name));
    expect(serializeModel(a).json).toBe(serializeModel(b).json);
    expect(Buffer.from(toOnnx(a)).equals(Buffer.from(toOnnx(b)))).toBe(true);
  });

  test('declaredOrder must be a boolean; NN_DECLARED_ORDER=1 is its default', () => {
    expect(() => new Sequential([new ReLU()], { inputShape: [2], declaredOrder: 'yes' as never })).toThrow(
      'Sequential: option "declaredOrder" must be true or false, got "yes"',
    );
    const saved = process.env.NN_DECLARED_ORDER;
    const shapes: number[][] = [];
    const forward = ReLU.prototype.forward;
    ReLU.prototype.forward = function (this: ReLU, x: Tensor, training: boolean) {
      shapes.push([...x.shape]);
      return forward.call(this, x, training);
    };
    try {
      process.env.NN_DECLARED_ORDER = '1';
      new Sequential([new ReLU(), new MaxPool({ size: 2 })], { inputShape: [1, 4, 4] }).forward(tensor([1, 1, 4, 4]));
      new Sequential([new ReLU(), new MaxPool({ size: 2 })], { inputShape: [1, 4, 4], declaredOrder: false }).forward(tensor([1, 1, 4, 4]));
    } finally {
      ReLU.prototype.forward = forward;
      if (saved === undefined) delete process.env.NN_DECLARED_ORDER;
      else process.env.NN_DECLARED_ORDER = saved;
    }
    expect(shapes).toEqual([[1, 1, 4, 4], [1, 1, 2, 2]]);
  });
});

describe('only the positive part is reordered', () => {
  /**
   * Sigmoid rounds 9 and 9.0001 to the same float (σ′ ≈ 1.2e-4 there, half an ulp near 1 is 3e-8), so a pool
   * after it takes the first cell while a pool before it takes the second: pooled first, the gradient would
   * land on the other cell. Tanh saturates the same way. Run explicitly in both orders to show the input is
   * such a case, and through Sequential, which must keep the declared order for them.
   */
  test.each([['Sigmoid', () => new Sigmoid()], ['Tanh', () => new Tanh()]])('%s → MaxPool keeps the declared order', (_kind, make) => {
    const x = tensor([1, 1, 2, 2], new Float32Array([9, 9.0001, -3, -3]));
    const dy = tensor([1, 1, 1, 1], new Float32Array([1]));
    const explicit = (poolFirst: boolean): Float32Array => {
      const activation = make(), pool = new MaxPool({ size: 2 });
      activation.build([1, 2, 2], new Rng(0));
      pool.build([1, 2, 2], new Rng(0));
      if (poolFirst) {
        activation.forward(pool.forward(x, true), true);
        return pool.backward(activation.backward(dy)).data.slice();
      }
      pool.forward(activation.forward(x, true), true);
      return activation.backward(pool.backward(dy)).data.slice();
    };
    const declared = explicit(false), poolFirst = explicit(true);
    expect(declared[0]).not.toBe(0);
    expect(poolFirst[0]).toBe(0);
    expect(poolFirst[1]).not.toBe(0); // the pooled-first gradient lands on the other cell

    const net = new Sequential([make(), new MaxPool({ size: 2 })], { inputShape: [1, 2, 2] });
    net.forward(x, true);
    expectSameBits(net.backward(dy).data, declared, `${_kind} → MaxPool dInput`);
  });

  test('ReLU → AvgPool keeps the declared order (an average does not commute with ReLU)', () => {
    const x = tensor([1, 1, 2, 2], new Float32Array([2, -2, 0, 0]));
    const net = new Sequential([new ReLU(), new AvgPool({ size: 2 })], { inputShape: [1, 2, 2] });
    expect(net.forward(x).data[0]).toBe(0.5);
  });
});
