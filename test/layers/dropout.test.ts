import { Dropout } from '../../src/layers/dropout';
import { Rng } from '../../src/random';
import { ShapeError, tensor } from '../../src/tensor';
import { randomArray } from '../helpers/window-cases';

describe('Dropout', () => {
  test('inference is the identity (and so is its backward)', () => {
    const layer = new Dropout({ rate: 0.5 });
    layer.build([3, 2, 2], new Rng(1));
    const x = tensor([2, 3, 2, 2], randomArray(24, new Rng(2)));
    const y = layer.forward(x, false);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
    const dy = tensor([2, 3, 2, 2], randomArray(24, new Rng(3)));
    expect(Array.from(layer.backward(dy).data)).toEqual(Array.from(dy.data));
  });

  test.each([0.1, 0.5, 0.8])('rate %p: the kept fraction is within 5σ of 1 − rate, kept values scaled by 1/(1 − rate)', (rate) => {
    const layer = new Dropout({ rate });
    layer.build([1000], new Rng(11));
    const x = tensor([20, 1000], new Float32Array(20000).fill(1));
    let kept = 0;
    let wrongScale = 0; // counted, not asserted per value: 200,000 expect() calls took seconds
    const draws = 10;
    const scale = Math.fround(1 / (1 - rate));
    for (let d = 0; d < draws; d++) {
      for (const v of layer.forward(x, true).data) {
        if (v !== 0) {
          if (v !== scale) wrongScale++;
          kept++;
        }
      }
    }
    expect(wrongScale).toBe(0);
    const n = draws * 20000;
    const sigma = Math.sqrt(n * rate * (1 - rate));
    expect(Math.abs(kept - n * (1 - rate))).toBeLessThan(5 * sigma);
  });

  test('the expected output equals the input: the mean over many draws is within 5σ of x', () => {
    const rate = 0.3;
    const layer = new Dropout({ rate });
    layer.build([50], new Rng(12));
    const x = tensor([1, 50], randomArray(50, new Rng(13), -2, 2));
    const draws = 4000;
    const sums = new Float64Array(50);
    for (let d = 0; d < draws; d++) {
      const y = layer.forward(x, true).data;
      for (let i = 0; i < 50; i++) sums[i] += y[i];
    }
    for (let i = 0; i < 50; i++) {
      // Var(y) = x²·rate/(1 − rate) per draw.
      const sigma = Math.abs(x.data[i]) * Math.sqrt(rate / (1 - rate) / draws);
      expect(Math.abs(sums[i] / draws - x.data[i])).toBeLessThanOrEqual(5 * sigma + 1e-9);
    }
  });

  test('backward multiplies by the same mask; a seeded net draws the same masks', () => {
    const masks = (seed: number) => {
      const layer = new Dropout({ rate: 0.5 });
      layer.build([16], new Rng(seed));
      const x = tensor([2, 16], new Float32Array(32).fill(1));
      const y = Array.from(layer.forward(x, true).data);
      const dx = Array.from(layer.backward(tensor([2, 16], new Float32Array(32).fill(3))).data);
      expect(dx).toEqual(y.map((v) => v * 3));
      return y;
    };
    expect(masks(5)).toEqual(masks(5));
    expect(masks(5)).not.toEqual(masks(6));
  });

  test('setFrozen(true) reuses the last mask; thawed, every forward draws a new one', () => {
    const layer = new Dropout({ rate: 0.5 });
    layer.build([64], new Rng(7));
    const x = tensor([1, 64], new Float32Array(64).fill(1));
    const first = Array.from(layer.forward(x, true).data);
    layer.setFrozen(true);
    expect(Array.from(layer.forward(x, true).data)).toEqual(first);
    expect(Array.from(layer.forward(x, true).data)).toEqual(first);
    layer.setFrozen(false);
    expect(Array.from(layer.forward(x, true).data)).not.toEqual(first);
    // Frozen before any forward: one mask is drawn, then kept.
    const fresh = new Dropout({ rate: 0.5 });
    fresh.build([64], new Rng(8));
    fresh.setFrozen(true);
    const a = Array.from(fresh.forward(x, true).data);
    expect(Array.from(fresh.forward(x, true).data)).toEqual(a);
  });

  test('rate 0 keeps everything; config() returns the rate', () => {
    const layer = new Dropout({ rate: 0 });
    layer.build([4], new Rng(0));
    expect(Array.from(layer.forward(tensor([1, 4], [1, 2, 3, 4]), true).data)).toEqual([1, 2, 3, 4]);
    expect(new Dropout({ rate: 0.25 }).config()).toEqual({ rate: 0.25 });
  });

  test('bad input names the layer and the value', () => {
    expect(() => new Dropout({ rate: 1 })).toThrow(/Dropout: option "rate" must be a number in \[0, 1\).*got 1$/);
    expect(() => new Dropout({ rate: Number.NaN })).toThrow(/Dropout: option "rate" .* got NaN/);
    expect(() => new Dropout({ rate: -0.1 })).toThrow(/Dropout: option "rate" .* got -0.1/);
    expect(() => new Dropout({ rate: '0.5' as never })).toThrow(/Dropout: option "rate" .* got "0.5"/);
    expect(() => new Dropout({} as never)).toThrow(/Dropout: option "rate" .* got undefined/);
    expect(() => new Dropout({ rate: 0.5 }).forward(tensor([1, 2]), true)).toThrow(/Dropout is not built: call build\(inputShape, rng\)/);
    const layer = new Dropout({ rate: 0.5 });
    layer.build([4], new Rng(0));
    expect(() => layer.backward(tensor([2, 4]))).toThrow('Dropout.backward called before forward');
    expect(() => layer.forward(tensor([2, 5]), true)).toThrow(ShapeError);
    expect(() => layer.forward(tensor([2, 5]), true)).toThrow(/Dropout was built for input \[N, 4\], got \[2, 5\]/);
  });
});
