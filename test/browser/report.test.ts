/**
 * The report page in a real browser: a short real `nn train mnist` run (real MNIST, the built CLI) writes
 * report.html; headless Chromium opens it and finds every chart and the digit grid drawn, with the right
 * number of elements, every digit image decoded, no console error (a Content-Security-Policy violation would
 * be one) and no request besides the page itself. Then `nn eval DIR --report` the same way. Screenshots go
 * to test-artifacts/ for a person to look at.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage, screenshot, serveStatic, type StaticServer } from '../helpers/browser';
import { assertBuilt, nn } from '../cli/run-nn';

let browser: Browser;
let server: StaticServer;
let tmp: string;
let trainOutput: string;

beforeAll(async () => {
  assertBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-report-browser-'));
  const result = nn(['train', 'mnist', '--model', 'mlp', '--limit', '2000', '--epochs', '2', '--validation', '500', '--test-limit', '1000', '--out', path.join(tmp, 'mlp')]);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  trainOutput = result.stdout;
  browser = await launchChromium();
  server = await serveStatic({ root: tmp });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** What the page drew, read from the live DOM. */
async function inspect(page: Page) {
  return page.evaluate(() => {
    const visible = (el: Element) => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && box.height > 0;
    };
    const charts = [...document.querySelectorAll('svg.line-chart')];
    return {
      title: document.title,
      lineCharts: charts.map((svg) => ({
        title: svg.getAttribute('aria-label'),
        series: svg.querySelectorAll('path.series').length,
        visible: visible(svg),
        // every drawn line has a length on screen
        drawn: [...svg.querySelectorAll('path.series')].every((p) => (p as SVGPathElement).getTotalLength() > 0),
      })),
      heatmapCells: document.querySelectorAll('svg.heatmap g.cell').length,
      heatmapTotal: [...document.querySelectorAll('svg.heatmap g.cell')].reduce((s, g) => s + Number(g.getAttribute('data-value')), 0),
      bars: document.querySelectorAll('svg.bar-chart rect.bar').length,
      perClassRows: document.querySelectorAll('table.per-class tbody tr').length,
      digits: document.querySelectorAll('.digits figure.digit').length,
      images: [...document.querySelectorAll('.digits img')].map((img) => ({
        complete: (img as HTMLImageElement).complete,
        width: (img as HTMLImageElement).naturalWidth,
        height: (img as HTMLImageElement).naturalHeight,
        visible: visible(img),
      })),
      mistakes: Number(/of ([\d,]+)\)/.exec(document.querySelector('#evaluation h3')?.textContent ?? '')?.[1].replace(/,/g, '') ?? NaN),
      figures: Object.fromEntries([...document.querySelectorAll('.figures div')].map((d) => [d.querySelector('dt')!.textContent, d.querySelector('dd')!.textContent])),
      layerRows: document.querySelectorAll('table.layers tbody tr').length,
      status: document.querySelector('.status')?.textContent,
      refresh: document.querySelector('meta[http-equiv="refresh"]') !== null,
    };
  });
}

async function open(file: string) {
  const requests: string[] = [];
  const opened = await openPage(browser, `${server.url}/${file}`);
  // openPage has loaded the page; requests made while it loaded went through the same page: count them now
  // by reloading with a listener attached (images in data: URIs make no request at all).
  opened.page.on('request', (req) => requests.push(req.url()));
  await opened.page.reload();
  await opened.page.setViewportSize({ width: 1100, height: 900 });
  return { ...opened, requests };
}

test('nn train writes report.html: four training charts, the confusion heat map, precision/recall, the worst digits', async () => {
  expect(fs.readdirSync(path.join(tmp, 'mlp')).map((f) => f.replace(/-[0-9a-f]{16}\.bin$/, '.bin')).sort()).toEqual(['model.json', 'optimizer.bin', 'report.html', 'weights.bin']);
  expect(trainOutput).toMatch(/; report: .*report\.html\n/);
  const { page, errors, requests } = await open('mlp/report.html');
  const seen = await inspect(page);
  await screenshot(page, 'report-train');
  expect(errors).toEqual([]);
  expect(requests).toEqual([`${server.url}/mlp/report.html`]);

  expect(seen.title).toBe('MNIST · mlp');
  expect(seen.status).toBe('finished: 2 of 2 epochs');
  expect(seen.refresh).toBe(false);
  expect(seen.lineCharts.map((c) => [c.title, c.series])).toEqual([
    ['Loss per epoch', 2], ['Accuracy per epoch', 2], ['Training loss per batch', 3], ['Learning rate over the schedule', 1],
  ]);
  expect(seen.lineCharts.every((c) => c.visible && c.drawn)).toBe(true);
  expect(seen.heatmapCells).toBe(100);
  expect(seen.heatmapTotal).toBe(1000);
  expect(seen.bars).toBe(20);
  expect(seen.perClassRows).toBe(10);
  // the test accuracy on the page is the one the CLI printed
  const printed = /test accuracy (\d+\.\d\d)%/.exec(trainOutput)![1];
  expect(seen.figures['test accuracy']).toBe(`${printed} %`);
  const wrong = Math.round(1000 * (1 - Number(printed) / 100));
  expect(seen.mistakes).toBe(wrong);
  expect(seen.digits).toBe(Math.min(32, wrong));
  expect(seen.images).toHaveLength(seen.digits);
  for (const img of seen.images) expect(img).toEqual({ complete: true, width: 28, height: 28, visible: true });
  // input + 6 layers of the MLP (Flatten, Affine, ReLU, Affine, ReLU, Affine)
  expect(seen.layerRows).toBe(7);
});

test('nn eval DIR --report writes the evaluation page of a saved model, with its saved per-epoch history', async () => {
  const result = nn(['eval', path.join(tmp, 'mlp'), 'mnist', '--test-limit', '500', '--report']);
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/report: .*eval-report\.html\n$/);
  const { page, errors, requests } = await open('mlp/eval-report.html');
  const seen = await inspect(page);
  await screenshot(page, 'report-eval');
  expect(errors).toEqual([]);
  expect(requests).toHaveLength(1);
  expect(seen.heatmapTotal).toBe(500);
  expect(seen.lineCharts.map((c) => c.title)).toEqual(['Loss per epoch', 'Accuracy per epoch', 'Learning rate (last update of each epoch)']);
  const printed = /test accuracy (\d+\.\d\d)%/.exec(result.stdout)![1];
  expect(seen.figures['test accuracy']).toBe(`${printed} %`);
  for (const img of seen.images) expect(img.width).toBe(28);
  expect(seen.digits).toBeGreaterThan(0);
});
