/**
 * `nn summary DIR`: what a saved model is — its layers with output shapes and parameter counts, the
 * input normalisation, the recipe it was trained with, how far it trained, and its test accuracy.
 */
import { Command } from 'commander';
import { formatPercent } from './progress';
import { loadMnistModel } from './model-dir';

export function registerSummary(program: Command): void {
  program
    .command('summary')
    .description('layers, shapes, parameter counts and training record of a saved model')
    .argument('<dir>', 'the model directory (written by nn train)')
    .action(async (dir: string) => {
      runSummary(dir);
    });
}

export function runSummary(dir: string): void {
  const model = loadMnistModel(dir);
  const lines: string[] = [];
  const meta = model.mnist;
  lines.push(`model in ${dir}${meta ? `: ${meta.model} (MNIST)` : ''}`);
  lines.push('');
  lines.push(model.net.summary());
  lines.push('');
  lines.push(`input normalisation: x = (pixel/255 − ${model.normalization.mean.toFixed(4)}) / ${model.normalization.std.toFixed(4)}`);
  if (meta?.run) {
    const r = meta.run;
    lines.push(
      `trained with: ${r.optimizer} lr ${r.lr}, schedule ${r.schedule}, batch ${r.batchSize}, weight decay ${r.weightDecay}, ` +
        `shift ±${r.shift}px, seed ${r.seed}; ${r.trainCount} training / ${r.validation} validation images`,
    );
  }
  const training = model.training;
  if (training) {
    const h = training.history;
    const last = h.loss.length - 1;
    const val = h.valAccuracy.length > last && last >= 0 ? `, validation accuracy ${formatPercent(h.valAccuracy[last])}` : '';
    lines.push(
      `progress: ${training.epoch}${meta?.run ? ` of ${meta.run.epochs}` : ''} epochs` +
        (last >= 0 ? ` (last: train loss ${h.loss[last].toFixed(4)}, accuracy ${formatPercent(h.accuracy[last])}${val})` : ''),
    );
  }
  if (model.optimizer) lines.push(`optimizer state: ${model.optimizer.kind}, ${model.optimizer.stepCount} steps (resumable with --resume ${dir})`);
  if (meta?.testAccuracy !== undefined) {
    lines.push(`test accuracy: ${formatPercent(meta.testAccuracy)} on ${meta.testSamples ?? '?'} images`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
