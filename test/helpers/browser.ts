/**
 * The browser test harness: a real headless Chromium (Debian's `chromium`, driven by playwright-core —
 * never a mock of the browser) and a static file server on 127.0.0.1 that can send the two headers a page
 * needs for cross-origin isolation (and so SharedArrayBuffer and threads).
 *
 *   const server = await serveStatic({ root: dir, isolated: true });
 *   const browser = await launchChromium();
 *   const page = await openPage(browser, `${server.url}/index.html`);   // collects console errors
 *   ...
 *   await browser.close(); await server.close();
 *
 * `.ci/run` installs Debian's chromium when it is missing. Tests that need a browser call
 * `chromiumPath()` first: where no browser exists (a developer machine without it), it throws an error
 * that says how to install one — a browser test never passes by being skipped silently.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where screenshots and other artifacts of browser tests go (ignored by git). */
export const ARTIFACTS_DIR = path.resolve(__dirname, '../../test-artifacts');

const CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium binary to drive: $NN_CHROMIUM, else Debian's. */
export function chromiumPath(): string {
  const fromEnv = process.env.NN_CHROMIUM;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`NN_CHROMIUM=${fromEnv} does not exist`);
    return fromEnv;
  }
  const found = CANDIDATES.find((p) => fs.existsSync(p));
  if (found === undefined) {
    throw new Error('no Chromium found for the browser tests: install it with `apt-get install -y --no-install-recommends chromium` (as .ci/run does) or set NN_CHROMIUM');
  }
  return found;
}

/**
 * Headless Chromium with the flags this machine needs: no background networking (the network is closed,
 * and Chromium's own connections would be refused many at a time), a fresh profile per launch.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
  });
}

export interface PageWithLog {
  page: Page;
  /** Console messages of type error, page errors (uncaught exceptions) and failed requests, in order. */
  errors: string[];
  /** Every console message, as "type: text". */
  console: string[];
}

/** Opens `url` in a new page and records its console, uncaught errors and failed requests. */
export async function openPage(browser: Browser, url: string): Promise<PageWithLog> {
  const page = await browser.newPage();
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

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** The directory served at `/`. */
  root: string;
  /** Send COOP same-origin + COEP require-corp, so the page is crossOriginIsolated. */
  isolated?: boolean;
  /** Extra routes: an exact path → a handler (e.g. serving files from outside `root`). */
  routes?: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.map': 'application/json', '.gz': 'application/gzip',
};

/** A static server on 127.0.0.1 (a free port). Paths never leave `root`. */
export async function serveStatic(options: ServeOptions): Promise<StaticServer> {
  const root = path.resolve(options.root);
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (options.isolated) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cache-Control', 'no-store');
    const route = options.routes?.[pathname];
    if (route) return route(req, res);
    const file = path.resolve(root, '.' + (pathname.endsWith('/') ? pathname + 'index.html' : pathname));
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    fs.readFile(file, (err, body) => {
      if (err && pathname === '/favicon.ico') {
        res.writeHead(204).end(); // browsers ask for it unprompted; a 404 would show as a console error
        return;
      }
      if (err) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Saves a screenshot of `page` under test-artifacts/ for a person to look at; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
