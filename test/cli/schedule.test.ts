import { scheduleFromSpec } from '../../src/cli/schedule';

test('the documented forms', () => {
  expect(scheduleFromSpec('constant', 0.1, 5, 10).lr(4, 40)).toBeCloseTo(0.1, 12);
  const cosine = scheduleFromSpec('cosine', 0.1, 4, 10);
  expect(cosine.config).toMatchObject({ kind: 'cosine', epochs: 4, minLr: 0 });
  expect(cosine.lr(2, 20)).toBeCloseTo(0.05, 12);
  expect(scheduleFromSpec('step:every=2,gamma=0.5', 0.1, 10, 10).lr(5, 50)).toBeCloseTo(0.025, 12);
  expect(scheduleFromSpec('exp:gamma=0.9', 1, 10, 10).lr(2, 0)).toBeCloseTo(0.81, 12);
  expect(scheduleFromSpec('exponential:gamma=0.9', 1, 10, 10).config.kind).toBe('exponential');
  expect(scheduleFromSpec('inverse:k=0.1', 1, 10, 10).lr(10, 0)).toBeCloseTo(0.5, 12);
  expect(scheduleFromSpec('cosine:minLr=0.01,epochs=2', 0.1, 10, 10).lr(5, 0)).toBeCloseTo(0.01, 12);
});

test('warm-up in epochs becomes steps of the real epoch length; "+" in either order', () => {
  const s = scheduleFromSpec('warmup:epochs=1+cosine', 0.1, 4, 50);
  expect(s.config.warmupSteps).toBe(50);
  expect(s.lr(0, 0)).toBeCloseTo(0.1 / 50, 12);
  expect(s.lr(0, 49)).toBeCloseTo(0.1, 12);
  expect(scheduleFromSpec('cosine+warmup:steps=7', 0.1, 4, 50).config.warmupSteps).toBe(7);
  expect(scheduleFromSpec('warmup:steps=3', 0.1, 4, 50).config).toMatchObject({ kind: 'constant', warmupSteps: 3 });
  expect(scheduleFromSpec('warmup:epochs=0.5+step:every=1,gamma=0.5', 0.1, 4, 10).config).toMatchObject({ kind: 'step', warmupSteps: 5 });
});

test('mistakes name the spec', () => {
  expect(() => scheduleFromSpec('linear', 0.1, 4, 10)).toThrow(/--schedule "linear": unknown schedule "linear"/);
  expect(() => scheduleFromSpec('cosine+', 0.1, 4, 10)).toThrow(/empty part/);
  expect(() => scheduleFromSpec('warmup:3+cosine', 0.1, 4, 10)).toThrow(/warmup:epochs=N or warmup:steps=N/);
  expect(() => scheduleFromSpec('warmup:steps=1+warmup:steps=2', 0.1, 4, 10)).toThrow(/more than one warm-up/);
  expect(() => scheduleFromSpec('step:gamma=x', 0.1, 4, 10)).toThrow(/--schedule "step:gamma=x"/);
  expect(() => scheduleFromSpec('exp', 0.1, 4, 10)).toThrow(/"gamma" is required/);
});
