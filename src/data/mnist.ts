/**
 * MNIST: where the four files are, how they get there, and how their bytes become tensors.
 *
 * Location (the first that is set wins, so an explicit choice is never second-guessed):
 *   1. `dataDir` (the CLI's --data-dir),
 *   2. the NN_DATA_DIR environment variable,
 *   3. a per-user cache: $XDG_CACHE_HOME/millefeuille/mnist or ~/.cache/millefeuille/mnist on Linux,
 *      ~/Library/Caches/millefeuille/mnist on macOS, %LOCALAPPDATA%\millefeuille\Cache\mnist on Windows.
 * Each file may be gzipped (`name.gz`) or raw (`name`). Files missing from that directory are
 * downloaded from the first mirror that works (NN_MNIST_MIRRORS overrides the list: base URLs
 * separated by commas or spaces), verified by the SHA-256 of their decompressed content, written to a
 * temporary file in the same directory and renamed into place, so a crash, a truncated transfer or a
 * corrupted mirror never leaves a bad file under the real name.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { IdxError, asImages, asLabels, decompressIfGzip, parseIdx } from './idx';

/** The four standard files and the SHA-256 of their decompressed content (as published by LeCun et al.). */
export const MNIST_FILES = {
  trainImages: { name: 'train-images-idx3-ubyte', sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db' },
  trainLabels: { name: 'train-labels-idx1-ubyte', sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5' },
  testImages: { name: 't10k-images-idx3-ubyte', sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7' },
  testLabels: { name: 't10k-labels-idx1-ubyte', sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2' },
} as const;

export type MnistFileKey = keyof typeof MNIST_FILES;
const FILE_KEYS = Object.keys(MNIST_FILES) as MnistFileKey[];

/** Public mirrors that serve `<base>/<name>.gz`, tried in order. */
export const DEFAULT_MNIST_MIRRORS: readonly string[] = [
  'https://storage.googleapis.com/cvdf-datasets/mnist/',
  'https://ossci-datasets.s3.amazonaws.com/mnist/',
];

/** MNIST cannot be found, downloaded or verified. The message says where the files belong. */
export class MnistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MnistError';
  }
}

/** One split: `count` images of rows×cols bytes and their labels (bytes 0–9). */
export interface MnistSplit {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

export interface MnistData {
  /** The directory the files were read from. */
  readonly dir: string;
  readonly train: MnistSplit;
  readonly test: MnistSplit;
}

/** Download progress, reported a few times per second and once when a file is done. */
export interface DownloadProgress {
  readonly file: string;
  readonly url: string;
  readonly received: number;
  /** From Content-Length; undefined when the server does not say. */
  readonly total?: number;
  readonly done: boolean;
}

export interface LocateOptions {
  /** --data-dir: wins over everything else. */
  dataDir?: string;
  /** The environment to read NN_DATA_DIR, NN_MNIST_MIRRORS, XDG_CACHE_HOME … from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Base URLs to download from (default: NN_MNIST_MIRRORS, else DEFAULT_MNIST_MIRRORS). */
  mirrors?: readonly string[];
  /** Download missing files (default true). */
  download?: boolean;
  /** Called as the download proceeds (default: a progress line on stderr). */
  onProgress?: (progress: DownloadProgress) => void;
  /** Give up on a mirror whose connection is idle this long (default 30 000 ms). */
  idleTimeoutMs?: number;
}

/** The per-user cache directory for MNIST on this platform. */
export function mnistCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (platform === 'win32') {
    const base = env.LOCALAPPDATA || path.join(home, 'AppData', 'Local');
    return path.join(base, 'millefeuille', 'Cache', 'mnist');
  }
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'millefeuille', 'mnist');
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  return path.join(base, 'millefeuille', 'mnist');
}

/** The directory MNIST is read from (and downloaded into): --data-dir, else NN_DATA_DIR, else the cache. */
export function mnistDir(options: Pick<LocateOptions, 'dataDir' | 'env'> = {}): string {
  const env = options.env ?? process.env;
  if (options.dataDir) return path.resolve(options.dataDir);
  if (env.NN_DATA_DIR) return path.resolve(env.NN_DATA_DIR);
  return mnistCacheDir(env);
}

/** The mirror list: explicit, else NN_MNIST_MIRRORS, else the defaults. Each base ends with '/'. */
export function mnistMirrors(options: Pick<LocateOptions, 'mirrors' | 'env'> = {}): string[] {
  const env = options.env ?? process.env;
  const list = options.mirrors ?? (env.NN_MNIST_MIRRORS ? env.NN_MNIST_MIRRORS.split(/[\s,]+/) : DEFAULT_MNIST_MIRRORS);
  return list.filter((m) => m.length > 0).map((m) => (m.endsWith('/') ? m : `${m}/`));
}

/** The path of `name` in `dir` (gzipped preferred, then raw), or undefined if neither exists. */
export function findMnistFile(dir: string, name: string): string | undefined {
  for (const candidate of [path.join(dir, `${name}.gz`), path.join(dir, name)]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** One line telling a user where the files go; every "cannot get MNIST" error ends with it. */
function wherePutFiles(dir: string): string {
  const names = FILE_KEYS.map((k) => `${MNIST_FILES[k].name}.gz`).join(', ');
  return `Put the four MNIST files (${names}; gzipped or not) in ${dir}, or point --data-dir or NN_DATA_DIR at a folder that has them.`;
}

/**
 * Returns the MNIST directory with all four files present, downloading the missing ones.
 * Offline and missing ⇒ one MnistError saying where to put the files.
 */
export async function locateMnist(options: LocateOptions = {}): Promise<string> {
  const dir = mnistDir(options);
  const missing = FILE_KEYS.filter((k) => findMnistFile(dir, MNIST_FILES[k].name) === undefined);
  if (missing.length === 0) return dir;
  if (options.download === false) {
    throw new MnistError(`MNIST is missing from ${dir} (${missing.map((k) => MNIST_FILES[k].name).join(', ')}). ${wherePutFiles(dir)}`);
  }
  const mirrors = mnistMirrors(options);
  if (mirrors.length === 0) throw new MnistError(`MNIST is missing from ${dir} and no download mirror is configured. ${wherePutFiles(dir)}`);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new MnistError(`MNIST is missing and ${dir} cannot be created to download it into (${(e as Error).message}). ${wherePutFiles(dir)}`);
  }
  const onProgress = options.onProgress ?? stderrProgress();
  for (const key of missing) {
    await downloadVerified(dir, key, mirrors, onProgress, options.idleTimeoutMs ?? 30_000);
  }
  return dir;
}

/**
 * Downloads one file from the first mirror that delivers the right content, and renames it into
 * place. A mirror that fails (network, HTTP status, corrupt gzip, wrong checksum) is skipped; the
 * reasons are all in the final error if every mirror fails.
 */
async function downloadVerified(
  dir: string,
  key: MnistFileKey,
  mirrors: readonly string[],
  onProgress: (p: DownloadProgress) => void,
  idleTimeoutMs: number,
): Promise<void> {
  const { name, sha256 } = MNIST_FILES[key];
  const failures: string[] = [];
  let networkFailures = 0;
  for (const mirror of mirrors) {
    const url = new URL(`${name}.gz`, mirror).toString();
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes(url, (received, total) => onProgress({ file: `${name}.gz`, url, received, total, done: false }), idleTimeoutMs);
    } catch (e) {
      networkFailures++;
      failures.push(`${url}: ${(e as Error).message}`);
      continue;
    }
    onProgress({ file: `${name}.gz`, url, received: bytes.length, total: bytes.length, done: true });
    let content: Uint8Array;
    try {
      content = decompressIfGzip(bytes, url);
    } catch (e) {
      failures.push((e as Error).message);
      continue;
    }
    const actual = crypto.createHash('sha256').update(content).digest('hex');
    if (actual !== sha256) {
      failures.push(`${url}: SHA-256 of the decompressed content is ${actual}, expected ${sha256} (the download is corrupt and was discarded)`);
      continue;
    }
    // Write next to the target (same filesystem, so rename is atomic) and rename into place.
    const target = path.join(dir, `${name}.gz`);
    const temp = path.join(dir, `.${name}.gz.${process.pid}.${crypto.randomBytes(4).toString('hex')}.part`);
    try {
      fs.writeFileSync(temp, bytes);
      fs.renameSync(temp, target);
    } catch (e) {
      fs.rmSync(temp, { force: true });
      throw new MnistError(`cannot write ${target} (${(e as Error).message}). ${wherePutFiles(dir)}`);
    }
    return;
  }
  const reason = failures.join('; ');
  const headline = networkFailures === mirrors.length
    ? `MNIST is missing from ${dir} and could not be downloaded (offline?)`
    : `MNIST file ${name} could not be downloaded intact`;
  throw new MnistError(`${headline}: ${reason}. ${wherePutFiles(dir)}`);
}

/** GET with redirects (up to 5), an idle timeout and a progress callback. Rejects on non-200. */
function fetchBytes(
  url: string,
  onData: (received: number, total: number | undefined) => void,
  idleTimeoutMs: number,
  redirects = 5,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new Error(`not a valid URL`));
      return;
    }
    const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
    if (!client) {
      reject(new Error(`unsupported protocol ${parsed.protocol}`));
      return;
    }
    const request = client.get(parsed, { headers: { 'user-agent': 'millefeuille-nn' } }, (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location) {
        response.resume();
        if (redirects === 0) {
          reject(new Error('too many redirects'));
          return;
        }
        const next = new URL(response.headers.location, parsed).toString();
        fetchBytes(next, onData, idleTimeoutMs, redirects - 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        response.resume();
        reject(new Error(`HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`));
        return;
      }
      const lengthHeader = Number(response.headers['content-length']);
      const total = Number.isFinite(lengthHeader) && lengthHeader > 0 ? lengthHeader : undefined;
      const chunks: Buffer[] = [];
      let received = 0;
      let lastReport = 0;
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        const now = Date.now();
        if (now - lastReport > 100) {
          lastReport = now;
          onData(received, total);
        }
      });
      response.on('end', () => {
        if (total !== undefined && received !== total) {
          reject(new Error(`connection closed after ${received} of ${total} bytes`));
          return;
        }
        resolve(Buffer.concat(chunks));
      });
      response.on('error', (e) => reject(e));
      response.on('aborted', () => reject(new Error(`connection closed after ${received} bytes`)));
    });
    request.setTimeout(idleTimeoutMs, () => request.destroy(new Error(`no data for ${idleTimeoutMs / 1000} s`)));
    request.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message)));
  });
}

/** The default download display: a line redrawn in place on a terminal, one line per file otherwise. */
export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): (p: DownloadProgress) => void {
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  let announced = '';
  return (p) => {
    if (stream.isTTY) {
      const pct = p.total ? ` ${Math.floor((100 * p.received) / p.total)}%` : '';
      const size = p.total ? `${mb(p.received)}/${mb(p.total)} MB` : `${mb(p.received)} MB`;
      stream.write(`\r\x1b[Kdownloading ${p.file}${pct} (${size}) from ${new URL(p.url).host}${p.done ? '\n' : ''}`);
      return;
    }
    if (announced !== p.url) {
      announced = p.url;
      stream.write(`downloading ${p.url}\n`);
    }
    if (p.done) stream.write(`downloaded ${p.file} (${mb(p.received)} MB)\n`);
  };
}

/** Reads the four files from `dir` and checks they fit together (counts, image sizes, label range). */
export function readMnist(dir: string): MnistData {
  const read = (key: MnistFileKey): { file: string; idx: ReturnType<typeof parseIdx> } => {
    const file = findMnistFile(dir, MNIST_FILES[key].name);
    if (file === undefined) throw new MnistError(`MNIST file ${MNIST_FILES[key].name} is missing from ${dir}. ${wherePutFiles(dir)}`);
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      throw new IdxError(`${file}: cannot read (${(e as Error).message})`);
    }
    return { file, idx: parseIdx(bytes, file) };
  };
  const split = (imagesKey: MnistFileKey, labelsKey: MnistFileKey): MnistSplit => {
    const imgs = read(imagesKey);
    const images = asImages(imgs.idx, imgs.file);
    const labs = read(labelsKey);
    const labels = asLabels(labs.idx, labs.file);
    if (labels.length !== images.count) {
      throw new IdxError(`${labs.file} has ${labels.length} labels but ${imgs.file} has ${images.count} images`);
    }
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] > 9) throw new IdxError(`${labs.file}: label ${labels[i]} at index ${i} is not a digit 0–9`);
    }
    return { count: images.count, rows: images.rows, cols: images.cols, images: images.pixels, labels };
  };
  const train = split('trainImages', 'trainLabels');
  const test = split('testImages', 'testLabels');
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new IdxError(`MNIST in ${dir}: training images are ${train.rows}×${train.cols} but test images are ${test.rows}×${test.cols}`);
  }
  return { dir, train, test };
}

/** Locates (downloading if needed) and reads MNIST. */
export async function loadMnist(options: LocateOptions = {}): Promise<MnistData> {
  return readMnist(await locateMnist(options));
}

// From bytes to tensors: pixels.ts (the core, so a page can feed MNIST bytes it fetched to a net).
export { UNIT_SCALING, pixelStats, pixelLookup, imagesToTensor, labelsToInt32 } from './pixels';
export type { Normalization } from './pixels';
