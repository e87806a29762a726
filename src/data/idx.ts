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
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

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

/** Decompresses gzip bytes (by magic), or returns raw bytes unchanged. `source` names the file in errors. */
export function decompressIfGzip(bytes: Uint8Array, source: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return zlib.gunzipSync(bytes);
  } catch (e) {
    throw new IdxError(`${source}: the gzip data is corrupt or truncated (${(e as Error).message})`);
  }
}

/** Parses (already decompressed or gzipped) IDX bytes; `source` names the file in error messages. */
export function parseIdx(input: Uint8Array, source = 'IDX data'): IdxArray {
  const bytes = decompressIfGzip(input, source);
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
  const expected = headerBytes + elements;
  if (bytes.length < expected) {
    throw new IdxError(`${source}: truncated: dimensions [${dims.join(', ')}] need ${elements} data bytes, the file has ${bytes.length - headerBytes}`);
  }
  if (bytes.length > expected) {
    throw new IdxError(`${source}: ${bytes.length - expected} bytes of trailing data after the ${elements} elements that dimensions [${dims.join(', ')}] declare`);
  }
  return { magic, dims, data: bytes.subarray(headerBytes) };
}

/** Reads an IDX file from disk (gzipped or raw). */
export function readIdxFile(file: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new IdxError(`${file}: no such file`);
    if (code === 'EISDIR') throw new IdxError(`${file}: is a directory, not an IDX file`);
    throw new IdxError(`${file}: cannot read (${(e as Error).message})`);
  }
  return parseIdx(bytes, file);
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
