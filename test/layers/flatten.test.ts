/**
 * Flatten: [N, C, H, W] → [N, C·H·W] as a view (no copy), backward restores the input shape.
 */
import { Flatten } from '../../src/layers/flatten';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';

test('forward is a view [N, C·H·W] of the same data; backward gives dy in the input shape', () => {
  const layer = new Flatten();
  expect(layer.build([2, 1, 3], new Rng(0))).toEqual([6]);
  const x = tensor([2, 2, 1, 3], Array.from({ length: 12 }, (_, i) => i));
  const y = layer.forward(x, true);
  expect(y.shape).toEqual([2, 6]);
  expect(y.data).toBe(x.data);
  expect(Array.from(y.data.subarray(6, 12))).toEqual([6, 7, 8, 9, 10, 11]);
  const dy = tensor([2, 6], Array.from({ length: 12 }, (_, i) => -i));
  const dx = layer.backward(dy);
  expect(dx.shape).toEqual([2, 2, 1, 3]);
  expect(dx.data).toBe(dy.data);
  expect(layer.params()).toEqual([]);
});

test('the view objects are reused for the same buffers (no allocation per batch)', () => {
  const layer = new Flatten();
  layer.build([2, 2], new Rng(0));
  const x = tensor([3, 2, 2]);
  const dy = tensor([3, 4]);
  const y = layer.forward(x, true);
  const dx = layer.backward(dy);
  expect(layer.forward(x, true)).toBe(y);
  expect(layer.backward(dy)).toBe(dx);
  expect(layer.forward(tensor([2, 2, 2]), true).shape).toEqual([2, 4]);
});

test('errors name the layer and the shapes', () => {
  const layer = new Flatten();
  expect(() => layer.forward(tensor([1, 4]), true)).toThrow(/Flatten is not built/);
  layer.build([2, 2], new Rng(0));
  expect(() => layer.backward(tensor([1, 4]))).toThrow('Flatten.backward called before forward');
  expect(() => layer.forward(tensor([3, 5]), true)).toThrow('Flatten: expected input [N, 2, 2], got [3, 5]');
  layer.forward(tensor([3, 2, 2]), true);
  expect(() => layer.backward(tensor([3, 5]))).toThrow('Flatten.backward: expected dy [3, 4], got [3, 5]');
  expect(() => new Flatten().build([], new Rng(0))).toThrow('Flatten input shape must be a non-empty array of positive integers, got []');
  expect(() => new Flatten().build([3, 0.5], new Rng(0))).toThrow('Flatten input shape must hold positive integers, got [3, 0.5]');
});
