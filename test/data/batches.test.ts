/** Batches: gathering by index into reused buffers, the tail split, the per-epoch order. */
import { BatchGatherer, Rng, fillOrder, sampleCount, splitTail, tensor } from '../../src';
import { arenaAvailable } from '../../src/kernels/wasm/arena';

function data(n: number) {
  const x = tensor([n, 2, 2]);
  for (let i = 0; i < x.data.length; i++) x.data[i] = i;
  const y = Int32Array.from({ length: n }, (_, i) => 100 + i);
  const t = tensor([n, 3]);
  for (let i = 0; i < t.data.length; i++) t.data[i] = -i;
  return { x, y, t };
}

test('gather copies the named samples, in order, into buffers reused per batch size', () => {
  const { x, y, t } = data(5);
  const order = Int32Array.of(4, 0, 3, 1, 2);
  const gatherer = new BatchGatherer({ x, y });
  const first = gatherer.gather(order, 0, 2);
  expect(first.x.shape).toEqual([2, 2, 2]);
  expect(Array.from(first.x.data)).toEqual([16, 17, 18, 19, 0, 1, 2, 3]);
  expect(Array.from(first.y as Int32Array)).toEqual([104, 100]);
  const second = gatherer.gather(order, 2, 2);
  expect(second.x).toBe(first.x); // the same buffer: no allocation per batch
  expect(Array.from(second.y as Int32Array)).toEqual([103, 101]);
  const last = gatherer.gather(order, 4, 1);
  expect(last.x.shape).toEqual([1, 2, 2]);
  expect(Array.from(last.x.data)).toEqual([8, 9, 10, 11]);
  expect(gatherer.gather(order, 0, 1).x).toBe(last.x);

  const tensorTargets = new BatchGatherer({ x, y: t }).gather(order, 0, 2).y;
  expect(Array.from((tensorTargets as { data: Float32Array }).data)).toEqual([-12, -13, -14, -0, -1, -2]);
});

test('gather from a heap or a shared source, into a heap or a shared batch: the same rows at every batch size', () => {
  // Rows from the heap bound for the kernels' memory (a SharedArrayBuffer: batches from 4096 floats) are
  // gathered on the heap and copied over in one set; every other pairing copies row by row. Same batch.
  const n = 7, row = 1500;
  const x = tensor([n, row], Float32Array.from({ length: n * row }, (_, i) => i * 0.5));
  const y = Int32Array.from({ length: n }, (_, i) => 100 + i);
  const sharedX = tensor(x.shape, new Float32Array(new SharedArrayBuffer(x.data.length * 4)));
  sharedX.data.set(x.data);
  const order = Int32Array.of(6, 2, 5, 0, 3, 1, 4);
  const expected = (start: number, count: number) =>
    Array.from(order.subarray(start, start + count)).flatMap((i) => Array.from(x.data.subarray(i * row, (i + 1) * row)));
  for (const source of [x, sharedX]) {
    const gatherer = new BatchGatherer({ x: source, y });
    for (const [start, count] of [[0, 3], [3, 3], [6, 1], [0, 3]]) {
      const batch = gatherer.gather(order, start, count);
      expect(Array.from(batch.x.data)).toEqual(expected(start, count));
      expect(Array.from(batch.y as Int32Array)).toEqual(Array.from(order.subarray(start, start + count), (i) => 100 + i));
      if (count === 3 && arenaAvailable()) expect(batch.x.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
    gatherer.dispose();
  }
});

test('fillOrder: a permutation, shuffled deterministically by the rng, or the identity', () => {
  const order = new Int32Array(50);
  fillOrder(order, new Rng(1), true);
  const a = Array.from(order);
  expect([...a].sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  expect(a).not.toEqual([...a].sort((p, q) => p - q));
  expect(Array.from(fillOrder(new Int32Array(50), new Rng(1), true))).toEqual(a);
  expect(Array.from(fillOrder(new Int32Array(4), new Rng(1), false))).toEqual([0, 1, 2, 3]);
});

test('splitTail: the last ⌈f·N⌉ samples, as views', () => {
  const { x, y } = data(10);
  const { train, validation } = splitTail({ x, y }, 0.25);
  expect(train.x.shape).toEqual([7, 2, 2]);
  expect(validation.x.shape).toEqual([3, 2, 2]);
  expect(Array.from(validation.y as Int32Array)).toEqual([107, 108, 109]);
  expect(validation.x.data[0]).toBe(28);
  expect(validation.x.data.buffer).toBe(x.data.buffer);
  expect(() => splitTail({ x, y }, 0)).toThrow('validationSplit must be a fraction in (0, 1), got 0');
  expect(() => splitTail({ x: tensor([1, 2]), y: new Int32Array(1) }, 0.5)).toThrow('leaves no training samples');
});

test('sampleCount checks that x and y agree', () => {
  const { x, y } = data(4);
  expect(sampleCount({ x, y }, 'data')).toBe(4);
  expect(() => sampleCount({ x, y: y.subarray(1) }, 'test data')).toThrow('test data: x holds 4 samples ([4, 2, 2]) but y holds 3');
  expect(() => sampleCount({ x: tensor([4]), y }, 'test data')).toThrow('test data: x must be [N, …]');
});
