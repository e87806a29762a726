import { AvgPool } from '../../src/layers/avgpool';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';

describe('AvgPool', () => {
  test('a 4×4 example by hand: 2×2 windows, stride 2, and the spread-out gradient', () => {
    const layer = new AvgPool({ size: 2 });
    expect(layer.build([1, 4, 4], new Rng(0))).toEqual([1, 2, 2]);
    const y = layer.forward(tensor([1, 1, 4, 4], [
      1, 3, 2, 2,
      4, 0, 2, 2,
      5, 6, 1, 2,
      7, 8, 3, 10,
    ]), true);
    expect(Array.from(y.data)).toEqual([2, 2, 6.5, 4]);
    const dx = layer.backward(tensor([1, 1, 2, 2], [4, 8, 12, 16]));
    expect(Array.from(dx.data)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  test('padding is left out of the average by default; countIncludePad divides by the full window', () => {
    const x = tensor([1, 1, 2, 2], [1, 1, 1, 1]);
    const exclude = new AvgPool({ size: 2, stride: 1, padding: 1 });
    expect(exclude.build([1, 2, 2], new Rng(0))).toEqual([1, 3, 3]);
    expect(Array.from(exclude.forward(x, false).data)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]); // a constant stays constant
    const include = new AvgPool({ size: 2, stride: 1, padding: 1, countIncludePad: true });
    include.build([1, 2, 2], new Rng(0));
    expect(Array.from(include.forward(x, false).data)).toEqual([0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25]);
    expect(Array.from(include.backward(tensor([1, 1, 3, 3], [4, 0, 0, 0, 0, 0, 0, 0, 0])).data)).toEqual([1, 0, 0, 0]);
  });

  test('config() has the defaults filled in and rebuilds the layer', () => {
    expect(new AvgPool({ size: 3 }).config()).toEqual({ size: 3, stride: 3, padding: 0, countIncludePad: false });
    const config = new AvgPool({ size: 2, stride: 1, padding: [1, 0], countIncludePad: true }).config();
    expect(new AvgPool(JSON.parse(JSON.stringify(config))).config()).toEqual(config);
  });

  test('bad input names the layer and the numbers', () => {
    expect(() => new AvgPool({ size: -2 })).toThrow(/AvgPool: option "size" must be a positive integer .* got -2/);
    expect(() => new AvgPool({ size: 2, stride: [1, 0] })).toThrow(/AvgPool: option "stride" .* got \[1,0\]/);
    expect(() => new AvgPool({ size: 2, padding: 3 })).toThrow(/AvgPool: option "padding" \(3×3\) must be smaller than the window 2×2/);
    expect(() => new AvgPool({ size: 2, countIncludePad: 'yes' as never })).toThrow(/AvgPool: option "countIncludePad" must be true or false, got "yes"/);
    expect(() => new AvgPool({ size: [1, 6] }).build([2, 3, 5], new Rng(0))).toThrow(/AvgPool: kernel 1×6 is larger than the padded input 3×5/);
    const layer = new AvgPool({ size: 2 });
    layer.build([2, 4, 4], new Rng(0));
    expect(() => layer.forward(tensor([3, 4, 4]), true)).toThrow(/AvgPool was built for input \[N, 2, 4, 4\], got \[3, 4, 4\]/);
  });
});
