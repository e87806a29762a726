/**
 * The browser test harness: a real headless Chromium (Debian's `chromium`, driven by playwright-core —
 * never a mock of the browser) and a static file server on 127.0.0.1 that can send the two headers a page
 * needs for cross-origin isolation (and so SharedArrayBuffer and threads). The launcher and the server live in
 * bench/chromium.ts, which the browser benchmark shares; the page helpers are here.
 *
 *   const server = await serveStatic({ root: dir, isolated: true });
 *   const browser = await launchChromium();
 *   const page = await openPage(browser, `${server.url}/index.html`);   // collects console errors
 *   ...
 *   await browser.close(); await server.close();
 *
 * Tests that need a browser call `chromiumPath()` first: where no browser exists (a developer machine
 * without it), it throws an error that says how to install one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';

export { chromiumPath, launchChromium, serveStatic, type ServeOptions, type StaticServer } from '../../bench/chromium';

/** Where screenshots and other artifacts of browser tests go (ignored by git). */
export const ARTIFACTS_DIR = path.resolve(__dirname, '../../test-artifacts');

export interface PageWithLog {
  page: Page;
  /** Console messages of type error, page errors (uncaught exceptions) and failed requests, in order. */
  errors: string[];
  /** Every console message, as "type: text". */
  console: string[];
}

/**
 * Opens `url` in a new page and records its console, uncaught errors and failed requests. `initScript` runs
 * in the page before any of its own scripts (e.g. `globalThis.NN_WASM_FMA = 0` to pin a kernel build).
 */
export async function openPage(browser: Browser, url: string, initScript?: string): Promise<PageWithLog> {
  const page = await browser.newPage();
  if (initScript !== undefined) await page.addInitScript(initScript);
  const errors: string[] = [];
  const consoleLines: string[] = [];
  page.on('console', (msg) => {
    consoleLines.push(`${msg.type()}: ${msg.text()}`);
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => errors.push(`requestfailed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  await page.goto(url);
  return { page, errors, console: consoleLines };
}

/** Saves a screenshot of `page` under test-artifacts/ for a person to look at; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
