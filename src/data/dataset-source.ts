/**
 * A dataset fetched by name (datasets.ts): where its four IDX files are, how they get there, and how they
 * are read and checked. The same path for MNIST, Fashion-MNIST and KMNIST: locate → download → verify → cache.
 *
 * Location (the first that is set wins, so an explicit choice is never second-guessed):
 *   1. `dataDir` (the CLI's --data-dir),
 *   2. the dataset's environment variable (NN_DATA_DIR for MNIST, NN_FASHION_MNIST_DIR, NN_KMNIST_DIR),
 *   3. a per-user cache: $XDG_CACHE_HOME/millefeuille/NAME or ~/.cache/millefeuille/NAME on Linux,
 *      ~/Library/Caches/millefeuille/NAME on macOS, %LOCALAPPDATA%\millefeuille\Cache\NAME on Windows.
 * Each file may be gzipped (`name.gz`) or raw (`name`). Missing files are downloaded from the first mirror
 * that works (the dataset's NN_…_MIRRORS variable overrides the list) and verified (download.ts).
 * Reading the files once they are there is idx-dataset.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatasetError, downloadVerified, stderrProgress, type DownloadProgress } from './download';
import { IDX_FILE_KEYS, type IdxDatasetSpec, type IdxFileKey } from './datasets';

export interface LocateOptions {
  /** --data-dir: wins over everything else. */
  dataDir?: string;
  /** The environment to read NN_DATA_DIR, NN_MNIST_MIRRORS, XDG_CACHE_HOME … from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Base URLs to download from (default: the dataset's mirrors variable, else its published mirrors). */
  mirrors?: readonly string[];
  /** Download missing files (default true). */
  download?: boolean;
  /** Called as the download proceeds (default: a progress line on stderr). */
  onProgress?: (progress: DownloadProgress) => void;
  /** Give up on a mirror whose connection is idle this long (default 30 000 ms). */
  idleTimeoutMs?: number;
}

/** The per-user cache directory of a dataset on this platform. */
export function datasetCacheDir(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (platform === 'win32') {
    const base = env.LOCALAPPDATA || path.join(home, 'AppData', 'Local');
    return path.join(base, 'millefeuille', 'Cache', name);
  }
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'millefeuille', name);
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  return path.join(base, 'millefeuille', name);
}

/** The directory a dataset is read from (and downloaded into): --data-dir, else its variable, else the cache. */
export function datasetDir(spec: IdxDatasetSpec, options: Pick<LocateOptions, 'dataDir' | 'env'> = {}): string {
  const env = options.env ?? process.env;
  if (options.dataDir) return path.resolve(options.dataDir);
  const fromEnv = env[spec.dirEnv];
  if (fromEnv) return path.resolve(fromEnv);
  return datasetCacheDir(spec.name, env);
}

/** The mirror list: explicit, else the dataset's variable, else its defaults. Each base ends with '/'. */
export function datasetMirrors(spec: IdxDatasetSpec, options: Pick<LocateOptions, 'mirrors' | 'env'> = {}): string[] {
  const env = options.env ?? process.env;
  const fromEnv = env[spec.mirrorsEnv];
  const list = options.mirrors ?? (fromEnv ? fromEnv.split(/[\s,]+/) : spec.mirrors);
  return list.filter((m) => m.length > 0).map((m) => (m.endsWith('/') ? m : `${m}/`));
}

/** The path of `name` in `dir` (gzipped preferred, then raw), or undefined if neither exists. */
export function findIdxFile(dir: string, name: string): string | undefined {
  for (const candidate of [path.join(dir, `${name}.gz`), path.join(dir, name)]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The files of `spec` missing from `dir`. */
export function missingFiles(spec: IdxDatasetSpec, dir: string): IdxFileKey[] {
  return IDX_FILE_KEYS.filter((k) => findIdxFile(dir, spec.files[k].name) === undefined);
}

/** One sentence telling a user where the files go; every "cannot get the dataset" error ends with it. */
export function wherePutFiles(spec: IdxDatasetSpec, dir: string): string {
  const names = IDX_FILE_KEYS.map((k) => `${spec.files[k].name}.gz`).join(', ');
  const variable = spec.dirEnv;
  return `Put the four ${spec.title} files (${names}; gzipped or not) in ${dir}, or point --data-dir or ${variable} at a folder that has them.`;
}

/**
 * Returns the dataset's directory with all four files present, downloading the missing ones.
 * Offline and missing ⇒ one DatasetError saying where to put the files.
 */
export async function locateDataset(spec: IdxDatasetSpec, options: LocateOptions = {}): Promise<string> {
  const dir = datasetDir(spec, options);
  const missing = missingFiles(spec, dir);
  if (missing.length === 0) return dir;
  const where = wherePutFiles(spec, dir);
  if (options.download === false) {
    throw new DatasetError(`${spec.title} is missing from ${dir} (${missing.map((k) => spec.files[k].name).join(', ')}). ${where}`);
  }
  const mirrors = datasetMirrors(spec, options);
  if (mirrors.length === 0) throw new DatasetError(`${spec.title} is missing from ${dir} and no download mirror is configured. ${where}`);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new DatasetError(`${spec.title} is missing and ${dir} cannot be created to download it into (${(e as Error).message}). ${where}`);
  }
  const onProgress = options.onProgress ?? stderrProgress();
  for (const key of missing) {
    const file = spec.files[key];
    await downloadVerified({
      dir, file: `${file.name}.gz`, check: file.check, mirrors, onProgress,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000, title: spec.title, wherePutFiles: where,
    });
  }
  return dir;
}

/** Where a dataset would be cached and which of its files are there: what `nn datasets` shows. */
export interface DatasetStatus {
  readonly spec: IdxDatasetSpec;
  readonly dir: string;
  /** Why this directory: "--data-dir", "$NN_DATA_DIR" or "cache". */
  readonly from: string;
  readonly present: readonly string[];
  readonly missing: readonly string[];
}

export function datasetStatus(spec: IdxDatasetSpec, options: Pick<LocateOptions, 'dataDir' | 'env'> = {}): DatasetStatus {
  const env = options.env ?? process.env;
  const dir = datasetDir(spec, options);
  const from = options.dataDir ? '--data-dir' : env[spec.dirEnv] ? `$${spec.dirEnv}` : 'cache';
  const missing = missingFiles(spec, dir);
  return {
    spec, dir, from,
    present: IDX_FILE_KEYS.filter((k) => !missing.includes(k)).map((k) => spec.files[k].name),
    missing: missing.map((k) => spec.files[k].name),
  };
}
