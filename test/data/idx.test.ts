import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import {
  IdxError, encodeIdx, parseIdx, readIdxFile, readIdxImages, readIdxLabels, isGzip,
} from '../../src/data/idx';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-idx-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

function images(count: number, rows: number, cols: number, seed = 1): Uint8Array {
  const data = new Uint8Array(count * rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 7) & 0xff;
  return encodeIdx([count, rows, cols], data);
}

describe('IDX reader', () => {
  test('raw and gzipped files round-trip any shape and content (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }),
        fc.boolean(), fc.integer({ min: 0, max: 1000 }),
        (count, rows, cols, gzip, seed) => {
          const pixels = new Uint8Array(count * rows * cols).map((_, i) => (i * 131 + seed) & 0xff);
          const raw = encodeIdx([count, rows, cols], pixels);
          const file = write(`p-${count}-${rows}-${cols}${gzip ? '.gz' : ''}`, gzip ? zlib.gzipSync(raw) : raw);
          const read = readIdxImages(file);
          expect(read.count).toBe(count);
          expect(read.rows).toBe(rows);
          expect(read.cols).toBe(cols);
          expect(Array.from(read.pixels)).toEqual(Array.from(pixels));
        },
      ),
      { numRuns: 100, seed: 42 },
    );
  });

  test('labels: magic 2049, one dimension', () => {
    const labels = Uint8Array.from([5, 0, 4, 1, 9]);
    const file = write('labels', encodeIdx([5], labels));
    expect(Array.from(readIdxLabels(file))).toEqual([5, 0, 4, 1, 9]);
    expect(readIdxFile(file).magic).toBe(2049);
  });

  test('gzip is detected by the magic bytes 1f 8b, not by the name', () => {
    const raw = images(2, 3, 3);
    const gz = zlib.gzipSync(raw);
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(raw)).toBe(false);
    const misnamed = write('gzipped-without-suffix', gz);
    expect(readIdxImages(misnamed).count).toBe(2);
    const rawNamedGz = write('raw-named.gz', raw);
    expect(readIdxImages(rawNamedGz).count).toBe(2);
  });

  test('an image file read as labels (and the reverse) names both magics', () => {
    const img = write('img', images(2, 2, 2));
    const lab = write('lab', encodeIdx([3], new Uint8Array(3)));
    expect(() => readIdxLabels(img)).toThrow(/magic number 2051 is not an IDX label file \(expected 2049; this is an image file\)/);
    expect(() => readIdxImages(lab)).toThrow(/magic number 2049 is not an IDX image file \(expected 2051; this is a label file\)/);
  });

  test('a file that is not IDX at all: wrong magic', () => {
    const file = write('text.txt', Buffer.from('hello world, this is not an IDX file'));
    expect(() => readIdxImages(file)).toThrow(IdxError);
    expect(() => readIdxImages(file)).toThrow(/not an IDX file \(magic number \d+ = 0x68656c6c/);
  });

  test('unsupported element type', () => {
    const bytes = images(1, 2, 2);
    bytes[2] = 0x0d; // float
    expect(() => parseIdx(bytes, 'x')).toThrow(/element type 0x0d is not supported/);
  });

  test('truncated data, truncated header, too short, trailing bytes', () => {
    const full = images(3, 4, 4);
    expect(() => parseIdx(full.subarray(0, full.length - 1), 'f')).toThrow(/f: truncated: dimensions \[3, 4, 4\] need 48 data bytes, the file has 47/);
    expect(() => parseIdx(full.subarray(0, 10), 'f')).toThrow(/truncated header: 3 dimensions need 16 header bytes, the file has 10/);
    expect(() => parseIdx(full.subarray(0, 2), 'f')).toThrow(/2 bytes is too short/);
    const longer = new Uint8Array(full.length + 3);
    longer.set(full);
    expect(() => parseIdx(longer, 'f')).toThrow(/3 bytes of trailing data after the 48 elements/);
  });

  test('truncated gzip names the file', () => {
    const gz = zlib.gzipSync(images(20, 8, 8));
    const file = write('cut.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    expect(() => readIdxImages(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the gzip data is truncated`));
  });

  test('missing file and directory', () => {
    expect(() => readIdxImages(path.join(dir, 'nope'))).toThrow(/nope: no such file/);
    expect(() => readIdxImages(dir)).toThrow(/is a directory/);
  });

  test('a gzip stream with anything after it (zeros, garbage, a second member) is refused as trailing data', () => {
    const gz = zlib.gzipSync(images(3, 4, 4));
    expect(parseIdx(gz, 'f').dims).toEqual([3, 4, 4]);
    expect(() => parseIdx(Buffer.concat([gz, Buffer.alloc(4)]), 'f')).toThrow('f: 4 bytes of trailing data after the end of the gzip stream');
    expect(() => parseIdx(Buffer.concat([gz, Buffer.from('junk!')]), 'f')).toThrow('f: 5 bytes of trailing data after the end of the gzip stream');
    expect(() => parseIdx(Buffer.concat([gz, gz]), 'f')).toThrow(`f: ${gz.length} bytes of trailing data after the end of the gzip stream`);
    // Inside the stream: content longer than the header declares.
    const longer = zlib.gzipSync(Buffer.concat([images(3, 4, 4), Buffer.alloc(10)]));
    expect(() => parseIdx(longer, 'f')).toThrow('f: decompresses to more than the 64 bytes its header declares (dimensions [3, 4, 4])');
  });

  test('a gzip bomb stops at the size the header declares, and a header no gzip of that size can fill is refused before decompressing', () => {
    const header = images(10, 28, 28).subarray(0, 16); // declares 10 × 28 × 28 = 7,840 pixels
    const bomb = zlib.gzipSync(Buffer.concat([header, Buffer.alloc(64 << 20)])); // 64 MiB of zeros in ~65 KB
    expect(() => parseIdx(bomb, 'bomb.gz')).toThrow('bomb.gz: decompresses to more than the 7856 bytes its header declares (dimensions [10, 28, 28])');
    const huge = Buffer.from(images(1, 1, 1));
    huge.writeUInt32BE(60000, 4);
    huge.writeUInt32BE(28, 8);
    huge.writeUInt32BE(28, 12);
    expect(() => parseIdx(zlib.gzipSync(huge), 'small.gz')).toThrow(/small\.gz: its header declares dimensions \[60000, 28, 28\], 47040016 bytes, more than \d+ gzipped bytes can hold/);
    // A gzip of zeros: its "header" is four zero bytes, refused on the first bytes decompressed.
    expect(() => parseIdx(zlib.gzipSync(Buffer.alloc(64 << 20)), 'zeros.gz')).toThrow('zeros.gz: IDX element type 0x00 is not supported');
  });

  test('the gzip CRC-32 and length are checked', () => {
    const gz = Buffer.from(zlib.gzipSync(images(3, 4, 4)));
    const crc = Buffer.from(gz);
    crc[crc.length - 8] ^= 1;
    expect(() => parseIdx(crc, 'f')).toThrow(/f: the gzip CRC-32 does not match \(recorded [0-9a-f]{8}, computed [0-9a-f]{8}\); the file is corrupt/);
    const size = Buffer.from(gz);
    size[size.length - 4] ^= 1;
    expect(() => parseIdx(size, 'f')).toThrow(/f: the gzip trailer records \d+ bytes of content but the data gives 64/);
  });

  test('only regular files are read: a FIFO and a device are refused at once, naming what they are', () => {
    if (process.platform === 'win32') return;
    const fifo = path.join(dir, 'train-images-idx3-ubyte');
    require('node:child_process').execFileSync('mkfifo', [fifo]);
    expect(() => readIdxFile(fifo)).toThrow(`${fifo}: is a FIFO (named pipe), not a regular file; give an IDX file`);
    if (fs.existsSync('/dev/zero')) expect(() => readIdxImages('/dev/zero')).toThrow('/dev/zero: is a character device, not a regular file; give an IDX file');
  });

  test('a raw file longer than its header declares is refused before it is read (a sparse 3 GB file)', () => {
    const file = write('sparse-idx', images(2, 2, 2));
    fs.truncateSync(file, 3e9);
    expect(() => readIdxFile(file)).toThrow(`${file}: ${3e9 - 24} bytes of trailing data after the 8 elements that dimensions [2, 2, 2] declare`);
    fs.rmSync(file);
  });

  test('encodeIdx refuses data of the wrong length', () => {
    expect(() => encodeIdx([2, 2], new Uint8Array(3))).toThrow(/need 4 bytes, got 3/);
  });
});
