/** state()/loadState(): a restored optimizer continues exactly like the original. */
import { makeParam, type Param } from '../../src/layers/layer';
import { createOptimizer, optimizerKinds, OptionError } from '../../src';

function problem(): Param[] {
  return [
    makeParam('weights', [4], Float32Array.of(1, -2, 3, 0.5), true),
    makeParam('bias', [2], Float32Array.of(0.1, -0.3), false),
  ];
}

function setGrads(params: Param[], t: number): void {
  params.forEach((p, k) => p.value.forEach((w, i) => (p.grad[i] = Math.sin(w * (k + 1) + t) + 0.1 * i)));
}

describe.each(optimizerKinds)('%s', (kind) => {
  test('save after 3 steps, restore into a fresh optimizer: the next 3 steps are bit-identical', () => {
    const options = { lr: 0.01, weightDecay: 0.01, clipNorm: 5 };
    const original = createOptimizer(kind, options);
    const a = problem();
    for (let t = 0; t < 3; t++) {
      setGrads(a, t);
      original.step(a);
    }
    const saved = original.state(a);
    expect(saved.kind).toBe(kind);
    expect(saved.step).toBe(3);
    // A JSON round trip of the arrays (as numbers) must lose nothing: float32 values print exactly.
    const viaJson = JSON.parse(JSON.stringify({ ...saved, slots: saved.slots.map((s) => s.map((x) => Array.from(x))) }));
    viaJson.slots = viaJson.slots.map((s: number[][]) => s.map((x) => Float32Array.from(x)));

    const b = a.map((p) => makeParam(p.name, p.shape, p.value.slice(), p.decay));
    const restored = createOptimizer(saved.kind, saved.config);
    restored.loadState(viaJson, b);
    expect(restored.config()).toEqual(original.config());
    for (let t = 3; t < 6; t++) {
      setGrads(a, t);
      setGrads(b, t);
      original.step(a);
      restored.step(b);
    }
    a.forEach((p, i) => expect(Array.from(b[i].value)).toEqual(Array.from(p.value)));
  });

  test('state() is a copy: stepping afterwards does not change it', () => {
    const optimizer = createOptimizer(kind);
    const params = problem();
    setGrads(params, 0);
    optimizer.step(params);
    const saved = optimizer.state(params);
    const copy = saved.slots.map((s) => s.map((x) => Array.from(x)));
    optimizer.step(params);
    expect(saved.slots.map((s) => s.map((x) => Array.from(x)))).toEqual(copy);
  });
});

test('loadState names what does not match', () => {
  const params = problem();
  const adam = createOptimizer('adam');
  adam.step(params);
  const state = adam.state(params);
  expect(() => createOptimizer('sgd').loadState(state, params)).toThrow('cannot load Adam optimizer state into a SGD optimizer');
  expect(() => createOptimizer('adam').loadState(state, params.slice(0, 1))).toThrow('Adam state holds 2 params but the net has 1');
  const wrongLength = { ...state, slots: [state.slots[0], [new Float32Array(3), new Float32Array(2)]] };
  expect(() => createOptimizer('adam').loadState(wrongLength, params)).toThrow(
    'Adam state: slot "m" of param 1 (bias) has 3 values but the param has 2',
  );
  expect(() => createOptimizer('adam').loadState({ ...state, slotNames: ['velocity'] }, params)).toThrow(OptionError);
});

test('createOptimizer accepts any case and refuses unknown kinds', () => {
  expect(createOptimizer('rmsprop').kind).toBe('RMSprop');
  expect(createOptimizer('ADAM', { lr: 0.5 }).lr).toBe(0.5);
  expect(() => createOptimizer('lion')).toThrow('unknown optimizer "lion" (known: SGD, Momentum, Nesterov, RMSprop, Adam, AdaGrad)');
});
