/** The pure SHA-256 the model files use (so a browser can check them) equals Node's crypto on any bytes. */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256Hex } from '../../src/net/sha256';

const nodeSha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('the FIPS 180-4 examples', () => {
  expect(sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('every length around the block and padding boundaries (0..200 bytes)', () => {
  for (let n = 0; n <= 200; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 255);
    expect(sha256Hex(bytes)).toBe(nodeSha(bytes));
  }
});

test('random byte arrays, also as a subarray of a larger buffer', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(7), (bytes, skip) => {
    const padded = new Uint8Array(bytes.length + skip);
    padded.set(bytes, skip);
    expect(sha256Hex(padded.subarray(skip))).toBe(nodeSha(bytes));
  }), { numRuns: 100 });
});
