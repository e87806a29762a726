/**
 * The download path, for real: local HTTP servers on 127.0.0.1 serve the four MNIST files from the
 * repo's sibling ../shared/data/mnist (good), a corrupted copy, a 404, a truncated transfer, or nothing.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { MNIST_FILES, MnistError, locateMnist, readMnist, type DownloadProgress } from '../../src/data/mnist';

const SHARED_MNIST = path.resolve(__dirname, '../../../shared/data/mnist');
const NAMES = Object.values(MNIST_FILES).map((f) => f.name);

type Behaviour = 'good' | 'corrupt' | 'missing' | 'truncated';
interface Server { base: string; requests: string[]; close(): Promise<void> }

/** A mirror on 127.0.0.1 (port 0); `behaviour(name)` decides what each file request gets. */
async function startMirror(behaviour: (file: string) => Behaviour, prefix = '/mnist/'): Promise<Server> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    const file = url.startsWith(prefix) ? url.slice(prefix.length) : '';
    const source = path.join(SHARED_MNIST, file);
    const mode = behaviour(file);
    if (!file.endsWith('.gz') || !fs.existsSync(source) || mode === 'missing') {
      res.writeHead(404).end('not found');
      return;
    }
    let body = fs.readFileSync(source);
    if (mode === 'corrupt') {
      // A well-formed gzip of content with one pixel changed: only the SHA-256 can catch it.
      const content = zlib.gunzipSync(body);
      content[content.length - 1] ^= 0xff;
      body = zlib.gzipSync(content);
    }
    if (mode === 'truncated') {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1));
      res.destroy();
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}${prefix}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A base URL nobody listens on. */
async function deadMirror(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/mnist/`;
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-download-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Pre-populates `dir` with symlinks to the shared files except `except` (no copies of the data). */
function linkAllBut(dir: string, except: string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of NAMES) {
    if (!except.includes(name)) fs.symlinkSync(path.join(SHARED_MNIST, `${name}.gz`), path.join(dir, `${name}.gz`));
  }
}

const quiet = (): void => undefined;

test('downloads the four files, verifies them and renames them into place; nothing temporary is left', async () => {
  const mirror = await startMirror(() => 'good');
  try {
    const dir = path.join(tmp, 'fresh', 'nested');
    const events: DownloadProgress[] = [];
    const found = await locateMnist({ dataDir: dir, mirrors: [mirror.base], onProgress: (p) => events.push(p) });
    expect(found).toBe(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(NAMES.map((n) => `${n}.gz`).sort());
    for (const name of NAMES) {
      expect(fs.readFileSync(path.join(dir, `${name}.gz`)).equals(fs.readFileSync(path.join(SHARED_MNIST, `${name}.gz`)))).toBe(true);
    }
    expect(events.filter((e) => e.done).map((e) => e.file).sort()).toEqual(NAMES.map((n) => `${n}.gz`).sort());
    const data = readMnist(dir);
    expect([data.train.count, data.test.count]).toEqual([60000, 10000]);
    // A second call finds everything and downloads nothing.
    const before = mirror.requests.length;
    await locateMnist({ dataDir: dir, mirrors: [mirror.base], onProgress: quiet });
    expect(mirror.requests.length).toBe(before);
  } finally {
    await mirror.close();
  }
});

test('only the missing files are downloaded', async () => {
  const mirror = await startMirror(() => 'good');
  try {
    linkAllBut(tmp, ['t10k-labels-idx1-ubyte']);
    await locateMnist({ dataDir: tmp, mirrors: [mirror.base], onProgress: quiet });
    expect(mirror.requests).toEqual(['/mnist/t10k-labels-idx1-ubyte.gz']);
    expect(fs.lstatSync(path.join(tmp, 't10k-labels-idx1-ubyte.gz')).isFile()).toBe(true);
  } finally {
    await mirror.close();
  }
});

test('a corrupted file is rejected with a clear message and is not left in place', async () => {
  const mirror = await startMirror(() => 'corrupt');
  try {
    linkAllBut(tmp, ['t10k-labels-idx1-ubyte']);
    const attempt = locateMnist({ dataDir: tmp, mirrors: [mirror.base], onProgress: quiet });
    await expect(attempt).rejects.toThrow(MnistError);
    await expect(locateMnist({ dataDir: tmp, mirrors: [mirror.base], onProgress: quiet })).rejects.toThrow(
      /t10k-labels-idx1-ubyte could not be downloaded intact: .*SHA-256 of the decompressed content is [0-9a-f]{64}, expected ff7bcfd4.*discarded.*Put the four MNIST files/,
    );
    const left = fs.readdirSync(tmp);
    expect(left.some((f) => f.startsWith('t10k-labels') || f.includes('.part'))).toBe(false);
    expect(left).toHaveLength(3);
  } finally {
    await mirror.close();
  }
});

test('a truncated transfer is rejected and not left in place', async () => {
  const mirror = await startMirror(() => 'truncated');
  try {
    linkAllBut(tmp, ['train-labels-idx1-ubyte']);
    await expect(locateMnist({ dataDir: tmp, mirrors: [mirror.base], onProgress: quiet })).rejects.toThrow(
      /train-labels-idx1-ubyte.*(connection closed|socket hang up|aborted|ECONNRESET)/,
    );
    expect(fs.readdirSync(tmp)).toHaveLength(3);
  } finally {
    await mirror.close();
  }
});

test('the fallback mirror is used when the first one is down, answers 404 or serves corrupt data', async () => {
  const broken404 = await startMirror(() => 'missing');
  const corrupt = await startMirror(() => 'corrupt');
  const good = await startMirror(() => 'good');
  try {
    linkAllBut(tmp, ['t10k-labels-idx1-ubyte', 'train-labels-idx1-ubyte']);
    const dead = await deadMirror();
    await locateMnist({ dataDir: tmp, mirrors: [dead, broken404.base, corrupt.base, good.base], onProgress: quiet });
    expect(broken404.requests).toHaveLength(2);
    expect(corrupt.requests).toHaveLength(2);
    expect(good.requests.sort()).toEqual(['/mnist/t10k-labels-idx1-ubyte.gz', '/mnist/train-labels-idx1-ubyte.gz']);
    const data = readMnist(tmp);
    expect(data.test.labels[0]).toBe(7);
  } finally {
    await Promise.all([broken404.close(), corrupt.close(), good.close()]);
  }
});

test('NN_MNIST_MIRRORS overrides the mirror list', async () => {
  const good = await startMirror(() => 'good', '/other/');
  try {
    linkAllBut(tmp, ['t10k-labels-idx1-ubyte']);
    const dead = await deadMirror();
    const env = { NN_MNIST_MIRRORS: `${dead} , ${good.base.replace(/\/$/, '')}` };
    await locateMnist({ dataDir: tmp, env, onProgress: quiet });
    expect(good.requests).toEqual(['/other/t10k-labels-idx1-ubyte.gz']);
  } finally {
    await good.close();
  }
});

test('offline and missing: one line saying where to put the files', async () => {
  const dead1 = await deadMirror();
  const dead2 = await deadMirror();
  const dir = path.join(tmp, 'empty');
  let message = '';
  try {
    await locateMnist({ dataDir: dir, mirrors: [dead1, dead2], onProgress: quiet });
  } catch (e) {
    expect(e).toBeInstanceOf(MnistError);
    message = (e as Error).message;
  }
  expect(message).toContain(`MNIST is missing from ${dir} and could not be downloaded (offline?)`);
  expect(message).toMatch(/ECONNREFUSED/);
  expect(message).toContain(`Put the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; gzipped or not) in ${dir}`);
  expect(message).not.toContain('\n');
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('download: false never touches the network', async () => {
  await expect(locateMnist({ dataDir: tmp, download: false })).rejects.toThrow(/MNIST is missing from .* \(train-images-idx3-ubyte, .*Put the four MNIST files/);
});

test('the default progress display: redrawn in place on a terminal, a line per file otherwise', async () => {
  const { stderrProgress } = await import('../../src/data/mnist');
  const url = 'http://127.0.0.1:1/mnist/t10k-labels-idx1-ubyte.gz';
  const record = (isTTY: boolean) => {
    const writes: string[] = [];
    const stream = { isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
    const show = stderrProgress(stream);
    show({ file: 't10k-labels-idx1-ubyte.gz', url, received: 2_000_000, total: 4_000_000, done: false });
    show({ file: 't10k-labels-idx1-ubyte.gz', url, received: 4_000_000, total: 4_000_000, done: true });
    return writes;
  };
  expect(record(true)).toEqual([
    '\r\x1b[Kdownloading t10k-labels-idx1-ubyte.gz 50% (2.0/4.0 MB) from 127.0.0.1:1',
    '\r\x1b[Kdownloading t10k-labels-idx1-ubyte.gz 100% (4.0/4.0 MB) from 127.0.0.1:1\n',
  ]);
  expect(record(false)).toEqual([`downloading ${url}\n`, 'downloaded t10k-labels-idx1-ubyte.gz (4.0 MB)\n']);
});
