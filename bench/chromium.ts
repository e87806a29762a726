/**
 * A real headless Chromium and a static file server, for the browser tests (test/helpers/browser.ts adds
 * their page helpers) and the browser benchmark (bench/browser.ts): Debian's `chromium`, driven by
 * playwright-core — never a mock of the browser — and a server on 127.0.0.1 that can send the two headers a
 * page needs for cross-origin isolation (and so SharedArrayBuffer and threads).
 *
 * `.ci/run` installs Debian's chromium when it is missing. `chromiumPath()` throws an error that says how to
 * install one where no browser exists, so a browser test never passes by being skipped silently.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

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
    throw new Error('no Chromium found (the browser tests and npm run bench -- --browser need one): install it with `apt-get install -y --no-install-recommends chromium` (as .ci/run does) or set NN_CHROMIUM');
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

