/**
 * The training report: one self-contained HTML page (inline CSS, SVG charts, digits as data: PNGs; no script,
 * no request — its Content-Security-Policy forbids any) built from what a run leaves behind: the `History`,
 * the per-batch records, an evaluation, the model, the recipe, the time and the machine. Every part is
 * optional, so the same function draws the page after the first epoch, at the end, and for `nn eval`.
 *
 * Pure: a string from data, no DOM and no Node, so it runs in a browser too. Writing the file is
 * `writeReport` (Node side).
 */
import type { History } from '../net/train';
import type { Sequential } from '../net/sequential';
import { barChart, escapeXml, heatmap, lineChart, type LineSeries, PALETTE } from './chart';
import { batchCurves, epochCurves, type BatchRecords } from './curves';
import type { ClassificationEvaluation, Mistake } from './evaluation';
import { modelSummary, type ModelSummary } from './model-summary';
import { greyscalePngDataUri } from './png';

export type ReportValue = string | number | boolean | null | undefined;

/** The pixels of the evaluated samples, one image after another, in the evaluation's order. */
export interface ReportImages {
  /** Uint8Array in 0..255, or floats in any range (each image is then stretched from its min to its max). */
  pixels: ArrayLike<number>;
  width: number;
  height: number;
  /** Draw dark ink on light paper (default true; MNIST stores white digits on black). */
  ink?: boolean;
}

export interface ReportInput {
  /** The page's heading (default "Training report"). */
  title?: string;
  /** A line under the heading, e.g. the model's description. */
  subtitle?: string;
  /** Where the run stands: "training — epoch 3 of 10", "finished", … */
  status?: string;
  /** While training runs: the page reloads itself every this many seconds (0/undefined: never). */
  refreshSeconds?: number;
  /** When the page was written (shown in the footer; default: now). */
  generatedAt?: Date;
  history?: History;
  /** Per-batch records from a `TrainingRecorder` (only the batches trained in this process). */
  batches?: BatchRecords;
  /** The epochs the run will have in all (the x axes reach this far while training runs). */
  plannedEpochs?: number;
  evaluation?: ClassificationEvaluation;
  /** What was evaluated, e.g. "MNIST test set, first 1,000 images". */
  evaluationLabel?: string;
  /** Images of the evaluated samples, for the grid of worst mistakes. */
  images?: ReportImages;
  /** Names of the classes (default "0", "1", …). */
  classNames?: readonly string[];
  model?: ModelSummary | Sequential;
  /** Name → value tables, shown in the order given (undefined values are left out). */
  recipe?: Record<string, ReportValue>;
  performance?: Record<string, ReportValue>;
  machine?: Record<string, ReportValue>;
}

/** The report as one HTML document. */
export function reportHtml(input: ReportInput): string {
  const title = input.title ?? 'Training report';
  const generated = input.generatedAt ?? new Date();
  const refresh = input.refreshSeconds && input.refreshSeconds > 0 ? `<meta http-equiv="refresh" content="${Math.round(input.refreshSeconds)}">` : '';
  const body = [
    header(input, title),
    input.history && input.history.loss.length > 0 ? trainingSection(input.history, input.batches, input.plannedEpochs) : '',
    input.evaluation ? evaluationSection(input.evaluation, input) : '',
    input.model ? modelSection(isSequential(input.model) ? modelSummary(input.model) : input.model) : '',
    runSection(input),
    `<footer>Written by millefeuille on ${escapeXml(generated.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}. ` +
      'One self-contained file: no script, nothing loaded from the network.</footer>',
  ].join('\n');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    refresh,
    `<title>${escapeXml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].filter((line) => line !== '').join('\n');
}

// ---- sections ---------------------------------------------------------------------------------------------

function header(input: ReportInput, title: string): string {
  const figures: [string, string][] = [];
  const e = input.evaluation;
  if (e) figures.push(['test accuracy', percent(e.accuracy)]);
  const h = input.history;
  if (h && h.loss.length > 0) {
    const last = h.loss.length - 1;
    if (h.valAccuracy.length > 0) {
      const best = h.bestEpoch ?? h.valLoss.indexOf(Math.min(...h.valLoss)) + 1;
      figures.push(['validation accuracy', `${percent(h.valAccuracy[h.valAccuracy.length - 1])}`]);
      if (best >= 1 && best <= h.valAccuracy.length && h.valAccuracy.length > 1) figures.push(['best validation loss', `${fixed(h.valLoss[best - 1], 4)} (epoch ${best})`]);
    }
    figures.push(['training loss', fixed(h.loss[last], 4)]);
    figures.push(['epochs', input.plannedEpochs ? `${h.loss.length} of ${input.plannedEpochs}` : String(h.loss.length)]);
  }
  const trainTime = input.performance?.['training time'];
  if (typeof trainTime === 'string') figures.push(['training time', trainTime]);
  return [
    '<header>',
    `<h1>${escapeXml(title)}</h1>`,
    input.subtitle ? `<p class="subtitle">${escapeXml(input.subtitle)}</p>` : '',
    input.status ? `<p class="status">${escapeXml(input.status)}</p>` : '',
    figures.length > 0 ? `<dl class="figures">${figures.map(([k, v]) => `<div><dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd></div>`).join('')}</dl>` : '',
    '</header>',
  ].filter(Boolean).join('\n');
}

function trainingSection(history: History, batches: BatchRecords | undefined, plannedEpochs: number | undefined): string {
  const curves = epochCurves(history);
  const epochs = Math.max(history.loss.length, plannedEpochs ?? 0);
  const xDomain: [number, number] | undefined = epochs > 1 ? [1, epochs] : undefined;
  const size = { width: 460, height: 260 };
  const hasVal = history.valLoss.length > 0;
  const charts: string[] = [];
  const lossSeries: LineSeries[] = [{ name: 'training', points: curves.trainLoss, color: PALETTE[0] }];
  if (hasVal) lossSeries.push({ name: 'validation', points: curves.valLoss, color: PALETTE[1], dashed: true });
  charts.push(lineChart({ ...size, series: lossSeries, title: 'Loss per epoch', xLabel: 'epoch', yLabel: 'cross-entropy loss', xDomain, xIntegers: true }));
  const toPercent = (points: readonly (readonly [number, number])[]) => points.map(([x, y]) => [x, 100 * y] as const);
  const accuracySeries: LineSeries[] = [{ name: 'training', points: toPercent(curves.trainAccuracy), color: PALETTE[0] }];
  if (hasVal) accuracySeries.push({ name: 'validation', points: toPercent(curves.valAccuracy), color: PALETTE[1], dashed: true });
  charts.push(lineChart({ ...size, series: accuracySeries, title: 'Accuracy per epoch', xLabel: 'epoch', yLabel: 'accuracy (%)', xDomain, xIntegers: true }));

  const batchDomain: [number, number] = [0, Math.max(1, epochs)];
  if (batches && batches.loss.length > 0) {
    const b = batchCurves(batches);
    const first = Math.floor(batches.x[0] - 1e-9);
    const domain: [number, number] = [Math.max(0, first), batchDomain[1]];
    charts.push(lineChart({
      ...size,
      series: [
        { name: b.bucket > 1 ? `batch loss (mean of ${b.bucket})` : 'batch loss', points: b.loss, color: PALETTE[5], strokeWidth: 1, markers: false },
        { name: 'moving average', points: b.smoothed, color: PALETTE[0], markers: false },
        ...(hasVal ? [{ name: 'validation', points: curves.valLoss.filter(([x]) => x > domain[0]), color: PALETTE[1], dashed: true, markers: true }] : []),
      ],
      title: 'Training loss per batch', xLabel: 'epoch', yLabel: 'loss (log scale)', yScale: 'log', xDomain: domain, xIntegers: true,
    }));
    charts.push(lineChart({
      ...size,
      series: [{ name: 'learning rate', points: b.lr, color: PALETTE[2], markers: false }],
      title: 'Learning rate over the schedule', xLabel: 'epoch', yLabel: 'learning rate', xDomain: domain, xIntegers: true, yFormat: compactNumber,
    }));
  } else {
    charts.push(lineChart({
      ...size,
      series: [{ name: 'learning rate', points: curves.lr, color: PALETTE[2] }],
      title: 'Learning rate (last update of each epoch)', xLabel: 'epoch', yLabel: 'learning rate', xDomain, xIntegers: true, yFormat: compactNumber,
    }));
  }

  const hasValColumns = history.valLoss.length > 0;
  const rows = history.loss.map((loss, i) =>
    `<tr${history.bestEpoch === i + 1 && hasValColumns ? ' class="best"' : ''}><td>${i + 1}</td><td>${fixed(loss, 4)}</td><td>${percent(history.accuracy[i])}</td>` +
      (hasValColumns ? `<td>${fixed(history.valLoss[i], 4)}</td><td>${percent(history.valAccuracy[i])}</td>` : '') +
      `<td>${compactNumber(history.lr[i])}</td><td>${fixed(history.seconds[i], 1)}</td></tr>`,
  );
  const table =
    '<table class="epochs"><thead><tr><th>epoch</th><th>train loss</th><th>train acc.</th>' +
    (hasValColumns ? '<th>val. loss</th><th>val. acc.</th>' : '') +
    `<th>lr</th><th>seconds</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  const note = history.stopReason === 'early-stopping'
    ? `<p class="note">Stopped early: the validation loss had not improved since epoch ${history.bestEpoch ?? '?'}.</p>`
    : history.stopReason === 'aborted' ? '<p class="note">Interrupted before the planned epochs were done.</p>' : '';
  return [
    '<section id="training">',
    '<h2>Training</h2>',
    note,
    `<div class="charts">${charts.map((c) => `<figure>${c}</figure>`).join('')}</div>`,
    `<details${history.loss.length <= 12 ? ' open' : ''}><summary>Every epoch</summary>${table}</details>`,
    '</section>',
  ].filter(Boolean).join('\n');
}

function evaluationSection(e: ClassificationEvaluation, input: ReportInput): string {
  const names = Array.from({ length: e.classes }, (_, c) => input.classNames?.[c] ?? String(c));
  const matrix = heatmap({
    values: e.confusion, rowLabels: names, colLabels: names, splitDiagonal: true,
    title: 'Confusion matrix', xLabel: 'predicted class', yLabel: 'true class', cellSize: e.classes <= 10 ? 38 : 26,
  });
  const finite = e.perClass.flatMap((m) => [m.precision, m.recall]).filter(Number.isFinite);
  const low = finite.length > 0 ? Math.min(...finite) : 0;
  // Bars from 0 would all look full at 98 %; start the axis at a round value below the lowest bar and say so.
  const from = low > 0.5 ? Math.floor(low * 20 - 1e-9) / 20 : 0;
  const bars = barChart({
    categories: names,
    series: [
      { name: 'precision', values: e.perClass.map((m) => 100 * m.precision), color: PALETTE[0] },
      { name: 'recall', values: e.perClass.map((m) => 100 * m.recall), color: PALETTE[1] },
    ],
    yDomain: [Math.max(0, Math.round(from * 100)), 100],
    title: from > 0 ? `Precision and recall per class (axis from ${Math.round(Math.max(0, from) * 100)} %)` : 'Precision and recall per class',
    xLabel: 'class', yLabel: '%', width: 460, height: 260,
  });
  const perClassRows = e.perClass.map((m) =>
    `<tr><td>${escapeXml(names[m.label])}</td><td>${m.support}</td><td>${m.predictedCount}</td><td>${percent(m.precision)}</td><td>${percent(m.recall)}</td><td>${percent(m.f1)}</td></tr>`,
  );
  const wrong = e.samples - e.correct;
  return [
    '<section id="evaluation">',
    `<h2>${escapeXml(input.evaluationLabel ? `Evaluation: ${input.evaluationLabel}` : 'Evaluation')}</h2>`,
    `<p>Accuracy <strong>${percent(e.accuracy)}</strong>: ${e.correct.toLocaleString('en-US')} of ${e.samples.toLocaleString('en-US')} right, ` +
      `${wrong.toLocaleString('en-US')} wrong; mean cross-entropy loss ${fixed(e.loss, 4)}.</p>`,
    `<div class="charts"><figure>${matrix}<figcaption>Rows: the true class; columns: the answer. Blue: right answers; orange: confusions, ` +
      'darker for more (log scale, each colour against its own largest count).</figcaption></figure>' +
      `<figure>${bars}<table class="per-class"><thead><tr><th>class</th><th>images</th><th>answers</th><th>precision</th><th>recall</th><th>F1</th></tr></thead>` +
      `<tbody>${perClassRows.join('')}</tbody></table></figure></div>`,
    mistakesBlock(e.worst, wrong, names, input.images),
    '</section>',
  ].join('\n');
}

function mistakesBlock(worst: readonly Mistake[], wrong: number, names: readonly string[], images: ReportImages | undefined): string {
  const heading = `<h3>The ${worst.length} most confident mistakes${wrong > worst.length ? ` (of ${wrong.toLocaleString('en-US')})` : ''}</h3>`;
  if (worst.length === 0) return `${heading}<p class="note">No mistakes.</p>`;
  const explain = '<p class="note">Each wrong answer with the probability the model gave it, most confident first; under it the probability of the true class.</p>';
  const cells = worst.map((m) => {
    const picture = images ? `<img src="${digitDataUri(images, m.index)}" width="${images.width * 2}" height="${images.height * 2}" alt="sample ${m.index}">` : '';
    return (
      `<figure class="digit" data-index="${m.index}" data-label="${m.label}" data-predicted="${m.predicted}" title="sample #${m.index}">${picture}` +
      `<figcaption><span class="answer">${escapeXml(names[m.predicted])}</span> <span class="p">${percent(m.probability, 1)}</span><br>` +
      `<span class="truth">true ${escapeXml(names[m.label])}</span> <span class="p">${percent(m.labelProbability, 1)}</span></figcaption></figure>`
    );
  });
  return `${heading}\n${explain}\n<div class="digits">${cells.join('')}</div>`;
}

function modelSection(summary: ModelSummary): string {
  const rows = summary.layers.map((l) =>
    `<tr><td>${l.index}</td><td>${escapeXml(l.kind)}</td><td class="settings">${escapeXml(l.settings)}</td><td>${escapeXml(shape(l.outputShape))}</td><td>${l.params.toLocaleString('en-US')}</td></tr>`,
  );
  return [
    '<section id="model">',
    '<h2>Model</h2>',
    `<table class="layers"><thead><tr><th>#</th><th>layer</th><th>settings</th><th>output shape</th><th>parameters</th></tr></thead><tbody>` +
      `<tr><td></td><td>input</td><td></td><td>${escapeXml(shape(summary.inputShape))}</td><td></td></tr>${rows.join('')}</tbody>` +
      `<tfoot><tr><td></td><td colspan="3">total</td><td>${summary.totalParams.toLocaleString('en-US')}</td></tr></tfoot></table>`,
    '</section>',
  ].join('\n');
}

function runSection(input: ReportInput): string {
  const blocks = [
    ['Recipe', input.recipe],
    ['Time and throughput', input.performance],
    ['Machine', input.machine],
  ] as const;
  const parts = blocks
    .filter(([, table]) => table && Object.values(table).some((v) => v !== undefined))
    .map(([name, table]) => `<div><h3>${name}</h3>${definitionList(table!)}</div>`);
  if (parts.length === 0) return '';
  return `<section id="run">\n<h2>Run</h2>\n<div class="run">${parts.join('')}</div>\n</section>`;
}

function definitionList(table: Record<string, ReportValue>): string {
  const items = Object.entries(table)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v === null ? '–' : typeof v === 'number' ? compactNumber(v) : String(v))}</dd>`);
  return `<dl>${items.join('')}</dl>`;
}

// ---- helpers ----------------------------------------------------------------------------------------------

/** A digit's pixels as a PNG data URI: bytes as they are, floats stretched from the image's min to max. */
export function digitDataUri(images: ReportImages, index: number): string {
  const size = images.width * images.height;
  const offset = index * size;
  if (offset + size > images.pixels.length) {
    throw new RangeError(`report images: sample ${index} needs pixels up to ${offset + size}, only ${images.pixels.length} given`);
  }
  const bytes = new Uint8Array(size);
  if (images.pixels instanceof Uint8Array || images.pixels instanceof Uint8ClampedArray) {
    bytes.set(images.pixels.subarray(offset, offset + size));
  } else {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < size; i++) {
      min = Math.min(min, images.pixels[offset + i]);
      max = Math.max(max, images.pixels[offset + i]);
    }
    const scale = max > min ? 255 / (max - min) : 0;
    for (let i = 0; i < size; i++) bytes[i] = Math.round((images.pixels[offset + i] - min) * scale);
  }
  if (images.ink ?? true) for (let i = 0; i < size; i++) bytes[i] = 255 - bytes[i];
  return greyscalePngDataUri(bytes, images.width, images.height);
}

function isSequential(model: ModelSummary | Sequential): model is Sequential {
  return typeof (model as Sequential).forward === 'function';
}

function percent(fraction: number, decimals = 2): string {
  return Number.isFinite(fraction) ? `${(100 * fraction).toFixed(decimals)} %` : '–';
}

function fixed(value: number | undefined, decimals: number): string {
  return value !== undefined && Number.isFinite(value) ? value.toFixed(decimals) : '–';
}

/** 0.001 → "0.001", 2.5e-5 → "2.5e-5", 12345 → "12,345", 0.123456 → "0.1235". */
function compactNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3) {
    const [m, e] = value.toExponential(2).split('e');
    return `${Number(m)}e${Number(e)}`;
  }
  return String(Number(value.toPrecision(4)));
}

function shape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

const STYLE = `
:root { color-scheme: light; --ink: #1d1d1f; --muted: #6b6b70; --line: #e3e3e6; --paper: #fff; --panel: #f7f7f9; --accent: ${PALETTE[0]}; --warn: ${PALETTE[1]}; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1000px; padding: 24px 24px 40px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--paper); }
h1 { font-size: 24px; margin: 0 0 2px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
.subtitle { margin: 0; color: var(--muted); }
.status { display: inline-block; margin: 8px 0 0; padding: 2px 10px; border-radius: 10px; background: var(--panel); border: 1px solid var(--line); font-size: 13px; }
.figures { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0 0; }
.figures div { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 120px; }
.figures dt { font-size: 12px; color: var(--muted); }
.figures dd { margin: 0; font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 16px; }
figure { margin: 0; }
.charts figure { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.charts svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption, .note { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; }
th, td { padding: 3px 10px; text-align: right; border-bottom: 1px solid var(--line); }
th { font-weight: 600; color: var(--muted); }
td:first-child, th:first-child { text-align: left; }
table.layers td:nth-child(2), table.layers th:nth-child(2), table.layers td:nth-child(3), table.layers th:nth-child(3) { text-align: left; }
table.layers td.settings { color: var(--muted); font-size: 12px; }
table.per-class { margin: 8px auto 0; }
tr.best td { font-weight: 600; }
details summary { cursor: pointer; color: var(--muted); margin: 12px 0 6px; }
.digits { display: grid; grid-template-columns: repeat(auto-fill, minmax(92px, 1fr)); gap: 8px; }
.digit { border: 1px solid var(--line); border-radius: 6px; padding: 6px 4px 4px; text-align: center; background: var(--paper); }
.digit img { image-rendering: pixelated; display: block; margin: 0 auto 2px; border-radius: 3px; }
.digit figcaption { font-size: 12px; color: var(--ink); line-height: 1.3; }
.digit .answer { color: var(--warn); font-weight: 700; font-size: 15px; }
.digit .truth { color: var(--accent); font-weight: 600; }
.digit .p { color: var(--muted); font-size: 11px; }
.run { display: grid; grid-template-columns: repeat(auto-fill, minmax(290px, 1fr)); gap: 8px 24px; }
.run dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0; font-size: 13px; }
.run dt { color: var(--muted); }
.run dd { margin: 0; overflow-wrap: anywhere; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
`;
