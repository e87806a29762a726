/**
 * A small net holding the twelve built-in layer kinds together, shared by the serialization and layer-separation
 * tests. Suites that must cover every registered kind, a new one included, build it from the registry's example
 * instead (test/helpers/every-kind.ts).
 */
import { Affine, Flatten, ReLU, Rng, Sequential, Sigmoid, Tanh, tensor, type Tensor } from '../../src';
import { AvgPool } from '../../src/layers/avgpool';
import { BatchNorm } from '../../src/layers/batchnorm';
import { Conv2D } from '../../src/layers/conv2d';
import { Dropout } from '../../src/layers/dropout';
import { LocalContrastNorm } from '../../src/layers/local-contrast-norm';
import { LocalResponseNorm } from '../../src/layers/local-response-norm';
import { MaxPool } from '../../src/layers/maxpool';

export const ALL_KINDS = [
  'LocalContrastNorm', 'Conv2D', 'LocalResponseNorm', 'MaxPool', 'AvgPool', 'BatchNorm', 'Dropout', 'Affine', 'ReLU', 'Sigmoid', 'Tanh', 'Flatten',
];

/** [1, 8, 8] images → 3 classes, through all twelve kinds. */
export function everyLayerNet(seed: number): Sequential {
  return new Sequential(
    [
      new LocalContrastNorm({ size: 5 }),
      new Conv2D({ filters: 3, kernelSize: 3, padding: 1 }),
      new LocalResponseNorm({ size: 2, alpha: 0.5 }),
      new BatchNorm({ momentum: 0.8 }),
      new ReLU(),
      new MaxPool({ size: 2 }),
      new Conv2D({ filters: 4, kernelSize: 3, padding: 1, init: 'xavier' }),
      new Tanh(),
      new AvgPool({ size: 2 }),
      new Flatten(),
      new Dropout({ rate: 0.25 }),
      new Affine({ units: 6 }),
      new Sigmoid(),
      new Affine({ units: 3, init: 'xavier' }),
    ],
    { inputShape: [1, 8, 8], seed },
  );
}

/** Images whose class is where the bright blob sits (left, middle, right): learnable by the net above. */
export function blobImages(n: number, seed: number): { x: Tensor; y: Int32Array } {
  const rng = new Rng(seed);
  const x = tensor([n, 1, 8, 8]);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(3);
    y[i] = c;
    for (let p = 0; p < 64; p++) {
      const col = p % 8;
      const inBlob = Math.floor(col / 3) === c;
      x.data[i * 64 + p] = (inBlob ? 1 : 0) + rng.gaussian(0, 0.2);
    }
  }
  return { x, y };
}
