/**
 * Downloading one file of a dataset: GET it from the first mirror that delivers the right bytes, verify
 * its published checksum, write it to a temporary file beside the target and rename it into place, so a
 * crash, a truncated transfer or a corrupted mirror never leaves a bad file under the real name.
 * Shared by every dataset that is fetched by name (MNIST, Fashion-MNIST, KMNIST; see datasets.ts).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { decompressIfGzip } from './idx';

/** Download progress, reported a few times per second and once when a file is done. */
export interface DownloadProgress {
  readonly file: string;
  readonly url: string;
  readonly received: number;
  /** From Content-Length; undefined when the server does not say. */
  readonly total?: number;
  readonly done: boolean;
}

/**
 * How a file is verified: the digest its publisher gives, either of the downloaded bytes as served
 * (Fashion-MNIST and KMNIST publish the MD5 of the .gz) or of the decompressed content (MNIST's SHA-256).
 */
export interface FileCheck {
  readonly algorithm: 'sha256' | 'md5';
  readonly digest: string;
  readonly of: 'download' | 'content';
}

/** A dataset could not be found, downloaded or verified. The message says where the files belong. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export interface DownloadRequest {
  /** The directory the file goes into (it exists). */
  readonly dir: string;
  /** The file's name on the mirrors and on disk, e.g. "train-images-idx3-ubyte.gz". */
  readonly file: string;
  readonly check: FileCheck;
  /** Base URLs ending in '/', tried in order. */
  readonly mirrors: readonly string[];
  readonly onProgress: (p: DownloadProgress) => void;
  readonly idleTimeoutMs: number;
  /** "MNIST", "Fashion-MNIST": the dataset's name in messages. */
  readonly title: string;
  /** The sentence telling the user where to put the files by hand; every failure ends with it. */
  readonly wherePutFiles: string;
}

/** The hex digest `check` describes, computed over `downloaded` (or its decompressed content). */
export function digestOf(check: FileCheck, downloaded: Uint8Array, source: string): string {
  const bytes = check.of === 'content' ? decompressIfGzip(downloaded, source) : downloaded;
  return crypto.createHash(check.algorithm).update(bytes).digest('hex');
}

/**
 * Downloads one file from the first mirror that delivers the right content and renames it into place.
 * A mirror that fails (network, HTTP status, corrupt gzip, wrong checksum) is skipped; the reasons are
 * all in the final error if every mirror fails.
 */
export async function downloadVerified(request: DownloadRequest): Promise<void> {
  const { dir, file, check, mirrors, onProgress, idleTimeoutMs, title, wherePutFiles } = request;
  const failures: string[] = [];
  let networkFailures = 0;
  for (const mirror of mirrors) {
    const url = new URL(file, mirror).toString();
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes(url, (received, total) => onProgress({ file, url, received, total, done: false }), idleTimeoutMs);
    } catch (e) {
      networkFailures++;
      failures.push(`${url}: ${(e as Error).message}`);
      continue;
    }
    onProgress({ file, url, received: bytes.length, total: bytes.length, done: true });
    let actual: string;
    try {
      // A gzip that does not inflate is corrupt whichever digest is published.
      decompressIfGzip(bytes, url);
      actual = digestOf(check, bytes, url);
    } catch (e) {
      failures.push((e as Error).message);
      continue;
    }
    if (actual !== check.digest) {
      const what = check.of === 'content' ? 'of the decompressed content' : 'of the downloaded file';
      failures.push(`${url}: ${check.algorithm === 'sha256' ? 'SHA-256' : 'MD5'} ${what} is ${actual}, expected ${check.digest} (the download is corrupt and was discarded)`);
      continue;
    }
    // Write next to the target (same filesystem, so rename is atomic) and rename into place.
    const target = path.join(dir, file);
    const temp = path.join(dir, `.${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.part`);
    try {
      fs.writeFileSync(temp, bytes);
      fs.renameSync(temp, target);
    } catch (e) {
      fs.rmSync(temp, { force: true });
      throw new DatasetError(`cannot write ${target} (${(e as Error).message}). ${wherePutFiles}`);
    }
    return;
  }
  const reason = failures.join('; ');
  const headline = networkFailures === mirrors.length
    ? `${title} is missing from ${dir} and could not be downloaded (offline?)`
    : `${title} file ${file.replace(/\.gz$/, '')} could not be downloaded intact`;
  throw new DatasetError(`${headline}: ${reason}. ${wherePutFiles}`);
}

/** GET with redirects (up to 5), an idle timeout and a progress callback. Rejects on non-200. */
export function fetchBytes(
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
