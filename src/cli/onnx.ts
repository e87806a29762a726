/**
 * `nn export DIR FILE.onnx` and `nn import FILE.onnx DIR`: a saved model to ONNX and an ONNX model to a model
 * directory. Export puts the input normalisation nn train saved in front of the net as its first nodes, so the
 * ONNX model takes what `nn predict` starts from, pixels/255. Import finds such a normalisation again (or takes
 * --normalize for a model that expects it done outside, like most PyTorch MNIST models) and writes a model
 * directory that `nn eval`, `nn predict` and `nn summary` use like any other.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { UNIT_SCALING, type Normalization } from '../data/mnist';
import { MODEL_FILE, load, save } from '../net/serialize';
import { importOnnx, toOnnx } from '../onnx/index';
import { MAX_OPSET, MIN_OPSET } from '../onnx/export';
import { formatShape, sizeOf } from '../tensor';
import { CliError } from './errors';
import type { RunConfig } from './model-dir';
import type { Sequential } from '../net/sequential';
import type { TrainingState } from '../net/train';
import type { Optimizer } from '../optimizers/optimizer';
import { createOptimizer } from '../optimizers/factory';
import { Rng } from '../random';

export function registerOnnx(program: Command): void {
  program
    .command('export')
    .description('write a saved model as an ONNX file (for onnxruntime, PyTorch, TensorRT…)')
    .argument('<dir>', 'the model directory (written by nn train or nn import)')
    .argument('<file>', 'the .onnx file to write')
    .option('--opset <n>', `ONNX opset, ${MIN_OPSET} to ${MAX_OPSET}`, (v) => opsetOption(v), MIN_OPSET)
    .option('--no-normalization', 'leave out the input normalisation: the ONNX model then takes normalised inputs')
    .addHelpText('after', `
The ONNX model's input is "input" [N, …] (N any batch size), its output "logits" [N, classes]. A model trained
by nn train takes pixels/255 (the normalisation it was trained with comes first in the graph), like nn predict.`)
    .action(async (dir: string, file: string, flags: { opset: number; normalization: boolean }) => {
      runExport(dir, file, flags);
    });

  program
    .command('import')
    .description('read an ONNX model (a chain of supported layers) into a model directory')
    .argument('<file>', 'the .onnx file')
    .argument('<dir>', 'the model directory to write (then: nn eval DIR mnist, nn predict DIR FILE)')
    .option('--normalize <mean,std>', 'the input normalisation the model expects, if it is not in the graph: x = (pixel/255 − mean)/std', normalizeOption)
    .option('--overwrite', 'replace a model already in DIR')
    .action(async (file: string, dir: string, flags: { normalize?: Normalization; overwrite?: boolean }) => {
      runImport(file, dir, flags);
    });
}

function opsetOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < MIN_OPSET || n > MAX_OPSET) {
    throw new InvalidArgumentError(`Expected an integer from ${MIN_OPSET} to ${MAX_OPSET}.`);
  }
  return n;
}

function normalizeOption(value: string): Normalization {
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[1] > 0)) {
    throw new InvalidArgumentError('Expected "mean,std" with a positive std (e.g. 0.1307,0.3081).');
  }
  return { mean: parts[0], std: parts[1] };
}

export function runExport(dir: string, file: string, flags: { opset: number; normalization: boolean }): void {
  if (!fs.existsSync(dir)) throw new CliError(`model directory ${dir} does not exist (train one with: nn train mnist --out ${dir})`);
  const model = load(dir);
  const stored = model.metadata?.normalization as Partial<Normalization> | undefined;
  const normalization = flags.normalization && stored && typeof stored.mean === 'number' && typeof stored.std === 'number'
    ? { mean: stored.mean, std: stored.std } : undefined;
  const bytes = toOnnx(model.net, {
    opset: flags.opset,
    ...(normalization ? { normalization } : {}),
    docString: `exported by millefeuille from ${path.basename(path.resolve(dir))}`,
  });
  writeAtomic(file, bytes);
  const input = normalization
    ? `raw inputs (pixels/255; the normalisation (x − ${normalization.mean.toFixed(4)}) / ${normalization.std.toFixed(4)} is inside)`
    : 'inputs as the net takes them';
  process.stdout.write(
    `wrote ${file} (${(bytes.length / 1024).toFixed(0)} KiB, opset ${flags.opset}): input "input" [N, ${model.net.inputShape.join(', ')}] of ${input}, ` +
      `output "logits" [N, ${model.net.outputShape.join(', ')}]\n`,
  );
}

export function runImport(file: string, dir: string, flags: { normalize?: Normalization; overwrite?: boolean }): void {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${(e as Error).message})`);
  }
  if (fs.existsSync(path.join(dir, MODEL_FILE)) && !flags.overwrite) {
    throw new CliError(`${dir} already holds a model; pass --overwrite to replace it, or choose another directory`);
  }
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new CliError(`${dir} is a file; give a directory to write the model in`);
  const imported = importOnnx(bytes);
  if (imported.normalization && flags.normalize) {
    const { mean, std } = imported.normalization;
    throw new CliError(`${file} already normalises its input ((x − ${mean}) / ${std} in the graph); leave out --normalize`);
  }
  const normalization = imported.normalization ?? flags.normalize ?? UNIT_SCALING;
  const { net } = imported;
  const mnistShaped = sizeOf(net.inputShape) === 28 * 28 && sizeOf(net.outputShape) === 10;
  // Greyscale images ([1, H, W], or 784 values) get the pixel normalisation nn eval and nn predict apply.
  const images = mnistShaped || (net.inputShape.length === 3 && net.inputShape[0] === 1);
  const metadata: Record<string, unknown> = {
    ...(images ? { dataset: mnistShaped ? 'mnist' : 'onnx', model: 'onnx', normalization } : {}),
    importedFrom: { file: path.basename(file), producer: imported.producer },
  };
  // An MNIST-shaped import is saved as a run that has trained 0 of 0 epochs (Adam 1e-3, batch 64, constant
  // rate, no shifts, seed 1, MNIST's usual split) with a fresh optimizer, so that fine-tuning is one command:
  // nn train mnist --resume DIR --epochs N continues it like any run nn train started.
  const resumable = mnistShaped ? fineTuneRun(net) : {};
  if (mnistShaped) metadata.run = FINE_TUNE_RUN;
  save(net, dir, { metadata, ...resumable });
  process.stdout.write(
    `wrote ${dir}: ${net.layers.length} layers (${net.layers.map((l) => l.kind).join(', ')}), input ${formatShape(net.inputShape)}, ` +
      `output ${formatShape(net.outputShape)}, from ${imported.producer}; ` +
      `input normalisation (x − ${normalization.mean}) / ${normalization.std}` +
      `${imported.normalization ? ' (found in the graph)' : flags.normalize ? ' (--normalize)' : ' (none: pass --normalize mean,std if the model expects one)'}\n` +
      (mnistShaped ? `evaluate it with: nn eval ${dir} mnist; fine-tune it with: nn train mnist --resume ${dir} --epochs 1\n` : ''),
  );
}

/** The recipe an imported MNIST model is fine-tuned with (`nn train mnist --resume DIR --epochs N`). */
const FINE_TUNE_RUN: RunConfig = {
  model: 'onnx', epochs: 0, batchSize: 64, optimizer: 'adam', lr: 1e-3, schedule: 'constant', weightDecay: 0, shift: 0,
  normalize: 'scale', seed: 1, trainCount: 55000, validation: 5000,
};

/** A fresh optimizer and the training state of a run at epoch 0, seeded as fit seeds a new run. */
function fineTuneRun(net: Sequential): { optimizer: Optimizer; training: TrainingState } {
  const run = FINE_TUNE_RUN;
  const root = new Rng(run.seed);
  const shuffleRng = root.fork();
  const augmentRng = root.fork();
  return {
    optimizer: createOptimizer(run.optimizer, { lr: run.lr, weightDecay: run.weightDecay }),
    training: {
      epoch: 0, step: 0, seed: run.seed, shuffleRng: shuffleRng.state(), augmentRng: augmentRng.state(), netRng: net.rng.state(),
      bestValLoss: null, bestEpoch: null, epochsWithoutImprovement: 0,
      history: { loss: [], accuracy: [], valLoss: [], valAccuracy: [], lr: [], seconds: [], stopReason: 'completed' },
    },
  };
}

/** Write to a temporary name in the same directory, then rename over the target. */
function writeAtomic(target: string, bytes: Uint8Array): void {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.writeFileSync(temp, bytes);
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new CliError(`cannot write ${target}: ${(err as Error).message}`);
  }
}
