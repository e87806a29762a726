import fc from 'fast-check';
import { InvalidArgumentError } from 'commander';
import { errorLine, oneLine } from '../../src/cli/errors';
import { defaultThreadCount, integer, nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber, threadCount } from '../../src/cli/options';

test('integers: plain decimal only', () => {
  expect(positiveInt('12')).toBe(12);
  for (const bad of ['0', '-1', '1.5', 'abc', '', '1e3', '0x10', '3 4']) expect(() => positiveInt(bad)).toThrow(InvalidArgumentError);
  expect(nonNegativeInt('0')).toBe(0);
  expect(() => nonNegativeInt('-1')).toThrow(InvalidArgumentError);
  expect(integer('-7')).toBe(-7);
  expect(() => integer('7.5')).toThrow(InvalidArgumentError);
  fc.assert(fc.property(fc.integer({ min: 1, max: 1e9 }), (n) => positiveInt(String(n)) === n), { numRuns: 100, seed: 42 });
});

test('numbers', () => {
  expect(positiveNumber('1e-3')).toBe(0.001);
  for (const bad of ['0', '-1', 'NaN', 'Infinity', '', 'fast']) expect(() => positiveNumber(bad)).toThrow(InvalidArgumentError);
  expect(nonNegativeNumber('0')).toBe(0);
  expect(() => nonNegativeNumber('-0.1')).toThrow(InvalidArgumentError);
  expect(threadCount('2')).toBe(2);
  expect(() => threadCount('3')).toThrow(/1 or 2/);
});

test('--threads defaults to 2 on a machine with 2 or more cores, else 1', () => {
  expect(defaultThreadCount(1)).toBe(1);
  expect(defaultThreadCount(2)).toBe(2);
  expect(defaultThreadCount(64)).toBe(2);
  expect([1, 2]).toContain(defaultThreadCount());
});

test('error lines: user errors print their message on one line; bugs say how to see the stack', () => {
  const user = new RangeError('bad\n  thing');
  user.name = 'OptionError';
  expect(errorLine(user)).toBe('nn: bad thing');
  expect(errorLine(new TypeError('x is undefined'))).toBe('nn: unexpected error: x is undefined (run with NN_DEBUG=1 to see the stack trace)');
  const io = Object.assign(new Error('EACCES: permission denied, open /x'), { code: 'EACCES' });
  expect(errorLine(io)).toBe('nn: EACCES: permission denied, open /x');
  expect(oneLine(' a\n\n b ')).toBe('a b');
});
