/**
 * gzip (RFC 1952), read strictly and within a size limit: one member — the 10-byte header and its optional
 * fields, the deflate data, the CRC-32 and length of the content — and nothing after it. zlib's own gunzip
 * accepts trailing bytes (zeros silently, anything else as a confusing "incorrect header check") and
 * decompresses any amount before a caller can look at it; here the caller says how many bytes it expects at
 * most (`maxOutput`), decompression stops as soon as the content would exceed it, and every failure says
 * which of these it was.
 */
import * as zlib from 'node:zlib';

/** A gzip stream that is not exactly one well-formed member within the limit. `reason` is the sentence. */
export class GzipError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'GzipError';
  }
}

/** The largest factor deflate can expand data by (258-byte matches in 2-bit codes: ~1032), with margin. */
export const MAX_DEFLATE_RATIO = 1100;

const FTEXT = 1;
const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/** Where the deflate data starts, after the header and its optional fields. */
export function gzipBodyOffset(bytes: Uint8Array): number {
  if (bytes.length < 10) throw new GzipError(`the gzip header is truncated (${bytes.length} of 10 bytes)`);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw new GzipError('it does not start with the gzip magic bytes 1f 8b');
  if (bytes[2] !== 8) throw new GzipError(`gzip compression method ${bytes[2]} is not deflate (8)`);
  const flags = bytes[3];
  if (flags & ~(FTEXT | FHCRC | FEXTRA | FNAME | FCOMMENT)) throw new GzipError(`the gzip header has reserved flag bits set (0x${flags.toString(16)})`);
  let at = 10;
  if (flags & FEXTRA) {
    if (at + 2 > bytes.length) throw new GzipError('the gzip header is truncated (in its extra field)');
    at += 2 + (bytes[at] | (bytes[at + 1] << 8));
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flags & flag) {
      while (at < bytes.length && bytes[at] !== 0) at++;
      at++; // the terminating zero
    }
  }
  if (flags & FHCRC) at += 2;
  if (at > bytes.length) throw new GzipError('the gzip header is truncated');
  return at;
}

/**
 * As much of the content as the first `inputBytes` compressed bytes give, without errors for the rest: to
 * read a header before deciding how much to decompress. At most `maxOutput` bytes are returned.
 */
export function gunzipPrefix(bytes: Uint8Array, inputBytes: number, maxOutput: number): Uint8Array {
  const body = gzipBodyOffset(bytes);
  try {
    const out = zlib.inflateRawSync(bytes.subarray(body, body + inputBytes), { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: maxOutput });
    return out;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return gunzipPrefix(bytes, Math.max(1, inputBytes >> 2), maxOutput);
    throw new GzipError(`the gzip data is corrupt (${(e as Error).message})`);
  }
}

/**
 * The content of a one-member gzip stream, refusing content longer than `maxOutput` bytes (checked while
 * decompressing: a bomb stops at the limit), a stream cut short, a CRC-32 or length that does not match,
 * and any byte after the member.
 */
export function gunzipStrict(bytes: Uint8Array, maxOutput: number): Uint8Array {
  const body = gzipBodyOffset(bytes);
  let result: { buffer: Buffer; engine: zlib.InflateRaw };
  try {
    result = zlib.inflateRawSync(bytes.subarray(body), {
      info: true, maxOutputLength: Math.max(1, maxOutput), chunkSize: outputChunkSize(bytes, body, maxOutput),
    }) as unknown as typeof result;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') throw new GzipError(`it decompresses to more than ${maxOutput} bytes`);
    if (/unexpected end of file/.test(err.message)) throw new GzipError('the gzip data is truncated (the deflate stream ends early)');
    throw new GzipError(`the gzip data is corrupt (${err.message})`);
  }
  const content = result.buffer;
  if (content.length > maxOutput) throw new GzipError(`it decompresses to more than ${maxOutput} bytes`);
  const trailer = body + result.engine.bytesWritten;
  if (trailer + 8 > bytes.length) throw new GzipError(`the gzip data is truncated (its 8-byte trailer has ${Math.max(0, bytes.length - trailer)})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crc = view.getUint32(trailer, true);
  const size = view.getUint32(trailer + 4, true);
  if (size !== content.length % 2 ** 32) throw new GzipError(`the gzip trailer records ${size} bytes of content but the data gives ${content.length}; the file is corrupt`);
  const actual = crc32(content);
  if (crc !== actual) throw new GzipError(`the gzip CRC-32 does not match (recorded ${hex(crc)}, computed ${hex(actual)}); the file is corrupt`);
  const trailing = bytes.length - (trailer + 8);
  if (trailing > 0) throw new GzipError(`${trailing} bytes of trailing data after the end of the gzip stream`);
  return content;
}

/**
 * zlib's output chunk: the size the trailer announces (ISIZE, the last 4 bytes), so that the content is
 * inflated into ONE buffer instead of many 16 KiB chunks concatenated at the end, which holds the content
 * twice at the peak (60,000 MNIST images: 47 MB, not 94 MB). Only a hint — the trailer is checked after
 * inflating — and never more than the content can be (the deflate ratio, maxOutput), than 512 MiB (a lying
 * trailer must not make zlib reserve gigabytes; larger contents just take more chunks) nor below zlib's default.
 */
function outputChunkSize(bytes: Uint8Array, body: number, maxOutput: number): number {
  const DEFAULT_CHUNK = 16 * 1024;
  if (bytes.length < body + 8) return DEFAULT_CHUNK;
  const announced = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
  const most = Math.min(maxOutput, (bytes.length - body) * MAX_DEFLATE_RATIO, 512 * 1024 * 1024);
  return Math.max(DEFAULT_CHUNK, Math.min(announced + 1, most + 1));
}

function hex(v: number): string {
  return v.toString(16).padStart(8, '0');
}

let table: Uint32Array | undefined;

/** CRC-32 (the gzip/zlib polynomial): zlib's own where Node has it (≥ 20.15), else a table in JS. */
export function crc32(bytes: Uint8Array): number {
  const native = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
  if (typeof native === 'function') return native(bytes) >>> 0;
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
