/** Schedules: values at chosen epochs equal their formulas; warm-up then decay has the expected shape. */
import {
  constantSchedule, cosineSchedule, exponentialSchedule, inverseTimeSchedule, parseSchedule, scheduleFromConfig,
  stepSchedule, withWarmup, type Schedule,
} from '../../src';

const epochs = [0, 1, 2, 3, 5, 9, 10, 17];

test('constant: η₀ at every epoch and step', () => {
  const s = constantSchedule({ lr: 0.1 });
  for (const e of epochs) expect(s.lr(e, e * 100)).toBe(0.1);
});

test('step: η₀·γ^⌊epoch/k⌋', () => {
  const s = stepSchedule({ lr: 0.1, gamma: 0.5, every: 3 });
  expect(s.lr(0, 0)).toBe(0.1);
  expect(s.lr(2, 50)).toBe(0.1);
  expect(s.lr(3, 60)).toBeCloseTo(0.05, 15);
  expect(s.lr(5, 0)).toBeCloseTo(0.05, 15);
  expect(s.lr(6, 0)).toBeCloseTo(0.025, 15);
  expect(s.lr(17, 0)).toBeCloseTo(0.1 * 0.5 ** 5, 15);
});

test('exponential: η₀·γ^epoch', () => {
  const s = exponentialSchedule({ lr: 0.2, gamma: 0.9 });
  for (const e of epochs) expect(s.lr(e, 0)).toBeCloseTo(0.2 * 0.9 ** e, 15);
});

test('inverse-time: η₀/(1 + k·epoch)', () => {
  const s = inverseTimeSchedule({ lr: 0.3, k: 0.5 });
  for (const e of epochs) expect(s.lr(e, 0)).toBeCloseTo(0.3 / (1 + 0.5 * e), 15);
});

test('cosine: η₀ at 0, the midpoint at E/2, η_min at E and after', () => {
  const s = cosineSchedule({ lr: 0.1, epochs: 10, minLr: 0.001 });
  expect(s.lr(0, 0)).toBeCloseTo(0.1, 15);
  expect(s.lr(5, 0)).toBeCloseTo((0.1 + 0.001) / 2, 15);
  expect(s.lr(10, 0)).toBeCloseTo(0.001, 15);
  expect(s.lr(17, 0)).toBeCloseTo(0.001, 15);
  for (const e of [1, 3, 7, 9]) {
    expect(s.lr(e, 0)).toBeCloseTo(0.001 + 0.5 * (0.1 - 0.001) * (1 + Math.cos((Math.PI * e) / 10)), 15);
  }
});

test('the first update (epoch 0, step 0) uses η₀ for every decay schedule', () => {
  const all: Schedule[] = [
    constantSchedule({ lr: 0.1 }), stepSchedule({ lr: 0.1, gamma: 0.1, every: 1 }), exponentialSchedule({ lr: 0.1, gamma: 0.5 }),
    inverseTimeSchedule({ lr: 0.1, k: 3 }), cosineSchedule({ lr: 0.1, epochs: 2 }),
  ];
  for (const s of all) expect(s.lr(0, 0)).toBe(0.1);
});

test('warm-up: linear from η₀/W to η₀ over W global steps, then the decay; monotone up, then monotone down', () => {
  const W = 8;
  const stepsPerEpoch = 3;
  const s = withWarmup(exponentialSchedule({ lr: 0.1, gamma: 0.8 }), W);
  expect(s.lr(0, 0)).toBeCloseTo(0.1 / W, 15);
  expect(s.lr(0, 2)).toBeCloseTo((0.1 * 3) / W, 15);
  const curve: number[] = [];
  for (let step = 0; step < 30; step++) curve.push(s.lr(Math.floor(step / stepsPerEpoch), step));
  const peak = curve.indexOf(Math.max(...curve));
  expect(peak).toBe(W - 1);
  expect(curve[peak]).toBeCloseTo(0.1, 15);
  for (let i = 1; i <= peak; i++) expect(curve[i]).toBeGreaterThan(curve[i - 1]);
  for (let i = peak + 1; i < curve.length; i++) expect(curve[i]).toBeLessThanOrEqual(curve[i - 1]);
  for (let i = W; i < curve.length; i++) expect(curve[i]).toBeCloseTo(0.1 * 0.8 ** Math.floor(i / stepsPerEpoch), 15);
});

test('warm-up composes with every kind and survives the config round trip', () => {
  const s = withWarmup(cosineSchedule({ lr: 0.05, epochs: 4 }), 10);
  expect(s.config).toEqual({ kind: 'cosine', lr: 0.05, epochs: 4, minLr: 0, warmupSteps: 10 });
  const copy = scheduleFromConfig(JSON.parse(JSON.stringify(s.config)));
  for (let step = 0; step < 40; step++) expect(copy.lr(Math.floor(step / 7), step)).toBe(s.lr(Math.floor(step / 7), step));
});

test('parseSchedule reads the CLI form', () => {
  expect(parseSchedule('cosine:epochs=10,minLr=1e-5', { lr: 0.1 }).config).toEqual({ kind: 'cosine', lr: 0.1, epochs: 10, minLr: 1e-5 });
  expect(parseSchedule('cosine', { lr: 0.1, epochs: 6 }).config).toEqual({ kind: 'cosine', lr: 0.1, epochs: 6, minLr: 0 });
  expect(parseSchedule(' step:gamma=0.5, every=2 ', { lr: 1 }).config).toEqual({ kind: 'step', lr: 1, gamma: 0.5, every: 2 });
  expect(parseSchedule('exponential:gamma=0.9,warmup=100,lr=0.3', { lr: 1 }).config).toEqual({
    kind: 'exponential', lr: 0.3, gamma: 0.9, warmupSteps: 100,
  });
  expect(parseSchedule('inverse-time:k=0.5', { lr: 0.1 }).lr(2, 0)).toBeCloseTo(0.05, 15);
  expect(parseSchedule('constant', { lr: 0.1 }).lr(9, 9)).toBe(0.1);
});

test('bad schedules are clear errors', () => {
  expect(() => parseSchedule('linear', { lr: 0.1 })).toThrow('unknown schedule "linear" in "linear" (known: constant, step, exponential, inverse-time, cosine)');
  expect(() => parseSchedule('cosine', { lr: 0.1 })).toThrow('cosine schedule: option "epochs" is required');
  expect(() => parseSchedule('step:gamma=0.5', { lr: 0.1 })).toThrow('step schedule: option "every" is required');
  expect(() => parseSchedule('step:gamma=half,every=2', { lr: 0.1 })).toThrow('"gamma=half" must be key=number');
  expect(() => parseSchedule('exponential:gama=0.5', { lr: 0.1 })).toThrow('exponential schedule: unknown option "gama"');
  expect(() => stepSchedule({ lr: 0.1, gamma: 0.5, every: 0 })).toThrow('step schedule: option "every" must be a positive integer, got 0');
  expect(() => cosineSchedule({ lr: -1, epochs: 3 })).toThrow('cosine schedule: option "lr" must be a finite number > 0, got -1');
  expect(() => cosineSchedule({ lr: 0.1, epochs: 3, minLr: 0.2 })).toThrow('"minLr" (0.2) must not exceed "lr" (0.1)');
  expect(() => withWarmup(constantSchedule({ lr: 0.1 }), 2.5)).toThrow('"warmupSteps" must be a positive integer');
  expect(() => constantSchedule({ lr: 0.1 }).lr(-1, 0)).toThrow('needs integers ≥ 0, got (-1, 0)');
});
