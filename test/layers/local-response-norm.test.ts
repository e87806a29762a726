import { LocalResponseNorm } from '../../src/layers/local-response-norm';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';

function close(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 6));
}

describe('LocalResponseNorm', () => {
  test('by hand, size 3 (odd): D[c] = 1 + (3/3)·Σ x² over channels c − 1 … c + 1, zeros past the ends; β = 1', () => {
    const layer = new LocalResponseNorm({ size: 3, alpha: 3, beta: 1, k: 1 });
    expect(layer.build([3, 1, 1], new Rng(0))).toEqual([3, 1, 1]);
    // x = [1, 2, 2]: D = [1 + 1 + 4, 1 + 1 + 4 + 4, 1 + 4 + 4] = [6, 10, 9]
    close(layer.forward(tensor([1, 3, 1, 1], [1, 2, 2]), true).data, [1 / 6, 2 / 10, 2 / 9]);
  });

  test('by hand, size 2 (even): the window is [c − 1, c], as in PyTorch; and its gradient', () => {
    const layer = new LocalResponseNorm({ size: 2, alpha: 2, beta: 1, k: 1 });
    layer.build([3, 1, 1], new Rng(0));
    // x = [1, 2, 2]: D = [1 + 1, 1 + 1 + 4, 1 + 4 + 4] = [2, 6, 9]
    close(layer.forward(tensor([1, 3, 1, 1], [1, 2, 2]), true).data, [1 / 2, 2 / 6, 2 / 9]);
    // y1 = x1 / (1 + x0² + x1²): ∂y1/∂x0 = −2·x0·x1/D1² = −4/36, ∂y1/∂x1 = (D1 − 2·x1²)/D1² = −2/36, ∂y1/∂x2 = 0
    close(layer.backward(tensor([1, 3, 1, 1], [0, 1, 0])).data, [-1 / 9, -1 / 18, 0]);
    // y0 = x0 / (1 + x0²): ∂y0/∂x0 = (1 − x0²)/(1 + x0²)² = 0 at x0 = 1, and y0 does not see x1, x2
    close(layer.backward(tensor([1, 3, 1, 1], [1, 0, 0])).data, [0, 0, 0]);
  });

  test('each pixel and each sample is normalised on its own; β = 0.75 (the square-root path) agrees with pow', () => {
    const layer = new LocalResponseNorm({ size: 5, alpha: 0.5, k: 2 });
    layer.build([2, 1, 2], new Rng(0));
    const x = [1, -3, 2, 0.5, /* sample 2 */ 0, 4, -1, 0];
    const y = layer.forward(tensor([2, 2, 1, 2], x), true);
    // Pixel (sample, col): channels 0 and 1 both see both channels (size 5 > 2 channels): D = 2 + 0.1·(a² + b²).
    const expected = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => {
      const sample = Math.floor(i / 4), col = i % 2;
      const a = x[sample * 4 + col], b = x[sample * 4 + 2 + col];
      return x[i] * Math.pow(2 + 0.1 * (a * a + b * b), -0.75);
    });
    close(y.data, expected);
  });

  test('config() has the defaults (PyTorch\'s) filled in and rebuilds the layer', () => {
    expect(new LocalResponseNorm({ size: 5 }).config()).toEqual({ size: 5, alpha: 1e-4, beta: 0.75, k: 1 });
    const config = new LocalResponseNorm({ size: 4, alpha: 0.01, beta: 0.5, k: 2 }).config();
    expect(new LocalResponseNorm(JSON.parse(JSON.stringify(config))).config()).toEqual(config);
  });

  test('bad input names the layer and the value', () => {
    expect(() => new LocalResponseNorm({} as never)).toThrow(/LocalResponseNorm: option "size" is required/);
    expect(() => new LocalResponseNorm({ size: 2.5 })).toThrow(/LocalResponseNorm: option "size" must be a positive integer, got 2.5/);
    expect(() => new LocalResponseNorm({ size: 3, k: 0 })).toThrow(/LocalResponseNorm: option "k" must be a finite number > 0, got 0/);
    expect(() => new LocalResponseNorm({ size: 3, alpha: -1 })).toThrow(/option "alpha" must be a finite number ≥ 0, got -1/);
    expect(() => new LocalResponseNorm({ size: 3, beta: NaN })).toThrow(/option "beta" must be a finite number ≥ 0, got NaN/);
    expect(() => new LocalResponseNorm({ size: 3, radius: 1 } as never)).toThrow(/unknown option "radius"/);
    expect(() => new LocalResponseNorm({ size: 3 }).build([10], new Rng(0))).toThrow(/LocalResponseNorm needs a per-sample input \[channels, height, width\]/);
    expect(() => new LocalResponseNorm({ size: 3 }).forward(tensor([1, 1, 1, 1]), true)).toThrow(/LocalResponseNorm is not built/);
    const layer = new LocalResponseNorm({ size: 3 });
    layer.build([2, 3, 3], new Rng(0));
    expect(() => layer.backward(tensor([1, 2, 3, 3]))).toThrow(/backward called before forward/);
    expect(() => layer.forward(tensor([1, 3, 3, 3]), true)).toThrow(/LocalResponseNorm was built for input \[N, 2, 3, 3\], got \[1, 3, 3, 3\]/);
  });
});
