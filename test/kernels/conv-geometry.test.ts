import fc from 'fast-check';
import { outputSize, resolvePadding, windowGeometry, withBatch } from '../../src/kernels/conv-geometry';
import { pairOption } from '../../src/options';
import { ShapeError } from '../../src/tensor';

describe('window geometry', () => {
  test('the textbook output size ⌊(n + 2p − f)/s⌋ + 1 on known cases', () => {
    expect(outputSize(28, 5, 1, 0, 0)).toBe(24); // MNIST conv 5×5
    expect(outputSize(24, 2, 2, 0, 0)).toBe(12); // 2×2 pool
    expect(outputSize(7, 3, 2, 1, 1)).toBe(4); // ⌊(7 + 2 − 3)/2⌋ + 1
    expect(outputSize(5, 5, 3, 0, 0)).toBe(1);
    expect(outputSize(4, 5, 1, 0, 0)).toBe(0); // empty
  });

  test("'same' gives ⌈n/s⌉ outputs, the odd padding cell after; 'valid' pads nothing", () => {
    expect(resolvePadding('same', 28, 5, 1)).toEqual([2, 2]);
    expect(resolvePadding('same', 6, 4, 1)).toEqual([1, 2]); // even kernel: total 3
    expect(resolvePadding('same', 7, 3, 2)).toEqual([1, 1]);
    expect(resolvePadding('same', 1, 5, 3)).toEqual([2, 2]);
    expect(resolvePadding('valid', 9, 3, 2)).toEqual([0, 0]);
    expect(resolvePadding(2, 9, 3, 2)).toEqual([2, 2]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 4 }), (n, f, s) => {
        const [before, after] = resolvePadding('same', n, f, s);
        expect(outputSize(n, f, s, before, after)).toBe(Math.ceil(n / s));
        expect(after - before === 0 || after - before === 1).toBe(true);
        expect(before + after).toBeLessThan(Math.max(f, 1));
      }),
      { numRuns: 200, seed: 311 },
    );
  });

  test('windowGeometry: numeric, pair and asymmetric padding', () => {
    const g = windowGeometry('Conv2D', [4, 5, 8], [3, 2], [2, 3], [1, 0]);
    expect(g).toEqual({
      batch: 1, channels: 4, inH: 5, inW: 8,
      kernelH: 3, kernelW: 2, strideH: 2, strideW: 3, padTop: 1, padBottom: 1, padLeft: 0, padRight: 0, outH: 3, outW: 3,
    });
    expect(windowGeometry('Conv2D', [4, 5, 8], [3, 2], [2, 3], [1, 0], 6)).toEqual({ ...g, batch: 6 });
    expect(withBatch(g, 1)).toBe(g); // the same window is not remade
    expect(withBatch(g, 3)).toEqual({ ...g, batch: 3 });
  });

  test('a kernel larger than the padded input is an error naming the layer and the sizes', () => {
    expect(() => windowGeometry('Conv2D', [1, 4, 4], [5, 5], [1, 1], 0)).toThrow(ShapeError);
    expect(() => windowGeometry('Conv2D', [1, 4, 4], [5, 5], [1, 1], 0)).toThrow(
      /Conv2D: kernel 5×5 is larger than the padded input 4×4 \(input 4×4, padding 0\+0 × 0\+0\)/,
    );
    expect(() => windowGeometry('MaxPool', [1, 3, 9], [2, 6], [1, 1], [1, 1])).not.toThrow();
    expect(() => windowGeometry('MaxPool', [1, 3, 3], [2, 6], [1, 1], [1, 1])).toThrow(/MaxPool: kernel 2×6 is larger than the padded input 5×5/);
  });

  test('pairOption rejects zero, negatives, non-integers and malformed pairs, naming the option', () => {
    expect(pairOption(3, 'Conv2D', 'stride')).toEqual([3, 3]);
    expect(pairOption([2, 1], 'Conv2D', 'stride')).toEqual([2, 1]);
    expect(pairOption(0, 'Conv2D', 'padding', true)).toEqual([0, 0]);
    expect(() => pairOption(0, 'Conv2D', 'stride')).toThrow(/Conv2D: option "stride" must be a positive integer or a pair \[h, w\] of them, got 0/);
    expect(() => pairOption(1.5, 'Conv2D', 'kernelSize')).toThrow(/kernelSize" .* got 1.5/);
    expect(() => pairOption([2, -1], 'Conv2D', 'stride')).toThrow(/got \[2,-1\]/);
    expect(() => pairOption(-1, 'MaxPool', 'padding', true)).toThrow(/MaxPool: option "padding" must be a non-negative integer .* got -1/);
    expect(() => pairOption([1, 2, 3] as never, 'Conv2D', 'stride')).toThrow(/got \[1,2,3\]/);
  });
});
