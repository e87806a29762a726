/** The digits' PNG encoder: known checksums, and a round trip through zlib's inflate. */
import * as zlib from 'node:zlib';
import { adler32, base64, crc32, encodeGreyscalePng, greyscalePngDataUri, zlibStored } from '../../src/report/png';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

test('CRC-32 and Adler-32 of the standard check strings', () => {
  expect(crc32(bytes('123456789'))).toBe(0xcbf43926);
  expect(crc32(new Uint8Array(0))).toBe(0);
  expect(adler32(bytes('Wikipedia'))).toBe(0x11e60398);
  expect(adler32(new Uint8Array(0))).toBe(1);
});

test('base64 matches Buffer for every padding case', () => {
  for (const n of [0, 1, 2, 3, 4, 5, 100]) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 97 + 13) & 255);
    expect(base64(data)).toBe(Buffer.from(data).toString('base64'));
  }
});

test('stored zlib streams inflate back, across the 65,535-byte block limit', () => {
  for (const n of [0, 1, 812, 65535, 65536, 140000]) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 8)) & 255);
    expect(Buffer.compare(zlib.inflateSync(zlibStored(data)), Buffer.from(data))).toBe(0);
  }
});

test('a PNG with the right chunks, checksums and pixel rows', () => {
  const width = 5;
  const height = 3;
  const pixels = Uint8Array.from({ length: width * height }, (_, i) => i * 17);
  const png = Buffer.from(encodeGreyscalePng(pixels, width, height));
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: { type: string; data: Buffer }[] = [];
  for (let o = 8; o < png.length;) {
    const length = png.readUInt32BE(o);
    const type = png.toString('latin1', o + 4, o + 8);
    const data = png.subarray(o + 8, o + 8 + length);
    expect(png.readUInt32BE(o + 8 + length)).toBe(crc32(new Uint8Array(png.subarray(o + 4, o + 8 + length))));
    chunks.push({ type, data });
    o += 12 + length;
  }
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const ihdr = chunks[0].data;
  expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9], ihdr[10], ihdr[11], ihdr[12]]).toEqual([5, 3, 8, 0, 0, 0, 0]);
  const raw = zlib.inflateSync(chunks[1].data);
  expect(raw.length).toBe(height * (width + 1));
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width + 1)]).toBe(0); // filter: none
    expect([...raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1))]).toEqual([...pixels.subarray(y * width, (y + 1) * width)]);
  }
  expect(greyscalePngDataUri(pixels, width, height)).toBe(`data:image/png;base64,${png.toString('base64')}`);
});

test('sizes that do not match are refused', () => {
  expect(() => encodeGreyscalePng(new Uint8Array(4), 3, 1)).toThrow(RangeError);
  expect(() => encodeGreyscalePng(new Uint8Array(0), 0, 0)).toThrow(/positive integers/);
});
