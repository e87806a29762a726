/**
 * The browser harness itself: a real Chromium opens a page from the local server, with and without the
 * cross-origin-isolation headers, and the page sees the difference (SharedArrayBuffer only when isolated).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openPage, serveStatic } from '../helpers/browser';

let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-harness-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title><p id="p">hello</p>');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test.each([true, false])('a page served with isolated=%p sees crossOriginIsolated the same', async (isolated) => {
  const server = await serveStatic({ root: dir, isolated });
  try {
    const { page, errors } = await openPage(browser, `${server.url}/`);
    const seen = await page.evaluate(() => ({
      isolated: globalThis.crossOriginIsolated,
      sab: typeof SharedArrayBuffer === 'function',
      text: document.getElementById('p')?.textContent,
    }));
    expect(seen).toEqual({ isolated, sab: isolated, text: 'hello' });
    expect(errors).toEqual([]);
  } finally {
    await server.close();
  }
});

test('paths outside the served root are refused', async () => {
  const server = await serveStatic({ root: dir });
  try {
    const response = await fetch(`${server.url}/..%2F..%2Fetc%2Fpasswd`);
    expect([403, 404]).toContain(response.status);
  } finally {
    await server.close();
  }
});
