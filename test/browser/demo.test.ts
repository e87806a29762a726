/**
 * The demo page in a real headless Chromium, served by the real `nn demo` (src/cli bundled for the tests, see run-nn.ts; real MNIST):
 * - it loads with no console error and no failed request, cross-origin isolated or not;
 * - digits of the MNIST test set, drawn on the pad with the mouse stroke by stroke, are classified as
 *   `nn predict` classifies the original images with the same (built-in) model;
 * - in-page training (a Worker; two threads when isolated) lowers the loss within seconds, the chart draws,
 *   the pad switches to the model being trained, and Stop stops it;
 * - without isolation the page says so and trains on one thread.
 * Screenshots go to test-artifacts/ for a person to look at.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage, screenshot } from '../helpers/browser';
import { startDemo, type RunningDemo } from '../cli/demo-server';
import { SHARED_MNIST, assertBuilt, nn } from '../cli/run-nn';
import { readMnist } from '../../src/node';

const ROOT = path.resolve(__dirname, '../..');
const BUILT_IN_MODEL = path.join(ROOT, 'dist', 'demo', 'model');
/** Test images drawn on the pad (the first few of the test set: 7, 2, 1, 0, 4). */
const DRAWN = [0, 1, 2, 3, 4];

let browser: Browser;

beforeAll(async () => {
  assertBuilt();
  expect(fs.existsSync(path.join(BUILT_IN_MODEL, 'model.json'))).toBe(true);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Opens the page and waits until its model has loaded (or failed to). */
async function openDemo(demo: RunningDemo) {
  const opened = await openPage(browser, demo.url);
  await opened.page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return opened;
}

/**
 * Draws a 28×28 image on the 280×280 pad as a person might trace it: each row's runs of ink (pixels ≥ 128)
 * become one mouse stroke, ten screen pixels per image pixel.
 */
async function drawDigit(page: Page, pixels: Uint8Array): Promise<void> {
  await page.click('#clear');
  const box = (await page.locator('#pad').boundingBox())!;
  const scale = box.width / 28;
  for (let y = 0; y < 28; y++) {
    let x = 0;
    while (x < 28) {
      if (pixels[y * 28 + x] < 128) {
        x++;
        continue;
      }
      const start = x;
      while (x < 28 && pixels[y * 28 + x] >= 128) x++;
      const cy = box.y + (y + 0.5) * scale;
      await page.mouse.move(box.x + (start + 0.5) * scale, cy);
      await page.mouse.down();
      await page.mouse.move(box.x + (x - 0.5) * scale, cy, { steps: 2 });
      await page.mouse.up();
    }
  }
  // The prediction follows at the next animation frame.
  await page.waitForFunction(() => document.getElementById('predicted-class')?.dataset.class !== undefined);
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

describe('cross-origin isolated (nn demo)', () => {
  let demo: RunningDemo;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    demo = await startDemo();
    ({ page, errors } = await openDemo(demo));
  });
  afterAll(async () => {
    await page?.close();
    await demo?.stop();
  });

  test('loads with its model, isolated, with no console error', async () => {
    const seen = await page.evaluate(() => ({
      isolated: globalThis.crossOriginIsolated,
      model: document.getElementById('model-name')?.textContent,
      threadChoices: document.querySelectorAll('#threads option').length,
      rows: document.querySelectorAll('#probabilities li').length,
    }));
    expect(seen.isolated).toBe(true);
    expect(seen.model).toMatch(/^served model: best, test accuracy 99\.\d\d %$/);
    expect(seen.threadChoices).toBeGreaterThan(1);
    expect(seen.rows).toBe(10);
    expect(errors).toEqual([]);
  });

  test('MNIST test digits drawn with the mouse get the class nn predict gives the image', async () => {
    const predicted = nn(['predict', BUILT_IN_MODEL, path.join(SHARED_MNIST, 't10k-images-idx3-ubyte.gz'), '--first', String(DRAWN.length), '--json']);
    expect(predicted.status).toBe(0);
    const expected = predicted.stdout.trim().split('\n').map((line) => JSON.parse(line).class as number);
    const { test: split } = readMnist(SHARED_MNIST);
    for (const index of DRAWN) {
      await drawDigit(page, split.images.subarray(index * 784, (index + 1) * 784));
      const shown = await page.evaluate(() => ({
        class: Number(document.getElementById('predicted-class')!.dataset.class),
        probabilities: [...document.querySelectorAll<HTMLElement>('#probabilities li')].map((li) => Number(li.dataset.p)),
      }));
      expect([index, shown.class]).toEqual([index, expected[index]]);
      expect(shown.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      if (index === 0) await screenshot(page, 'demo-drawn-digit');
    }
    expect(errors).toEqual([]);
  });

  test('in-page training on two threads lowers the loss within seconds; the pad follows it; Stop stops', async () => {
    await page.selectOption('#threads', '2');
    await page.click('#start');
    // Until a few thousand samples are trained and the pad has received weights.
    await page.waitForFunction(
      () => Number(document.getElementById('stat-seen')!.textContent!.replace(/,/g, '')) >= 3000 && document.body.dataset.padModel === 'trained',
      undefined,
      { timeout: 90_000, polling: 250 },
    );
    const during = await page.evaluate(() => ({
      firstLoss: Number(document.body.dataset.firstLoss),
      loss: Number(document.body.dataset.loss),
      threads: document.getElementById('stat-threads')!.textContent,
      rate: Number(document.getElementById('stat-rate')!.textContent!.replace(/,/g, '')),
      lossSeries: document.querySelectorAll('#loss-chart svg path.series').length,
      status: document.getElementById('status')!.textContent,
      modelName: document.getElementById('model-name')!.textContent,
    }));
    expect(during.status).not.toMatch(/failed|not possible/);
    expect(during.threads).toBe('2 (wasm kernels)');
    expect(during.rate).toBeGreaterThan(0);
    expect(during.loss).toBeLessThan(during.firstLoss / 2);
    expect(during.lossSeries).toBe(2);
    expect(during.modelName).toMatch(/^the model being trained: SimpleConvNet/);
    // The page stays usable while the Worker trains: a drawing is classified by the model being trained.
    const { test: split } = readMnist(SHARED_MNIST);
    await drawDigit(page, split.images.subarray(0, 784));
    await page.waitForSelector('#accuracy-chart svg path.series', { timeout: 30_000 });
    await screenshot(page, 'demo-training');
    await page.click('#stop');
    await page.waitForFunction(() => document.body.dataset.training === 'stopped', undefined, { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(/^stopped after [\d,]+ samples in [\d.]+ s$/);
    expect(await page.isDisabled('#stop')).toBe(true);
    expect(await page.isEnabled('#start')).toBe(true);
    expect(errors).toEqual([]);
  });
});

describe('not isolated (nn demo --no-isolation)', () => {
  test('the page says so, offers one thread, classifies and trains without a console error', async () => {
    const demo = await startDemo(['--no-isolation']);
    const { page, errors } = await openDemo(demo);
    try {
      const seen = await page.evaluate(() => ({
        isolated: globalThis.crossOriginIsolated,
        note: document.getElementById('isolation')!.textContent,
        threads: [...document.querySelectorAll<HTMLOptionElement>('#threads option')].map((o) => o.value),
      }));
      expect(seen).toEqual({ isolated: false, note: expect.stringMatching(/not cross-origin isolated, so training runs on one thread/), threads: ['1'] });
      const { test: split } = readMnist(SHARED_MNIST);
      await drawDigit(page, split.images.subarray(0, 784));
      expect(await page.textContent('#predicted-class')).toBe('7');
      await page.click('#start');
      await page.waitForFunction(() => Number(document.getElementById('stat-seen')!.textContent!.replace(/,/g, '')) >= 1000, undefined, { timeout: 90_000, polling: 250 });
      expect(await page.textContent('#stat-threads')).toBe('1 (wasm kernels)');
      expect(Number(await page.evaluate(() => document.body.dataset.loss))).toBeLessThan(Number(await page.evaluate(() => document.body.dataset.firstLoss)));
      await page.click('#stop');
      await page.waitForFunction(() => document.body.dataset.training === 'stopped', undefined, { timeout: 30_000 });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await demo.stop();
    }
  });
});
