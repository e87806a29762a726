import { Rng, tensor } from '../src';
test('rng is deterministic', () => {
  const a = new Rng(42), b = new Rng(42);
  for (let i = 0; i < 10; i++) expect(a.nextUint32()).toBe(b.nextUint32());
  expect(tensor([2, 3]).data.length).toBe(6);
});
