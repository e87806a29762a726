/**
 * `nn summary DIR`: what a saved model is — its layers with output shapes and parameter counts, the data
 * it was trained on and how its inputs are encoded, its classes, the recipe, how far it trained, and its
 * test accuracy. Works on every saved model: nn train's (any dataset, zoo or spec) and the library's own.
 */
import { Command } from 'commander';
import { formatPercent } from './progress';
import { loadModelDir } from './model-dir';

export function registerSummary(program: Command): void {
  program
    .command('summary')
    .description('layers, shapes, parameter counts and training record of a saved model')
    .argument('<dir>', 'the model directory (written by nn train or the library\'s save)')
    .action(async (dir: string) => {
      runSummary(dir);
    });
}

export function runSummary(dir: string): void {
  const model = loadModelDir(dir);
  const lines: string[] = [];
  const meta = model.trained;
  const data = meta?.run?.data;
  const dataName = meta ? (data?.path ?? (meta.dataset === 'mnist' ? 'MNIST' : meta.dataset)) : undefined;
  lines.push(`model in ${dir}${meta ? `: ${meta.model} (${dataName})` : ' (saved without nn train metadata)'}`);
  if (meta?.spec?.description) lines.push(meta.spec.description);
  lines.push('');
  lines.push(model.net.summary());
  lines.push('');
  const input = model.input;
  if (input?.kind === 'pixels') {
    lines.push(`input normalisation: x = (pixel/255 − ${input.normalization.mean.toFixed(4)}) / ${input.normalization.std.toFixed(4)}`);
  } else if (input?.kind === 'features') {
    const f = input.features;
    const shown = f.columns.slice(0, 8).join(', ') + (f.columns.length > 8 ? `, … (${f.columns.length} in all)` : '');
    lines.push(`input: ${f.columns.length} CSV feature columns (${shown}), label column "${f.labelColumn}"; ` +
      `${f.standardize ? 'standardised with the training mean and std' : 'as in the file'}, missing values filled with the training mean`);
  } else {
    lines.push(`input: [${model.net.inputShape.join(', ')}] per sample (no metadata says how to make it from a file)`);
  }
  if (model.classNames.some((n, k) => n !== String(k))) {
    lines.push(`classes (${model.classNames.length}): ${model.classNames.map((n, k) => `${k} = ${n}`).join(', ')}`);
  }
  if (meta?.run) {
    const r = meta.run;
    const noun = data?.format === 'csv' ? 'rows' : 'images';
    const split = data?.path
      ? `; test: ${data.test ?? `${data.testSplit ?? 0.2} held out at random (split seed ${data.splitSeed ?? 0})`}`
      : '';
    lines.push(
      `trained with: ${r.optimizer} lr ${r.lr}, schedule ${r.schedule}, batch ${r.batchSize}, weight decay ${r.weightDecay}, ` +
        `shift ±${r.shift}px, seed ${r.seed}; ${r.trainCount} training / ${r.validation} validation ${noun}${split}`,
    );
  }
  const training = model.training;
  if (training) {
    const h = training.history;
    const last = h.loss.length - 1;
    const val = h.valAccuracy.length > last && last >= 0 && h.valAccuracy[last] !== undefined ? `, validation accuracy ${formatPercent(h.valAccuracy[last])}` : '';
    lines.push(
      `progress: ${training.epoch}${meta?.run ? ` of ${meta.run.epochs}` : ''} epochs` +
        (last >= 0 ? ` (last: train loss ${h.loss[last].toFixed(4)}, accuracy ${formatPercent(h.accuracy[last])}${val})` : ''),
    );
  }
  if (model.optimizer) lines.push(`optimizer state: ${model.optimizer.kind}, ${model.optimizer.stepCount} steps (resumable with --resume ${dir})`);
  if (meta?.testAccuracy !== undefined) {
    lines.push(`test accuracy: ${formatPercent(meta.testAccuracy)} on ${meta.testSamples ?? '?'} ${data?.format === 'csv' ? 'rows' : 'images'}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
