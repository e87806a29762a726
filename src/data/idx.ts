/**
 * The IDX file format (LeCun's MNIST format), read-only and unsigned-byte only:
 *
 *   bytes 0–1  zero
 *   byte  2    element type (0x08 = unsigned byte; the only type MNIST uses)
 *   byte  3    number of dimensions d
 *   then d big-endian uint32 sizes, then the elements, row-major.
 *
 * Images are magic 2051 (0x00000803: ubyte, 3 dims [count, rows, cols]); labels are magic 2049
 * (0x00000801: ubyte, 1 dim [count]). A file may be gzipped (it starts with 1f 8b) or raw; the
 * reader decides by those two bytes, not by the file name.
 *
 * Every check names the file and the numbers, so that a truncated download or a swapped file
 * says what is wrong instead of failing later inside a layer.
 */
import * as buffer from 'node:buffer';
import * as fs from 'node:fs';
import { GzipError, MAX_DEFLATE_RATIO, gunzipPrefix, gunzipStrict } from './gzip';

export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;
const UNSIGNED_BYTE = 0x08;

/** A file that is not a usable IDX file (missing, truncated, wrong magic, inconsistent sizes). */
export class IdxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdxError';
  }
}

/** A parsed IDX array of unsigned bytes. */
export interface IdxArray {
  readonly magic: number;
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** `count` images of rows×cols unsigned-byte pixels, row-major, one image after another. */
export interface IdxImages {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly pixels: Uint8Array;
}

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The most any IDX file may hold once decompressed (the largest Uint8Array Node makes, capped at 4 GiB). */
const MAX_IDX_BYTES = Math.min(buffer.constants.MAX_LENGTH, 2 ** 32);

/**
 * Decompresses gzip bytes (by magic), or returns raw bytes unchanged. `source` names the file in errors. The
 * stream must be exactly one gzip member (no trailing data) of at most `maxBytes` once decompressed.
 */
export function decompressIfGzip(bytes: Uint8Array, source: string, maxBytes = MAX_IDX_BYTES): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipStrict(bytes, maxBytes);
  } catch (e) {
    if (e instanceof GzipError) throw new IdxError(`${source}: ${e.reason}`);
    throw e;
  }
}

/** An IDX header: what it declares, and the exact length of the file it describes. */
interface IdxHeader {
  magic: number;
  dims: number[];
  headerBytes: number;
  elements: number;
  /** headerBytes + elements: the length of the (decompressed) file. */
  fileBytes: number;
}

/** Reads and checks the header at the start of (decompressed) IDX bytes; `bytes` may stop after the header. */
function readHeader(bytes: Uint8Array, source: string): IdxHeader {
  if (bytes.length < 4) {
    throw new IdxError(`${source}: ${bytes.length} bytes is too short for an IDX header (4 bytes of magic needed); the file is truncated or not IDX`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxError(`${source}: not an IDX file (magic number ${magic} = 0x${magic.toString(16).padStart(8, '0')}; IDX files start with two zero bytes)`);
  }
  if (bytes[2] !== UNSIGNED_BYTE) {
    throw new IdxError(`${source}: IDX element type 0x${bytes[2].toString(16).padStart(2, '0')} is not supported (only unsigned bytes, 0x08)`);
  }
  const rank = bytes[3];
  if (rank === 0) throw new IdxError(`${source}: IDX header declares 0 dimensions`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new IdxError(`${source}: truncated header: ${rank} dimensions need ${headerBytes} header bytes, the file has ${bytes.length}`);
  }
  const dims: number[] = [];
  let elements = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    elements *= d;
  }
  return { magic, dims, headerBytes, elements, fileBytes: headerBytes + elements };
}

/**
 * Decompresses a gzipped IDX file no further than its header says it reaches: the header first (from the
 * first few compressed bytes), then the whole stream with the declared length as the limit — a gzip bomb
 * or trailing data stops there, in a fraction of a second, with a message that says so.
 */
function gunzipIdx(bytes: Uint8Array, source: string): Uint8Array {
  let prefix: Uint8Array = new Uint8Array(0);
  try {
    for (let input = 64; ; input *= 4) {
      prefix = gunzipPrefix(bytes, input, 1 << 20);
      const enough = prefix.length >= 4 && prefix.length >= 4 + 4 * prefix[3];
      if (enough || input >= bytes.length) break;
    }
  } catch (e) {
    if (e instanceof GzipError) throw new IdxError(`${source}: ${e.reason}`);
    throw e;
  }
  const header = readHeader(prefix, source);
  const declared = `dimensions [${header.dims.join(', ')}]`;
  if (header.fileBytes > MAX_IDX_BYTES) {
    throw new IdxError(`${source}: its header declares ${declared}, ${header.fileBytes} bytes, more than an IDX file can be read into memory (${MAX_IDX_BYTES})`);
  }
  if (header.fileBytes > MAX_DEFLATE_RATIO * bytes.length + 1024) {
    throw new IdxError(
      `${source}: its header declares ${declared}, ${header.fileBytes} bytes, more than ${bytes.length} gzipped bytes can hold; the file is truncated or its header is wrong`,
    );
  }
  try {
    return gunzipStrict(bytes, header.fileBytes);
  } catch (e) {
    if (!(e instanceof GzipError)) throw e;
    if (/decompresses to more than/.test(e.reason)) {
      throw new IdxError(`${source}: decompresses to more than the ${header.fileBytes} bytes its header declares (${declared}): trailing data, or not the file its header describes`);
    }
    throw new IdxError(`${source}: ${e.reason}`);
  }
}

/** Parses (already decompressed or gzipped) IDX bytes; `source` names the file in error messages. */
export function parseIdx(input: Uint8Array, source = 'IDX data'): IdxArray {
  const bytes = isGzip(input) ? gunzipIdx(input, source) : input;
  const { magic, dims, headerBytes, elements, fileBytes } = readHeader(bytes, source);
  checkLength(bytes.length, { dims, headerBytes, elements, fileBytes }, source);
  return { magic, dims, data: bytes.subarray(headerBytes) };
}

/** The file's length against the header's: truncated, or trailing data after the declared elements. */
function checkLength(length: number, header: Pick<IdxHeader, 'dims' | 'headerBytes' | 'elements' | 'fileBytes'>, source: string): void {
  const { dims, headerBytes, elements, fileBytes } = header;
  if (length < fileBytes) {
    throw new IdxError(`${source}: truncated: dimensions [${dims.join(', ')}] need ${elements} data bytes, the file has ${length - headerBytes}`);
  }
  if (length > fileBytes) {
    throw new IdxError(`${source}: ${length - fileBytes} bytes of trailing data after the ${elements} elements that dimensions [${dims.join(', ')}] declare`);
  }
}

/**
 * The bytes of a data file, which must be a regular file: a FIFO would block forever and a device
 * (/dev/zero) never end. A raw (not gzipped) IDX file's length is checked against its header before the
 * rest is read, so a huge file with a small header is refused at once. `what` says what the file is for.
 */
export function readDataFile(file: string, what = 'an IDX file'): Uint8Array {
  let fd: number;
  try {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) throw new IdxError(`${file}: is a directory, not ${what}`);
    if (!stat.isFile()) throw new IdxError(`${file}: is ${kindOf(stat)}, not a regular file; give ${what}`);
    // O_NONBLOCK: should the path become a FIFO between stat and open, opening it does not wait for a writer.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if (e instanceof IdxError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new IdxError(`${file}: no such file`);
    throw new IdxError(`${file}: cannot read (${(e as Error).message})`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new IdxError(`${file}: is ${kindOf(stat)}, not a regular file; give ${what}`);
    const head = new Uint8Array(Math.min(stat.size, 1024));
    const got = fs.readSync(fd, head, 0, head.length, 0);
    if (got === head.length && !isGzip(head) && head.length >= 4 && head[0] === 0 && head[1] === 0 && head[2] === UNSIGNED_BYTE) {
      const rank = head[3];
      if (rank > 0 && head.length >= 4 + 4 * rank) checkLength(stat.size, readHeader(head, file), file);
    }
    if (stat.size > MAX_IDX_BYTES) throw new IdxError(`${file}: ${stat.size} bytes is more than a data file can be read into memory (${MAX_IDX_BYTES})`);
    const bytes = new Uint8Array(stat.size);
    let at = 0;
    while (at < bytes.length) {
      const n = fs.readSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === bytes.length ? bytes : bytes.subarray(0, at);
  } catch (e) {
    if (e instanceof IdxError) throw e;
    throw new IdxError(`${file}: cannot read (${(e as Error).message})`);
  } finally {
    fs.closeSync(fd);
  }
}

/** What a non-regular file is, for messages ("a FIFO (named pipe)", "a character device", …). */
export function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}

/** Reads an IDX file from disk (gzipped or raw). */
export function readIdxFile(file: string): IdxArray {
  return parseIdx(readDataFile(file), file);
}

/** Checks an IDX array is an image file (magic 2051, [count, rows, cols]). */
export function asImages(idx: IdxArray, source = 'IDX data'): IdxImages {
  if (idx.magic !== IDX_IMAGES_MAGIC) {
    throw new IdxError(`${source}: magic number ${idx.magic} is not an IDX image file (expected ${IDX_IMAGES_MAGIC}${idx.magic === IDX_LABELS_MAGIC ? '; this is a label file' : ''})`);
  }
  const [count, rows, cols] = idx.dims;
  if (rows === 0 || cols === 0) throw new IdxError(`${source}: image size ${rows}×${cols} is empty`);
  return { count, rows, cols, pixels: idx.data };
}

/** Checks an IDX array is a label file (magic 2049, [count]). */
export function asLabels(idx: IdxArray, source = 'IDX data'): Uint8Array {
  if (idx.magic !== IDX_LABELS_MAGIC) {
    throw new IdxError(`${source}: magic number ${idx.magic} is not an IDX label file (expected ${IDX_LABELS_MAGIC}${idx.magic === IDX_IMAGES_MAGIC ? '; this is an image file' : ''})`);
  }
  return idx.data;
}

/** Reads an IDX image file (magic 2051). */
export function readIdxImages(file: string): IdxImages {
  return asImages(readIdxFile(file), file);
}

/** Reads an IDX label file (magic 2049); labels are bytes. */
export function readIdxLabels(file: string): Uint8Array {
  return asLabels(readIdxFile(file), file);
}

/** Encodes unsigned bytes as an IDX file (header + data): used to write test fixtures and exports. */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const elements = dims.reduce((a, b) => a * b, 1);
  if (data.length !== elements) {
    throw new IdxError(`encodeIdx: dimensions [${dims.join(', ')}] need ${elements} bytes, got ${data.length}`);
  }
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + elements);
  const view = new DataView(out.buffer);
  out[2] = UNSIGNED_BYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}
