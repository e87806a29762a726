import { MaxPool } from '../../src/layers/maxpool';
import { Rng } from '../../src/random';
import { ShapeError, tensor } from '../../src/tensor';

describe('MaxPool', () => {
  test('a 4×4 example by hand: 2×2 windows, stride 2', () => {
    const layer = new MaxPool({ size: 2 });
    expect(layer.build([1, 4, 4], new Rng(0))).toEqual([1, 2, 2]);
    const x = tensor([1, 1, 4, 4], [
      1, 3, 2, 1,
      4, 2, 0, 1,
      5, 6, 1, 2,
      7, 8, 3, 9,
    ]);
    const y = layer.forward(x, true);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(y.data)).toEqual([4, 2, 8, 9]);
    const dx = layer.backward(tensor([1, 1, 2, 2], [10, 20, 30, 40]));
    expect(Array.from(dx.data)).toEqual([
      0, 0, 20, 0,
      10, 0, 0, 0,
      0, 0, 0, 0,
      0, 30, 0, 40,
    ]);
  });

  test('ties go to the first cell of the window in row-major order', () => {
    const layer = new MaxPool({ size: [2, 3], stride: 1 });
    expect(layer.build([1, 2, 4], new Rng(0))).toEqual([1, 1, 2]);
    layer.forward(tensor([1, 1, 2, 4], [
      0, 5, 1, 5,
      5, 5, 5, 2,
    ]), true);
    const dx = layer.backward(tensor([1, 1, 1, 2], [1, 2]));
    // Window 0 (cols 0–2): first 5 at (0,1). Window 1 (cols 1–3): first 5 at (0,1) again.
    expect(Array.from(dx.data)).toEqual([0, 3, 0, 0, 0, 0, 0, 0]);
  });

  test('padding never wins, even over negative values; overlapping windows accumulate', () => {
    const layer = new MaxPool({ size: 3, stride: 2, padding: 1 });
    expect(layer.build([1, 3, 3], new Rng(0))).toEqual([1, 2, 2]);
    const y = layer.forward(tensor([1, 1, 3, 3], [-9, -8, -7, -6, -5, -4, -3, -2, -1]), true);
    expect(Array.from(y.data)).toEqual([-5, -4, -2, -1]);
    const dx = layer.backward(tensor([1, 1, 2, 2], [1, 1, 1, 1]));
    expect(Array.from(dx.data)).toEqual([0, 0, 0, 0, 1, 1, 0, 1, 1]);
  });

  test('multi-channel batches pool each plane separately; same buffers while the batch size holds', () => {
    const layer = new MaxPool({ size: 2 });
    layer.build([2, 2, 2], new Rng(0));
    const x = tensor([2, 2, 2, 2], [1, 2, 3, 4, -1, -2, -3, -4, 5, 0, 0, 0, 0, 0, 0, 6]);
    const y = layer.forward(x, true);
    expect(Array.from(y.data)).toEqual([4, -1, 5, 6]);
    expect(layer.forward(x, false)).toBe(y);
  });

  test('config() has the defaults filled in and rebuilds the layer', () => {
    expect(new MaxPool({ size: 2 }).config()).toEqual({ size: 2, stride: 2, padding: 0 });
    const config = new MaxPool({ size: [3, 2], stride: [1, 2], padding: 'same' }).config();
    expect(config).toEqual({ size: [3, 2], stride: [1, 2], padding: 'same' });
    expect(new MaxPool(JSON.parse(JSON.stringify(config))).build([1, 5, 5], new Rng(0))).toEqual([1, 5, 3]);
  });

  test('bad input names the layer and the numbers', () => {
    expect(() => new MaxPool({ size: 0 })).toThrow(/MaxPool: option "size" must be a positive integer .* got 0/);
    expect(() => new MaxPool({} as never)).toThrow(/MaxPool: option "size" is required/);
    expect(() => new MaxPool({ size: 2, stride: 0 })).toThrow(/MaxPool: option "stride" must be a positive integer .* got 0/);
    expect(() => new MaxPool({ size: 2, padding: -1 })).toThrow(/MaxPool: option "padding" must be a non-negative integer .* got -1/);
    expect(() => new MaxPool({ size: 2, padding: 2 })).toThrow(/MaxPool: option "padding" \(2×2\) must be smaller than the window 2×2/);
    expect(() => new MaxPool({ size: [3, 2], padding: [1, 2] })).toThrow(/padding" \(1×2\) must be smaller than the window 3×2/);
    expect(() => new MaxPool({ size: 2.5 })).toThrow(/got 2.5/);
    expect(() => new MaxPool({ size: 3 }).build([1, 2, 5], new Rng(0))).toThrow(ShapeError);
    expect(() => new MaxPool({ size: 3 }).build([1, 2, 5], new Rng(0))).toThrow(/MaxPool: kernel 3×3 is larger than the padded input 2×5/);
    expect(() => new MaxPool({ size: 2 }).build([4, 4], new Rng(0))).toThrow(/MaxPool needs a per-sample input \[channels, height, width\].*got \[4, 4\]/);
    const layer = new MaxPool({ size: 2 });
    layer.build([1, 4, 4], new Rng(0));
    expect(() => layer.forward(tensor([1, 2, 4, 4]), true)).toThrow(/MaxPool was built for input \[N, 1, 4, 4\], got \[1, 2, 4, 4\]/);
    expect(() => layer.backward(tensor([1, 1, 2, 2]))).toThrow(/MaxPool.backward called before forward/);
  });
});
