import { Affine } from '../../src/layers/affine';
import { Conv2D } from '../../src/layers/conv2d';
import { Flatten } from '../../src/layers/flatten';
import { ReLU } from '../../src/layers/relu';
import { Sequential } from '../../src/net/sequential';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';

/**
 * Sequential.backward(dy, false): the caller needs no dLoss/dInput (fit), so the first layer with params
 * may skip its most costly product (a Flatten before it passes the zeros on). The param gradients must
 * not change, the skipped dx is zeros, and the next backward that does want dx gets the real one.
 */
describe.each([
  ['Conv2D first', () => [new Conv2D({ filters: 3, kernelSize: 3 }), new ReLU(), new Flatten(), new Affine({ units: 4 })], [2, 6, 6]],
  ['Affine first', () => [new Flatten(), new Affine({ units: 5 }), new ReLU(), new Affine({ units: 3 })], [7]],
] as const)('%s', (_name, layers, inputShape) => {
  test('param grads are the same with and without the input gradient; dx is zeros when skipped, real again after', () => {
    const rng = new Rng(3);
    const net = new Sequential(layers(), { inputShape: [...inputShape], seed: 5 });
    const x = tensor([4, ...inputShape], Float32Array.from({ length: 4 * inputShape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)));
    const y = net.forward(x, true);
    const dy = tensor(y.shape, Float32Array.from({ length: y.data.length }, () => rng.uniform(-1, 1)));

    net.zeroGrad();
    const dxFull = net.backward(dy).data.slice();
    const gradsFull = net.params().map((p) => p.grad.slice());

    net.zeroGrad();
    const dxSkipped = net.backward(dy, false).data.slice();
    const gradsSkipped = net.params().map((p) => p.grad.slice());

    expect(gradsSkipped).toEqual(gradsFull);
    expect(dxSkipped.every((v) => v === 0)).toBe(true);
    expect(dxFull.some((v) => v !== 0)).toBe(true);

    net.zeroGrad();
    expect(Array.from(net.backward(dy).data)).toEqual(Array.from(dxFull));
  });

  test('a skipped dx is zeros every time: repeated, right after a real dx in the same buffer, and at a new batch size', () => {
    // Affine fills its skipped dx once and keeps it while nothing writes it: a real dx in between must
    // make the next skip fill again.
    const rng = new Rng(4);
    const net = new Sequential(layers(), { inputShape: [...inputShape], seed: 6 });
    const size = inputShape.reduce((a, b) => a * b, 1);
    const run = (n: number, inputGradient: boolean) => {
      const x = tensor([n, ...inputShape], Float32Array.from({ length: n * size }, () => rng.uniform(-1, 1)));
      const y = net.forward(x, true);
      const dy = tensor(y.shape, Float32Array.from({ length: y.data.length }, () => rng.uniform(-1, 1)));
      net.zeroGrad();
      return Array.from(net.backward(dy, inputGradient).data);
    };
    const zeros = (dx: number[]) => dx.length > 0 && dx.every((v) => v === 0);
    expect(zeros(run(4, false))).toBe(true);
    expect(zeros(run(4, false))).toBe(true);
    expect(run(4, true).some((v) => v !== 0)).toBe(true);
    expect(zeros(run(4, false))).toBe(true);
    expect(zeros(run(3, false))).toBe(true);
    expect(run(3, true).some((v) => v !== 0)).toBe(true);
    expect(zeros(run(3, false))).toBe(true);
  });
});
