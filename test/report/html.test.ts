/**
 * The report page from data alone (no training): every part present when its data is, counted; nothing that
 * would load from the network; escaped text; partial inputs (after the first epoch, evaluation only) work.
 * The real page from a real training is opened in Chromium by test/browser/report.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Affine } from '../../src/layers/affine';
import { Flatten } from '../../src/layers/flatten';
import { ReLU } from '../../src/layers/relu';
import type { History } from '../../src/net/train';
import { Sequential } from '../../src/net/sequential';
import { Rng } from '../../src/random';
import { tensor } from '../../src/tensor';
import { classificationEvaluation } from '../../src/report/evaluation';
import { digitDataUri, reportHtml, type ReportInput } from '../../src/report/html';
import { writeReport } from '../../src/report/write';
import { assertWellFormed, countTags } from './xml';

const rng = new Rng(7);
const n = 200;
const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
// Scores that are right most of the time: the label's logit gets a head start.
const scores = tensor([n, 10], Array.from({ length: n * 10 }, (_, k) => rng.gaussian() + (k % 10 === labels[Math.floor(k / 10)] ? 2.5 : 0)));
const evaluation = classificationEvaluation(scores, labels, { worst: 12 });
const pixels = Uint8Array.from({ length: n * 16 }, (_, i) => (i * 37) & 255);
const history: History = {
  loss: [0.9, 0.5, 0.3], accuracy: [0.7, 0.85, 0.9], valLoss: [0.8, 0.55, 0.45], valAccuracy: [0.72, 0.82, 0.86],
  lr: [0.01, 0.005, 0.001], seconds: [1.5, 1.4, 1.4], stopReason: 'completed', bestEpoch: 3,
};
const batches = { x: Array.from({ length: 30 }, (_, i) => (i + 1) / 10), loss: Array.from({ length: 30 }, (_, i) => 2 / (1 + i)), lr: Array.from({ length: 30 }, () => 0.01) };
const net = new Sequential([new Flatten(), new Affine({ units: 8 }), new ReLU(), new Affine({ units: 10 })], { inputShape: [1, 4, 4], seed: 1 });

const full: ReportInput = {
  title: 'A <test> & report', subtitle: 'tiny', status: 'finished', history, batches, plannedEpochs: 3, evaluation,
  evaluationLabel: '200 made-up samples', images: { pixels, width: 4, height: 4 }, model: net,
  recipe: { optimizer: 'sgd', 'learning rate': 0.01, seed: 1, skipped: undefined }, performance: { 'training time': '4s' },
  machine: { cores: 2, node: 'v20' }, generatedAt: new Date('2026-01-02T03:04:05Z'),
};

describe('the full report', () => {
  const html = reportHtml(full);

  test('is one well-formed document, self-contained: no script, no external URL, a CSP that forbids loading', () => {
    assertWellFormed(html.replace(/^<!doctype html>\n/, ''));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(`content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"`);
    const urls = [...html.matchAll(/(?:href|src)="([^"]*)"/g)].map((m) => m[1]);
    expect(urls.every((u) => u.startsWith('data:image/png;base64,'))).toBe(true);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    expect(html).not.toContain('http-equiv="refresh"');
  });

  test('training: four charts (loss, accuracy, batch loss, learning rate) and a row per epoch', () => {
    const training = /<section id="training">[\s\S]*?<\/section>/.exec(html)![0];
    expect(countTags(training, 'svg', 'line-chart')).toBe(4);
    expect(countTags(training, 'path', 'series')).toBe(2 + 2 + 3 + 1);
    expect(training).toContain('Learning rate over the schedule');
    expect((training.match(/<tr/g) ?? []).length).toBe(1 + 3);
    expect(training).toContain('<tr class="best"><td>3</td>');
  });

  test('evaluation: a 10×10 heat map, precision/recall bars, a table row per class, one figure per worst mistake', () => {
    const section = /<section id="evaluation">[\s\S]*?<\/section>/.exec(html)![0];
    expect(countTags(section, 'g', 'cell')).toBe(100);
    expect(countTags(section, 'rect', 'bar')).toBe(20);
    expect((/<table class="per-class">[\s\S]*?<\/table>/.exec(section)![0].match(/<tr>/g) ?? []).length).toBe(11);
    expect(countTags(section, 'figure', 'digit')).toBe(12);
    expect(countTags(section, 'img')).toBe(12);
    expect(section).toContain(`${evaluation.correct} of 200 right`);
    const first = evaluation.worst[0];
    expect(section).toContain(`data-index="${first.index}" data-label="${first.label}" data-predicted="${first.predicted}"`);
  });

  test('model, recipe, time and machine; text escaped', () => {
    const model = /<section id="model">[\s\S]*?<\/section>/.exec(html)![0];
    expect((model.match(/<tr>/g) ?? []).length).toBe(1 + 1 + 4 + 1);
    expect(model).toContain('<td>Affine</td><td class="settings">units 8');
    expect(model).toContain(`<td>${net.parameterCount()}</td>`);
    expect(html).toContain('<dt>learning rate</dt><dd>0.01</dd>');
    expect(html).not.toContain('skipped');
    expect(html).toContain('<dt>cores</dt><dd>2</dd>');
    expect(html).toContain('<title>A &lt;test&gt; &amp; report</title>');
    expect(html).toContain('2026-01-02 03:04:05 UTC');
  });
});

test('after the first epoch: charts of what exists, the page reloads itself, no evaluation yet', () => {
  const html = reportHtml({ history: { ...history, loss: [0.9], accuracy: [0.7], valLoss: [0.8], valAccuracy: [0.72], lr: [0.01], seconds: [1] }, plannedEpochs: 5, refreshSeconds: 30 });
  assertWellFormed(html.replace(/^<!doctype html>\n/, ''));
  expect(html).toContain('<meta http-equiv="refresh" content="30">');
  expect(countTags(html, 'svg', 'line-chart')).toBe(3); // no batches: the lr chart is per epoch
  expect(html).not.toContain('id="evaluation"');
  expect(html).toContain('<dd>1 of 5</dd>');
});

test('an evaluation alone (nn eval of a model without history), without images: mistakes listed, no digits drawn', () => {
  const html = reportHtml({ evaluation });
  assertWellFormed(html.replace(/^<!doctype html>\n/, ''));
  expect(html).not.toContain('id="training"');
  expect(countTags(html, 'figure', 'digit')).toBe(12);
  expect(countTags(html, 'img')).toBe(0);
});

test('digitDataUri: bytes as they are (inverted to ink), floats stretched per image; a missing image is an error', () => {
  const images = { pixels: Uint8Array.from([0, 255, 128, 64]), width: 2, height: 2 };
  const decode = (uri: string) => Buffer.from(uri.split(',')[1], 'base64');
  const inked = decode(digitDataUri(images, 0));
  const plain = decode(digitDataUri({ ...images, ink: false }, 0));
  expect(inked.equals(plain)).toBe(false);
  const floats = { pixels: Float32Array.from([-1, 1, 0, 0.5]), width: 2, height: 2, ink: false };
  const bytes = { pixels: Uint8Array.from([0, 255, 128, 191]), width: 2, height: 2, ink: false };
  expect(digitDataUri(floats, 0)).toBe(digitDataUri(bytes, 0));
  expect(() => digitDataUri(images, 1)).toThrow(/sample 1/);
});

test('writeReport writes atomically: the file appears whole, no temporary file is left', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-report-'));
  try {
    const file = writeReport(path.join(dir, 'report.html'), full);
    expect(fs.readdirSync(dir)).toEqual(['report.html']);
    expect(fs.readFileSync(file, 'utf8')).toBe(reportHtml(full));
    expect(() => writeReport(path.join(dir, 'missing', 'report.html'), full)).toThrow(/cannot write the report .*missing/);
    expect(fs.readdirSync(dir)).toEqual(['report.html']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
