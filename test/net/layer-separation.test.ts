/**
 * The rule of layer separation (ARCHITECTURE §3): backward never changes a parameter value; only the
 * optimizer's step, after backward has finished for the whole net, does.
 */
import { Adam, SGD, SoftmaxCrossEntropy, type Sequential } from '../../src';
import { ALL_KINDS, blobImages, everyLayerNet } from './all-layers.fixture';

function snapshot(net: Sequential): Float32Array[] {
  return [...net.params().map((p) => p.value.slice()), ...net.buffers().map((b) => b.value.slice())];
}

function current(net: Sequential): Float32Array[] {
  return [...net.params().map((p) => p.value), ...net.buffers().map((b) => b.value)];
}

/** Bit-for-bit equality (NaN-safe, −0 ≠ +0): compare the raw bytes. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

test.each([
  ['SGD', () => new SGD({ lr: 0.1, weightDecay: 0.01 })],
  ['Adam', () => new Adam({ lr: 0.01 })],
])('backward over a whole net with every layer kind leaves params and buffers bit-identical; %s.step then changes every param', (_name, makeOptimizer) => {
  const net = everyLayerNet(11);
  expect(new Set(net.layers.map((l) => l.kind))).toEqual(new Set(ALL_KINDS));
  const { x, y } = blobImages(6, 4);
  const loss = new SoftmaxCrossEntropy();
  net.zeroGrad();
  loss.forward(net.forward(x, true), y);
  const dScores = loss.backward();

  const before = snapshot(net);
  net.backward(dScores);
  current(net).forEach((values, i) => expect(sameBits(values, before[i])).toBe(true));
  // The backward pass did produce gradients (else the test proves nothing).
  for (const p of net.params()) expect(p.grad.some((g) => g !== 0)).toBe(true);

  // A second backward of the same forward leaves the values alone too (grads accumulate).
  const grads = net.params().map((p) => p.grad.slice());
  net.backward(dScores);
  current(net).forEach((values, i) => expect(sameBits(values, before[i])).toBe(true));
  net.params().forEach((p, i) => p.grad.forEach((g, j) => expect(g).toBeCloseTo(2 * grads[i][j], 5)));

  makeOptimizer().step(net.params());
  net.params().forEach((p, i) => expect(sameBits(p.value, before[i])).toBe(false));
  // Buffers (running statistics) are the forward's business, never the optimizer's.
  net.buffers().forEach((b, i) => expect(sameBits(b.value, before[net.params().length + i])).toBe(true));
});
