/**
 * `npm run experiment:local-norm -- [--variant baseline|lcn-input|lrn-conv1] [--epochs N] [--seed S] [--threads T]`:
 * does local normalisation help the SimpleConvNet on MNIST? The `cnn` zoo model and its recipe exactly
 * as `nn train mnist --model cnn` runs them (55,000 training images, the last 5,000 for validation,
 * standardised pixels, ±1 px shifts, Adam 2e-3 cosine, batch 100, seed 1), in three variants:
 *   baseline    conv30@5×5-ReLU-pool2-affine100-ReLU-affine10
 *   lcn-input   LocalContrastNorm({ size: 9 }) on the input, then the baseline
 *   lrn-conv1   conv30@5×5-ReLU-LocalResponseNorm({ size: 5, alpha: 1e-4, beta: 0.75, k: 2 })-pool2-… (AlexNet's
 *               place: after the first convolution's ReLU, before pooling; its n, β, k, and α as Caffe's AlexNet
 *               writes it, i.e. divided by n — the paper's own α would be 5e-4 here)
 * Without --variant all three run one after the other. Prints the validation accuracy after each epoch
 * and the test accuracy (10,000 images) at the end; --json prints one JSON line per variant.
 * Data: NN_DATA_DIR, else the usual MNIST locations (see loadMnist).
 */
import { performance } from 'node:perf_hooks';
import { randomShift } from '../src/data/augment';
import { imagesToTensor, labelsToInt32, loadMnist, pixelStats } from '../src/data/mnist';
import { setThreads } from '../src/kernels/wasm/threads';
import type { Layer } from '../src/layers/layer';
import { LocalContrastNorm } from '../src/layers/local-contrast-norm';
import { LocalResponseNorm } from '../src/layers/local-response-norm';
import { SoftmaxCrossEntropy } from '../src/losses/softmax-cross-entropy';
import { MNIST_INPUT_SHAPE, mnistModel } from '../src/models/mnist';
import { Sequential } from '../src/net/sequential';
import { evaluate, fit } from '../src/net/train';
import { createOptimizer } from '../src/optimizers/factory';
import { scheduleFromSpec } from '../src/cli/schedule';

const VARIANTS = ['baseline', 'lcn-input', 'lrn-conv1'] as const;
type Variant = (typeof VARIANTS)[number];

function layersOf(variant: Variant): Layer[] {
  const base = mnistModel('cnn').layers(); // conv, ReLU, pool, flatten, affine, ReLU, affine
  if (variant === 'lcn-input') return [new LocalContrastNorm({ size: 9 }), ...base];
  if (variant === 'lrn-conv1') return [base[0], base[1], new LocalResponseNorm({ size: 5, alpha: 1e-4, beta: 0.75, k: 2 }), ...base.slice(2)];
  return base;
}

function parseArgs(argv: string[]): { variants: Variant[]; epochs: number; seed: number; threads: number; json: boolean } {
  const out = { variants: [...VARIANTS] as Variant[], epochs: mnistModel('cnn').recipe.epochs, seed: 1, threads: 1, json: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = (): string => inline ?? argv[++i];
    if (flag === '--variant') {
      const v = value();
      if (!(VARIANTS as readonly string[]).includes(v)) throw new RangeError(`--variant must be one of ${VARIANTS.join(', ')}, got ${JSON.stringify(v)}`);
      out.variants = [v as Variant];
    } else if (flag === '--epochs' || flag === '--seed' || flag === '--threads') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < (flag === '--seed' ? 0 : 1)) throw new RangeError(`${flag} must be an integer${flag === '--seed' ? ' ≥ 0' : ' ≥ 1'}`);
      out[flag.slice(2) as 'epochs' | 'seed' | 'threads'] = n;
    } else if (flag === '--json') out.json = true;
    else throw new RangeError(`unknown option ${argv[i]} (known: --variant, --epochs, --seed, --threads, --json)`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  setThreads(args.threads);
  const recipe = mnistModel('cnn').recipe;
  const data = await loadMnist({});
  const validationCount = 5000, trainCount = 60000 - validationCount, pixels = 28 * 28;
  const normalization = pixelStats(data.train.images, pixels, 0, trainCount);
  const toX = (images: Uint8Array, start: number, count: number) => imagesToTensor(images, 28, 28, start, count, normalization);
  const train = { x: toX(data.train.images, 0, trainCount), y: labelsToInt32(data.train.labels, 0, trainCount) };
  const validation = { x: toX(data.train.images, trainCount, validationCount), y: labelsToInt32(data.train.labels, trainCount, validationCount) };
  const test = { x: toX(data.test.images, 0, data.test.count), y: labelsToInt32(data.test.labels, 0, data.test.count) };
  for (const variant of args.variants) {
    const net = new Sequential(layersOf(variant), { inputShape: [...MNIST_INPUT_SHAPE], seed: args.seed });
    const loss = new SoftmaxCrossEntropy();
    const optimizer = createOptimizer(recipe.optimizer, { lr: recipe.lr, weightDecay: recipe.weightDecay });
    const batches = Math.ceil(trainCount / recipe.batchSize);
    const started = performance.now();
    const history = await fit(net, loss, optimizer, train, {
      epochs: args.epochs, batchSize: recipe.batchSize, seed: args.seed, validation,
      schedule: scheduleFromSpec(recipe.schedule, recipe.lr, args.epochs, batches),
      augment: randomShift({ maxShift: recipe.shift, fill: (0 - normalization.mean) / normalization.std }),
      onEpoch: (info) => {
        if (!args.json) {
          console.log(`${variant} epoch ${info.epoch}/${info.epochs}: loss ${info.loss.toFixed(4)}, validation accuracy ${(100 * (info.valAccuracy ?? NaN)).toFixed(2)} %, ${((performance.now() - started) / 1000).toFixed(0)} s`);
        }
      },
    });
    const result = evaluate(net, loss, test);
    const seconds = (performance.now() - started) / 1000;
    const line = { variant, epochs: args.epochs, seed: args.seed, testAccuracy: result.accuracy, testLoss: result.loss,
      validationAccuracy: history.valAccuracy?.at(-1), seconds: Math.round(seconds) };
    console.log(args.json ? JSON.stringify(line) : `${variant}: test accuracy ${(100 * result.accuracy).toFixed(2)} % (loss ${result.loss.toFixed(4)}) after ${args.epochs} epochs, ${seconds.toFixed(0)} s`);
  }
}

main().catch((err: Error) => {
  console.error(`local-norm-experiment: ${err.message}`);
  process.exit(1);
});
