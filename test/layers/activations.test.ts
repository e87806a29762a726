/**
 * Sigmoid, ReLU, Tanh: hand-computed values and derivatives, stability at extreme inputs, any shape,
 * and the errors.
 */
import type { Layer } from '../../src/layers/layer';
import { ReLU } from '../../src/layers/relu';
import { Sigmoid } from '../../src/layers/sigmoid';
import { Tanh } from '../../src/layers/tanh';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';

function built<T extends Layer>(layer: T, shape: number[]): T {
  layer.build(shape, new Rng(0));
  return layer;
}

describe('Sigmoid', () => {
  test('σ(0) = ½, σ(ln 3) = ¾, σ(−ln 3) = ¼; dx = dy·σ(1 − σ): ¼, 3/16, 3/16', () => {
    const layer = built(new Sigmoid(), [3]);
    const y = layer.forward(tensor([1, 3], [0, Math.log(3), -Math.log(3)]), true);
    expect(y.data[0]).toBe(0.5);
    expect(y.data[1]).toBeCloseTo(0.75, 7);
    expect(y.data[2]).toBeCloseTo(0.25, 7);
    const dx = layer.backward(tensor([1, 3], [1, 2, -4]));
    expect(dx.data[0]).toBe(0.25);
    expect(dx.data[1]).toBeCloseTo(2 * 0.1875, 6);
    expect(dx.data[2]).toBeCloseTo(-4 * 0.1875, 6);
  });

  test('finite at ±1000 (no overflow of e^(−x)), with zero gradient there', () => {
    const layer = built(new Sigmoid(), [2]);
    expect(Array.from(layer.forward(tensor([1, 2], [1000, -1000]), true).data)).toEqual([1, 0]);
    expect(Array.from(layer.backward(tensor([1, 2], [1, 1])).data)).toEqual([0, 0]);
  });
});

describe('Tanh', () => {
  test('tanh(0) = 0, tanh(ln 2) = 3/5; dx = dy·(1 − y²) = 1 and 16/25', () => {
    const layer = built(new Tanh(), [2]);
    const y = layer.forward(tensor([1, 2], [0, Math.log(2)]), true);
    expect(y.data[0]).toBe(0);
    expect(y.data[1]).toBeCloseTo(0.6, 7);
    const dx = layer.backward(tensor([1, 2], [1, 1]));
    expect(dx.data[0]).toBe(1);
    expect(dx.data[1]).toBeCloseTo(0.64, 6);
  });

  test('saturates to ±1 at ±100 with zero gradient', () => {
    const layer = built(new Tanh(), [2]);
    expect(Array.from(layer.forward(tensor([1, 2], [100, -100]), true).data)).toEqual([1, -1]);
    expect(Array.from(layer.backward(tensor([1, 2], [3, 3])).data)).toEqual([0, 0]);
  });
});

describe('ReLU', () => {
  test('max(0, x); the gradient passes where x > 0 only (0 at x = 0)', () => {
    const layer = built(new ReLU(), [4]);
    expect(Array.from(layer.forward(tensor([1, 4], [-1, 0, 2, 0.5]), true).data)).toEqual([0, 0, 2, 0.5]);
    expect(Array.from(layer.backward(tensor([1, 4], [5, 5, 5, -3])).data)).toEqual([0, 0, 5, -3]);
  });
});

describe.each([
  ['Sigmoid', () => new Sigmoid()],
  ['Tanh', () => new Tanh()],
  ['ReLU', () => new ReLU()],
])('%s on any shape', (kind, make) => {
  test('keeps the shape of an image batch and has no params', () => {
    const layer = make();
    expect(layer.build([2, 3, 3], new Rng(0))).toEqual([2, 3, 3]);
    expect(layer.forward(tensor([2, 2, 3, 3]), true).shape).toEqual([2, 2, 3, 3]);
    expect(layer.backward(tensor([2, 2, 3, 3])).shape).toEqual([2, 2, 3, 3]);
    expect(layer.params()).toEqual([]);
    expect(layer.config()).toEqual({});
  });

  test('errors name the layer and the shapes', () => {
    expect(() => make().backward(tensor([1, 2]))).toThrow(`${kind}.backward called before forward`);
    const layer = make();
    layer.build([3], new Rng(0));
    layer.forward(tensor([2, 3]), true);
    expect(() => layer.backward(tensor([2, 4]))).toThrow(`${kind}.backward: expected dy [2, 3], got [2, 4]`);
    expect(() => make().build([], new Rng(0))).toThrow(`${kind} input shape must be a non-empty array of positive integers, got []`);
    expect(() => make().build([2, -1], new Rng(0))).toThrow(`${kind} input shape must hold positive integers, got [2, -1]`);
  });
});
