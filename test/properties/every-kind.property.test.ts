/**
 * Every registered layer kind passes the gradient checker on 100 random examples drawn by its registration's
 * example factory (src/layers/registry.ts) — so a new kind is checked here without a line of test code. The
 * family suites beside this one (dense, conv, cnn, local-norm) go deeper into each family's options and edge
 * cases; the browser suite runs this same function in Chromium.
 */
import { layerKinds } from '../../src';
import { gradCheckEveryKind, kindsWithoutExample } from '../helpers/every-kind';

const RUNS = 100;

test('every registered kind has an example', () => {
  expect(kindsWithoutExample()).toEqual([]);
});

test(`every registered kind passes gradCheck on ${RUNS} random examples`, () => {
  const summary = gradCheckEveryKind(RUNS, 1717);
  console.log(`every-kind gradient checks (${RUNS} runs each), worst relative error:\n${
    Object.entries(summary.worstError).map(([kind, e]) => `  ${kind.padEnd(18)} ${e.toExponential(2)}`).join('\n')}`);
  expect(summary.failures).toEqual([]);
  expect(summary.kinds).toEqual(layerKinds());
  expect(summary.runs).toBe(RUNS * layerKinds().length);
});
