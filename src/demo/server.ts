/**
 * The demo's web server (`nn demo`): a static site, one model and the MNIST files, on 127.0.0.1 only.
 *
 *   /                          the site: index.html, the page's scripts, the library bundle, the style sheet
 *   /model/model.json          the model the drawing pad starts with (the built-in one, or `nn demo DIR`'s)
 *   /model/weights.bin
 *   /data/mnist/<name>.gz      the four MNIST files, from the directory `nn train` reads (--data-dir,
 *                              NN_DATA_DIR, the per-user cache); the raw file is served when only the raw
 *                              one exists (the page tells them apart by the gzip magic bytes)
 *
 * Every response carries the two headers that make the page cross-origin isolated (so it has
 * SharedArrayBuffer and the kernels can use threads), unless `isolated: false`. Nothing outside the site
 * directory, the model's two files and the four MNIST files can be read: paths are decoded once, resolved,
 * and must stay inside the site directory after symbolic links are followed.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { MNIST_FILES, findMnistFile } from '../data/mnist';
import { modelFiles } from '../net/serialize';

/** The port tried first when none is given, then the next few. */
export const DEFAULT_DEMO_PORT = 8377;
/** How many ports after the default are tried before giving up. */
const PORT_TRIES = 10;

export const HOST = '127.0.0.1';

/** The headers that make a page cross-origin isolated (`crossOriginIsolated`, SharedArrayBuffer, threads). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
  '.bin': 'application/octet-stream',
  '.gz': 'application/octet-stream',
};

/** The server cannot start (port taken, site missing). The message says what to do. */
export class DemoServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoServerError';
  }
}

export interface DemoServerOptions {
  /** The static site (dist/demo). */
  siteDir: string;
  /** A model directory (model.json and the weights file it names; served as /model/model.json and /model/weights.bin). */
  modelDir: string;
  /** The MNIST directory; its files may be missing (the page then says how to get them). */
  dataDir: string;
  /** Send the cross-origin-isolation headers (default true). */
  isolated?: boolean;
  /** A port on 127.0.0.1; 0 for any free one. Default: DEFAULT_DEMO_PORT, else the next free of a few. */
  port?: number;
}

export interface DemoServer {
  /** "http://127.0.0.1:8377/" */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The URL paths of the MNIST files: /data/mnist/<name>.gz → the file's name. */
const DATA_PREFIX = '/data/mnist/';
const DATA_NAMES: ReadonlySet<string> = new Set(Object.values(MNIST_FILES).map((f) => f.name));
const MODEL_FILES: ReadonlySet<string> = new Set(['model.json', 'weights.bin']);

/** Starts the server; resolves once it listens. */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const siteDir = fs.realpathSync(path.resolve(options.siteDir));
  const handler = requestHandler({ ...options, siteDir, isolated: options.isolated ?? true });
  const server = http.createServer(handler);
  // A browser keeps connections open; close() must not wait for them.
  const ports = options.port !== undefined
    ? [options.port]
    : Array.from({ length: PORT_TRIES }, (_, i) => DEFAULT_DEMO_PORT + i);
  let lastError: NodeJS.ErrnoException | undefined;
  for (const port of ports) {
    try {
      await listen(server, port);
      lastError = undefined;
      break;
    } catch (e) {
      lastError = e as NodeJS.ErrnoException;
      if (lastError.code !== 'EADDRINUSE') break;
    }
  }
  if (lastError !== undefined) {
    if (lastError.code === 'EADDRINUSE') {
      throw new DemoServerError(
        options.port !== undefined
          ? `port ${options.port} on ${HOST} is in use; choose another with --port N (or --port 0 for any free port)`
          : `ports ${ports[0]}–${ports[ports.length - 1]} on ${HOST} are all in use; choose one with --port N (or --port 0 for any free port)`,
      );
    }
    if (lastError.code === 'EACCES') {
      throw new DemoServerError(`port ${options.port} on ${HOST} needs privileges; choose a port above 1023 with --port N`);
    }
    throw new DemoServerError(`cannot listen on ${HOST}:${options.port ?? DEFAULT_DEMO_PORT}: ${lastError.message}`);
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}/`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      server.removeListener('listening', onListening);
      reject(e);
    };
    const onListening = (): void => {
      server.removeListener('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, HOST);
  });
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** The request handler, exported for tests through startDemoServer only. */
function requestHandler(options: Required<Pick<DemoServerOptions, 'siteDir' | 'modelDir' | 'dataDir' | 'isolated'>>): Handler {
  return (req, res) => {
    if (options.isolated) for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
    // Nothing here is meant for other sites; the page's own requests are same-origin.
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    // A rebuilt page or a retrained model shows on reload; the browser may still revalidate cheaply.
    res.setHeader('Cache-Control', 'no-cache');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      plain(res, 405, 'only GET and HEAD');
      return;
    }
    const pathname = decodedPath(req.url ?? '/');
    if (pathname === undefined) {
      plain(res, 400, 'bad request path');
      return;
    }
    if (pathname.startsWith('/model/')) {
      const name = pathname.slice('/model/'.length);
      if (!MODEL_FILES.has(name)) return plain(res, 404, 'not found');
      // /model/weights.bin is whichever weights file model.json names (weights-<sha16>.bin since save()
      // names them by content; weights.bin in older models), read when asked, so a retrained model shows.
      let file = path.join(options.modelDir, name);
      if (name === 'weights.bin') {
        try {
          file = modelFiles(options.modelDir).weights;
        } catch {
          // No readable model.json: the page's request for it says so.
        }
      }
      return sendFile(req, res, file, 'model file');
    }
    if (pathname.startsWith(DATA_PREFIX)) {
      const name = pathname.slice(DATA_PREFIX.length).replace(/\.gz$/, '');
      if (!DATA_NAMES.has(name)) return plain(res, 404, 'not found');
      const file = findMnistFile(options.dataDir, name);
      if (file === undefined) {
        return plain(res, 404, `MNIST file ${name} is not in ${options.dataDir}; run "nn train mnist" once (it downloads MNIST there) or start nn demo with --data-dir`);
      }
      return sendFile(req, res, file, 'MNIST file');
    }
    if (pathname === '/favicon.ico') {
      // Browsers ask unprompted; the page declares no icon, and a 404 would be a console error.
      res.writeHead(204).end();
      return;
    }
    const file = siteFile(options.siteDir, pathname);
    if (file === undefined) return plain(res, 404, 'not found');
    sendFile(req, res, file, 'file');
  };
}

/**
 * The URL's path, percent-decoded once; undefined for a malformed encoding, a NUL, a backslash (a Windows
 * separator) or a path that is not absolute.
 */
export function decodedPath(url: string): string | undefined {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, `http://${HOST}`).pathname);
  } catch {
    return undefined;
  }
  if (!pathname.startsWith('/') || pathname.includes('\0') || pathname.includes('\\')) return undefined;
  return pathname;
}

/**
 * The file under `root` that a URL path names (a directory means its index.html), or undefined when it
 * does not exist or lies outside `root` — also through `..` segments or a symbolic link.
 */
export function siteFile(root: string, pathname: string): string | undefined {
  const wanted = path.resolve(root, `.${pathname.endsWith('/') ? `${pathname}index.html` : pathname}`);
  if (!inside(root, wanted)) return undefined;
  let real: string;
  try {
    real = fs.realpathSync(wanted);
  } catch {
    return undefined;
  }
  if (!inside(root, real)) return undefined;
  try {
    if (fs.statSync(real).isDirectory()) return siteFile(root, `${pathname}/`);
  } catch {
    return undefined;
  }
  return real;
}

function inside(root: string, file: string): boolean {
  return file === root || file.startsWith(root + path.sep);
}

function plain(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}

/** Streams a file with its length and type; a missing or unreadable file is a 404 naming what was wanted. */
function sendFile(req: http.IncomingMessage, res: http.ServerResponse, file: string, what: string): void {
  fs.stat(file, (err, stat) => {
    if (err || !stat.isFile()) {
      plain(res, 404, `${what} not found`);
      return;
    }
    res.writeHead(200, {
      'Content-Type': MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': stat.size,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = fs.createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });
}
