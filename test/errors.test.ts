/**
 * One error class for "an option that cannot work", whichever sheet finds it: layers, losses, Sequential,
 * gradCheck, optimizers, schedules and fit all throw OptionError (the CLI prints its message alone, without
 * a stack), naming the owner and the option; a misspelt option is refused, never ignored.
 */
import {
  AdaGrad, Adam, Affine, AvgPool, BatchNorm, Conv2D, Dropout, Flatten, LocalContrastNorm, LocalResponseNorm, MaxPool, MeanSquaredError, OptionError, ReLU, SGD,
  Sequential, ShapeError, Sigmoid, SoftmaxCrossEntropy, Tanh, cosineSchedule, evaluate, gradCheck, layerFromConfig, tensor,
} from '../src';
import { OptionError as NetOptionError } from '../src/net/errors';
import { Rng } from '../src/random';

const built = new Affine({ units: 2 });
built.build([3], new Rng(0));
const net = new Sequential([new Affine({ units: 2 })], { inputShape: [3] });

const cases: [string, () => unknown, RegExp][] = [
  ['Affine units', () => new Affine({ units: 0 }), /^Affine: option "units" must be a positive integer, got 0$/],
  ['Affine misspelt option', () => new Affine({ units: 2, bias: false } as never), /^Affine: unknown option "bias" \(known: units, init, useBias\)$/],
  ['Affine init', () => new Affine({ units: 2, init: 'lecun' as never }), /^Affine: option "init" must be one of 'he', 'xavier', got "lecun"$/],
  ['Conv2D useBias', () => new Conv2D({ filters: 1, kernelSize: 3, useBias: 'no' as never }), /^Conv2D: option "useBias" must be true or false, got "no"$/],
  ['Conv2D misspelt option', () => new Conv2D({ filters: 1, kernel_size: 3 } as never), /^Conv2D: unknown option "kernel_size"/],
  ['MaxPool stride', () => new MaxPool({ size: 2, stride: 0 }), /^MaxPool: option "stride" must be a positive integer/],
  ['MaxPool misspelt option', () => new MaxPool({ size: 2, strides: 1 } as never), /^MaxPool: unknown option "strides"/],
  ['AvgPool padding', () => new AvgPool({ size: 2, padding: 2 }), /^AvgPool: option "padding" \(2×2\) must be smaller than the window 2×2/],
  ['BatchNorm eps', () => new BatchNorm({ eps: 0 }), /^BatchNorm: option "eps" must be a finite number > 0, got 0$/],
  ['BatchNorm options', () => new BatchNorm(null as never), /^BatchNorm needs an options object like \{ momentum: 0\.9, eps: 1e-5 \}, got null$/],
  ['Dropout rate', () => new Dropout({ rate: 1 }), /^Dropout: option "rate" must be a number in \[0, 1\)/],
  ['Dropout misspelt option', () => new Dropout({ rate: 0.5, p: 0.1 } as never), /^Dropout: unknown option "p" \(known: rate\)$/],
  ['LocalResponseNorm size', () => new LocalResponseNorm({ size: 0 }), /^LocalResponseNorm: option "size" must be a positive integer, got 0$/],
  ['LocalResponseNorm misspelt option', () => new LocalResponseNorm({ size: 5, bias: 1 } as never), /^LocalResponseNorm: unknown option "bias" \(known: size, alpha, beta, k\)$/],
  ['LocalContrastNorm sigma', () => new LocalContrastNorm({ sigma: 0 }), /^LocalContrastNorm: option "sigma" must be a finite number > 0, got 0$/],
  ['ReLU takes no options', () => new ReLU({ leak: 0.1 } as never), /^ReLU: unknown option "leak" \(it takes no options\)$/],
  ['Sigmoid takes no options', () => new Sigmoid({ a: 1 } as never), /^Sigmoid: unknown option "a"/],
  ['Tanh takes no options', () => new Tanh({ a: 1 } as never), /^Tanh: unknown option "a"/],
  ['Flatten takes no options', () => new Flatten({ a: 1 } as never), /^Flatten: unknown option "a"/],
  ['SoftmaxCrossEntropy takes no options', () => new SoftmaxCrossEntropy({ a: 1 } as never), /^SoftmaxCrossEntropy: unknown option "a"/],
  ['MeanSquaredError takes no options', () => new MeanSquaredError({ a: 1 } as never), /^MeanSquaredError: unknown option "a"/],
  ['unknown layer kind', () => layerFromConfig('Swish', {}), /^unknown layer kind "Swish"/],
  ['Sequential seed', () => new Sequential([new ReLU()], { inputShape: [2], seed: 0.5 }), /^Sequential: option "seed" must be an integer, got 0\.5$/],
  ['Sequential misspelt option', () => new Sequential([new ReLU()], { inputShape: [2], sed: 1 } as never), /^Sequential: unknown option "sed"/],
  ['Sequential empty', () => new Sequential([], { inputShape: [2] }), /^Sequential: layers must not be empty/],
  ['gradCheck epsilon', () => gradCheck(built, tensor([1, 3]), { epsilon: -1 }), /^gradCheck: option "epsilon" must be a finite number > 0, got -1$/],
  ['gradCheck misspelt option', () => gradCheck(built, tensor([1, 3]), { tol: 1e-3 } as never), /^gradCheck: unknown option "tol"/],
  ['gradCheck training', () => gradCheck(built, tensor([1, 3]), { training: 1 as never }), /^gradCheck: option "training" must be true or false, got 1$/],
  ['SGD lr', () => new SGD({ lr: -1 }), /^SGD: option "lr" must be a finite number > 0, got -1$/],
  ['Adam misspelt option', () => new Adam({ beta_1: 0.9 } as never), /^Adam: unknown option "beta_1"/],
  ['AdaGrad eps', () => new AdaGrad({ eps: '1e-8' as never }), /^AdaGrad: option "eps" must be a finite number > 0, got "1e-8"$/],
  ['cosine schedule', () => cosineSchedule({ lr: 0.1, epochs: 0 }), /^cosine schedule: option "epochs" must be a positive integer, got 0$/],
  ['evaluate batchSize', () => evaluate(net, new SoftmaxCrossEntropy(), { x: tensor([1, 3]), y: Int32Array.of(0) }, 0), /^evaluate: option "batchSize" must be a positive integer, got 0$/],
];

test.each(cases)('%s: an OptionError naming the owner and the option', (_name, make, message) => {
  let error: unknown;
  try {
    make();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(OptionError);
  expect(error).toBeInstanceOf(RangeError); // what these errors were before, so older catch blocks still work
  expect((error as Error).name).toBe('OptionError');
  expect((error as Error).message).toMatch(message);
});

test('net/errors re-exports the same class (one OptionError in the library)', () => {
  expect(NetOptionError).toBe(OptionError);
});

test('a shape that cannot work is a ShapeError, not an OptionError: BatchNorm training on one value per channel', () => {
  const layer = new BatchNorm();
  layer.build([3], new Rng(0));
  expect(() => layer.forward(tensor([1, 3]), true)).toThrow(ShapeError);
});

test.each([
  ['Affine', () => new Affine({ units: 2 }), [3], [2, 2]],
  ['ReLU', () => new ReLU(), [3], [2, 3]],
  ['Sigmoid', () => new Sigmoid(), [3], [2, 3]],
  ['Tanh', () => new Tanh(), [3], [2, 3]],
  ['Flatten', () => new Flatten(), [1, 2, 2], [2, 4]],
  ['Conv2D', () => new Conv2D({ filters: 2, kernelSize: 2 }), [1, 3, 3], [2, 2, 2, 2]],
  ['MaxPool', () => new MaxPool({ size: 2, stride: 1 }), [1, 3, 3], [2, 1, 2, 2]],
  ['AvgPool', () => new AvgPool({ size: 2, stride: 1 }), [1, 3, 3], [2, 1, 2, 2]],
  ['BatchNorm', () => new BatchNorm(), [3], [2, 3]],
  ['Dropout', () => new Dropout({ rate: 0.5 }), [3], [2, 3]],
  ['LocalResponseNorm', () => new LocalResponseNorm({ size: 3 }), [2, 1, 3], [2, 2, 1, 3]],
  ['LocalContrastNorm', () => new LocalContrastNorm({ size: 3 }), [2, 1, 3], [2, 2, 1, 3]],
] as const)('%s.backward with a dy of the wrong size: a ShapeError naming both shapes', (kind, make, sampleShape, outputShape) => {
  const layer = make();
  layer.build([...sampleShape], new Rng(1));
  layer.forward(tensor([2, ...sampleShape]), true);
  const wrong = tensor([2, 7]);
  expect(() => layer.backward(wrong)).toThrow(ShapeError);
  expect(() => layer.backward(wrong)).toThrow(`${kind}.backward: expected dy [${outputShape.join(', ')}], got [2, 7]`);
});
