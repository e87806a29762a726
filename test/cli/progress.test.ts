import { EpochProgress, epochLine, fitLine, formatDuration, formatLr } from '../../src/cli/progress';

/** A fake terminal: records writes; a settable clock. */
function fakeTty() {
  const writes: string[] = [];
  let now = 0;
  return {
    stream: { write: (s: string) => writes.push(s), columns: 100 },
    writes,
    advance: (ms: number) => (now += ms),
    clock: () => now,
  };
}

test('the bar redraws in place with batches, samples/s, running loss and ETA', () => {
  const t = fakeTty();
  const bar = new EpochProgress(t.stream, 'epoch 1/3', 10, t.clock);
  t.advance(1000);
  bar.update(1, 100, 2.3456);
  expect(t.writes).toHaveLength(1);
  expect(t.writes[0].startsWith('\r\x1b[K')).toBe(true);
  expect(t.writes[0]).toMatch(/^\r\x1b\[Kepoch 1\/3 [█·]+ 1\/10 {2}100 samples\/s {2}loss 2\.3456 {2}ETA 9s$/);
});

test('redraws at most every 100 ms, but always at the last batch; clear erases the line', () => {
  const t = fakeTty();
  const bar = new EpochProgress(t.stream, 'epoch 2/3', 4, t.clock);
  t.advance(10);
  bar.update(1, 10, 1);
  t.advance(10);
  bar.update(2, 20, 1); // too soon: skipped
  t.advance(10);
  bar.update(3, 30, 1); // still too soon
  expect(t.writes).toHaveLength(1);
  t.advance(10);
  bar.update(4, 40, 0.5); // last batch: drawn
  expect(t.writes).toHaveLength(2);
  expect(t.writes[1]).toMatch(/ 4\/4 .*loss 0\.5000 {2}ETA 0s$/);
  const full = t.writes[1].match(/[█·]+/)![0];
  expect(full).toMatch(/^█+$/);
  bar.clear();
  expect(t.writes[2]).toBe('\r\x1b[K');
  bar.clear(); // nothing drawn since: nothing to erase
  expect(t.writes).toHaveLength(3);
});

test('the epoch summary line', () => {
  expect(epochLine({ epoch: 3, epochs: 10, trainLoss: 0.12345, trainAccuracy: 0.9612, valLoss: 0.1, valAccuracy: 0.97, lr: 0.0005, seconds: 12.34, trainSeconds: 11.9, validationSeconds: 0.44 }))
    .toBe('epoch  3/10  train loss 0.1235 acc 96.12%  val loss 0.1000 acc 97.00%  lr 5.00e-4  11.9s + val 0.4s');
  expect(epochLine({ epoch: 1, epochs: 1, trainLoss: 1, trainAccuracy: 0.5, valLoss: null, valAccuracy: null, lr: 1, seconds: 1, trainSeconds: 1, validationSeconds: 0 }))
    .toMatch(/val – {2}lr 1\.00e0 {2}1\.0s$/);
});

test('durations and learning rates', () => {
  expect(formatDuration(42.4)).toBe('42s');
  expect(formatDuration(185)).toBe('3m05s');
  expect(formatDuration(3720)).toBe('1h02m');
  expect(formatDuration(NaN)).toBe('?');
  expect(formatLr(0.001)).toBe('1.00e-3');
  expect(formatLr(2)).toBe('2.00e0');
});

test('samples/s counts from the start of the epoch, not from the first redraw', () => {
  const t = fakeTty();
  t.advance(500); // the first batch took 500 ms before the bar existed
  const bar = new EpochProgress(t.stream, 'epoch 1/1', 10, t.clock, 0);
  bar.update(1, 100, 1);
  expect(t.writes[0]).toMatch(/ 200 samples\/s /);
});

test('the line fits the terminal: never more than columns − 1 characters, the bar going first', () => {
  const parts = { label: 'epoch 12/15', count: '845/860', rate: '12,345 samples/s', loss: 'loss 0.1234', eta: 'ETA 1m05s' };
  for (let columns = 10; columns <= 200; columns++) {
    const line = fitLine(parts, 845 / 860, columns);
    expect(line.length).toBeLessThanOrEqual(columns - 1);
  }
  expect(fitLine(parts, 0.5, 120)).toMatch(/^epoch 12\/15 [█·]{30} 845\/860 {2}12,345 samples\/s {2}loss 0\.1234 {2}ETA 1m05s$/);
  expect(fitLine(parts, 0.5, 80)).toMatch(/^epoch 12\/15 [█·]{17} 845\/860 {2}12,345 samples\/s/);
  expect(fitLine(parts, 0.5, 50)).toBe('epoch 12/15 845/860  loss 0.1234  ETA 1m05s');
  expect(fitLine(parts, 0.5, 30)).toBe('epoch 12/15 845/860');
  expect(fitLine(parts, 0.5, 12)).toBe('epoch 12/15');
});

test('a 50-column terminal gets a bar line that does not wrap', () => {
  const t = fakeTty();
  const bar = new EpochProgress({ write: t.stream.write, columns: 50 }, 'epoch 1/3', 860, t.clock);
  t.advance(1000);
  bar.update(1, 64, 2.3456);
  expect(t.writes[0].replace('\r\x1b[K', '').length).toBeLessThan(50);
});
