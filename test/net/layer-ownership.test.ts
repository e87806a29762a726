/** One layer instance, one place (issue 10): a layer holds its own weights, so sharing an instance is refused when the net is built. */
import { Affine, OptionError, ReLU, Sequential } from '../../src/node';

test('the same instance twice in one net is refused, naming both places', () => {
  const hidden = new Affine({ units: 4 });
  expect(() => new Sequential([hidden, new ReLU(), hidden], { inputShape: [4] })).toThrow(OptionError);
  expect(() => new Sequential([hidden, new ReLU(), hidden], { inputShape: [4] })).toThrow(
    /layers\[2\] is the same Affine instance as layers\[0\]; .*each place needs its own instance/,
  );
});

test('an instance that belongs to one net is refused by a second, and the first keeps its weights', () => {
  const shared = new Affine({ units: 3 });
  const first = new Sequential([shared], { inputShape: [2], seed: 1 });
  const before = first.params().map((p) => Array.from(p.value));
  expect(() => new Sequential([new ReLU(), shared], { inputShape: [2], seed: 2 })).toThrow(
    /layers\[1\] \(Affine\) already belongs to another Sequential; building it again would re-initialise that net's weights/,
  );
  expect(first.params().map((p) => Array.from(p.value))).toEqual(before);
});

test('a net that failed to build does not claim its layers', () => {
  const affine = new Affine({ units: 3 });
  expect(() => new Sequential([affine], { inputShape: [0] as unknown as number[] })).toThrow();
  expect(() => new Sequential([affine], { inputShape: [2] })).not.toThrow();
});
