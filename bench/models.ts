/**
 * The models the bench trains (bench/run.ts) and the profile can time (bench/profile.ts `--model mlp-bench`):
 * one definition for both, so a profile shows the very step the bench measures. cnn is the zoo's
 * SimpleConvNet spelled out; mlp (784-100-10) is not the zoo's `mlp` (784-256-128-10 with Dropout).
 */
import { Affine } from '../src/layers/affine';
import { Conv2D } from '../src/layers/conv2d';
import { Flatten } from '../src/layers/flatten';
import type { Layer } from '../src/layers/layer';
import { MaxPool } from '../src/layers/maxpool';
import { ReLU } from '../src/layers/relu';
import { mnistModel } from '../src/models/mnist';

export const BENCH_MODEL_NAMES = ['mlp', 'cnn', 'best'] as const;

export const BENCH_MODELS: Record<string, () => Layer[]> = {
  mlp: () => [new Flatten(), new Affine({ units: 100 }), new ReLU(), new Affine({ units: 10, init: 'xavier' })],
  cnn: () => [
    new Conv2D({ filters: 30, kernelSize: 5 }), new ReLU(), new MaxPool({ size: 2 }), new Flatten(),
    new Affine({ units: 100 }), new ReLU(), new Affine({ units: 10, init: 'xavier' }),
  ],
  best: () => mnistModel('best').layers(),
};

export const BENCH_MODEL_TITLES: Record<string, string> = { mlp: 'MLP 784-100-10', cnn: 'SimpleConvNet', best: 'default model (best)' };
