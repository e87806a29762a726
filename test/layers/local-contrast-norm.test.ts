import { LocalContrastNorm } from '../../src/layers/local-contrast-norm';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';

function close(actual: Float32Array, expected: number[], digits = 6): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));
}

describe('LocalContrastNorm', () => {
  test('by hand, two channels of one pixel: v = ±(x0 − x1)/2, s = c = |v|, so y = v/(1.05·s) (the smooth max at s = c)', () => {
    const layer = new LocalContrastNorm({ size: 1, eps: 1e-6 });
    expect(layer.build([2, 1, 1], new Rng(0))).toEqual([2, 1, 1]);
    // x = [3, −1]: μ = 1, v = [2, −2], s = √(ε² + (4 + 4)/2) ≈ 2 = c, smoothMax(2, 2) = (4 + √(0.01·4))/2 = 2.1
    close(layer.forward(tensor([1, 2, 1, 1], [3, -1]), true).data, [2 / 2.1, -2 / 2.1]);
  });

  test('by hand, a 1×3 row with a box window (σ huge): the border window is renormalised over the cells inside', () => {
    const layer = new LocalContrastNorm({ size: 3, sigma: 1e6, eps: 1e-4 });
    layer.build([1, 1, 3], new Rng(0));
    // x = [0, 0, 3]. μ = [mean(0, 0), mean(0, 0, 3), mean(0, 3)] = [0, 1, 1.5] (not 3/3 at the right edge),
    // v = [0, −1, 1.5]; local variances [mean(0, 1), mean(0, 1, 2.25), mean(1, 2.25)] = [0.5, 1.08333, 1.625],
    // s = [0.707107, 1.040833, 1.274755], c = 1.007565, d = smoothMax(c, s) = [1.015787, 1.077252, 1.283938].
    close(layer.forward(tensor([1, 1, 1, 3], [0, 0, 3]), true).data, [0, -0.9282876, 1.1682807], 5);
  });

  test('a constant image maps to zeros, with a zero gradient; a flat window (1 channel, size 1) is constant', () => {
    const layer = new LocalContrastNorm({ size: 5 });
    layer.build([3, 4, 5], new Rng(0));
    const y = layer.forward(tensor([2, 3, 4, 5], new Float32Array(120).fill(0.7)), true);
    expect(y.data.every((v) => Math.abs(v) < 1e-6)).toBe(true);
    const one = new LocalContrastNorm({ size: 1 });
    one.build([1, 2, 2], new Rng(0));
    expect(Array.from(one.forward(tensor([1, 1, 2, 2], [1, -2, 5, 0.25]), true).data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(one.backward(tensor([1, 1, 2, 2], [1, 1, 1, 1])).data)).toEqual([0, 0, 0, 0]);
  });

  test('it removes local brightness and contrast: y(a·x + b) = y(x) up to ε', () => {
    const layer = new LocalContrastNorm({ size: 5 });
    layer.build([2, 6, 7], new Rng(0));
    const rng = new Rng(3);
    const x = Array.from({ length: 84 }, () => rng.uniform(-1, 1));
    const y1 = layer.forward(tensor([1, 2, 6, 7], x), true).data.slice();
    const y2 = layer.forward(tensor([1, 2, 6, 7], x.map((v) => 5 * v + 2)), true).data;
    y1.forEach((v, i) => expect(y2[i]).toBeCloseTo(v, 4));
  });

  test('config() has the defaults filled in (size 9, σ = size/4, ε = 1e-4) and rebuilds the layer', () => {
    expect(new LocalContrastNorm().config()).toEqual({ size: 9, sigma: 2.25, eps: 1e-4 });
    expect(new LocalContrastNorm({ size: 4 }).config()).toEqual({ size: 4, sigma: 1, eps: 1e-4 });
    const config = new LocalContrastNorm({ size: 6, sigma: 0.7, eps: 0.01 }).config();
    expect(new LocalContrastNorm(JSON.parse(JSON.stringify(config))).config()).toEqual(config);
  });

  test('bad input names the layer and the value', () => {
    expect(() => new LocalContrastNorm({ size: 0 })).toThrow(/LocalContrastNorm: option "size" must be a positive integer, got 0/);
    expect(() => new LocalContrastNorm({ sigma: -1 })).toThrow(/LocalContrastNorm: option "sigma" must be a finite number > 0, got -1/);
    expect(() => new LocalContrastNorm({ eps: 0 })).toThrow(/LocalContrastNorm: option "eps" must be a finite number > 0, got 0/);
    expect(() => new LocalContrastNorm({ radius: 1 } as never)).toThrow(/unknown option "radius"/);
    expect(() => new LocalContrastNorm().build([1, 28], new Rng(0))).toThrow(/LocalContrastNorm needs a per-sample input \[channels, height, width\]/);
    expect(() => new LocalContrastNorm().forward(tensor([1, 1, 1, 1]), true)).toThrow(/LocalContrastNorm is not built/);
    const layer = new LocalContrastNorm();
    layer.build([1, 3, 3], new Rng(0));
    expect(() => layer.backward(tensor([1, 1, 3, 3]))).toThrow(/backward called before forward/);
    layer.forward(tensor([1, 1, 3, 3]), true);
    expect(() => layer.backward(tensor([1, 1, 3, 2]))).toThrow(/LocalContrastNorm.backward: expected dy \[1, 1, 3, 3\], got \[1, 1, 3, 2\]/);
  });
});
