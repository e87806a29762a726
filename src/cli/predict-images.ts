/**
 * Image files `nn predict` reads: an IDX image file (gzipped or raw) or a binary greyscale PGM (P5).
 */
import { IdxError, asImages, parseIdx, readDataFile } from '../data/idx';
import { CliError } from './errors';

/** Greyscale pixel bytes of `count` images. */
export interface ImageBytes {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

/** Reads a binary PGM (by its "P5" magic) or an IDX image file. */
export function readImages(file: string): ImageBytes {
  // A regular file only: a FIFO or a device would never end (readDataFile says which it is).
  const bytes = readDataFile(file, 'an IDX image file or a PGM image');
  if (bytes.length >= 2 && bytes[0] === 0x50 /* P */ && bytes[1] >= 0x31 && bytes[1] <= 0x37) {
    return parsePgm(bytes, file);
  }
  try {
    const images = asImages(parseIdx(bytes, file), file);
    return { count: images.count, rows: images.rows, cols: images.cols, pixels: images.pixels };
  } catch (e) {
    if (e instanceof IdxError && /not an IDX file/.test(e.message)) {
      throw new CliError(`${file} is neither an IDX image file nor a binary PGM (P5) image`);
    }
    throw e;
  }
}

/** A binary greyscale PGM (P5): header "P5 width height maxval" with # comments, then the pixels. */
export function parsePgm(bytes: Uint8Array, file: string): ImageBytes {
  if (bytes[1] !== 0x35) {
    throw new CliError(`${file} is a P${String.fromCharCode(bytes[1])} netpbm image; only binary greyscale PGM (P5) is supported`);
  }
  let pos = 2;
  const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
  const fields: number[] = [];
  while (fields.length < 3) {
    while (pos < bytes.length && (isSpace(bytes[pos]) || bytes[pos] === 0x23)) {
      if (bytes[pos] === 0x23) while (pos < bytes.length && bytes[pos] !== 0x0a) pos++; // # comment to end of line
      else pos++;
    }
    const start = pos;
    while (pos < bytes.length && bytes[pos] >= 0x30 && bytes[pos] <= 0x39) pos++;
    if (pos === start) throw new CliError(`${file}: damaged PGM header (expected width, height and maxval)`);
    fields.push(Number(Buffer.from(bytes.subarray(start, pos)).toString('ascii')));
  }
  if (pos >= bytes.length || !isSpace(bytes[pos])) throw new CliError(`${file}: damaged PGM header (no whitespace before the pixels)`);
  pos++;
  const [width, height, maxval] = fields;
  if (width === 0 || height === 0 || maxval === 0 || maxval > 65535) {
    throw new CliError(`${file}: PGM size ${width}×${height} with maxval ${maxval} is not valid`);
  }
  const bytesPerPixel = maxval < 256 ? 1 : 2;
  const needed = width * height * bytesPerPixel;
  if (bytes.length - pos < needed) {
    throw new CliError(`${file}: truncated PGM: ${width}×${height} pixels need ${needed} bytes, the file has ${bytes.length - pos}`);
  }
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const v = bytesPerPixel === 1 ? bytes[pos + i] : (bytes[pos + 2 * i] << 8) | bytes[pos + 2 * i + 1];
    pixels[i] = Math.round((Math.min(v, maxval) * 255) / maxval);
  }
  return { count: 1, rows: height, cols: width, pixels };
}
