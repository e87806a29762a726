/**
 * loadCsv on files written here: string and integer labels, missing values, a bad cell, a wrong column
 * count, a UTF-8 BOM, CRLF and CR line ends, quoted fields (commas, quotes and line breaks inside), every
 * chunk boundary (1-byte chunks), and the scaling of the features.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { CsvError, loadCsv } from '../../src/data/csv';
import { columnStats, featuresToTensor, permuteRowsInPlace, scaleFeaturesInPlace } from '../../src/data/features';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-csv-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function write(content: string | Buffer): string {
  const file = path.join(tmp, `f${n++}.csv`);
  fs.writeFileSync(file, content);
  return file;
}

test('a header, numeric features, string labels mapped to sorted class indices; the line of every row', () => {
  const file = write('x1,x2,species\n1,2,versicolor\n3.5,-4e-1,setosa\n\n5,6,versicolor\n.5,+7,virginica\n');
  const data = loadCsv(file, { labelColumn: 'species' });
  expect(data.columns).toEqual(['x1', 'x2', 'species']);
  expect(data.featureColumns).toEqual(['x1', 'x2']);
  expect(data.labelColumn).toBe('species');
  expect(data.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
  expect(Array.from(data.labels!)).toEqual([1, 0, 1, 2]);
  expect(Array.from(data.features)).toEqual([1, 2, 3.5, Math.fround(-0.4), 5, 6, 0.5, 7]);
  expect(Array.from(data.lines)).toEqual([2, 3, 5, 6]);
  expect(data.missing).toBe(0);
});

test('integer labels sort numerically; the label column defaults to "label", else the last; a column number works', () => {
  const file = write('a,b,label\n0,0,10\n1,1,2\n2,2,9\n');
  expect(loadCsv(file).classNames).toEqual(['2', '9', '10']);
  expect(Array.from(loadCsv(file).labels!)).toEqual([2, 0, 1]);
  const last = write('a,b,y\n1,2,b\n3,4,a\n');
  expect(loadCsv(last).labelColumn).toBe('y');
  const byNumber = loadCsv(write('kind,b,c\nq,2,3\n'), { labelColumn: '1' });
  expect(byNumber.labelColumn).toBe('kind');
  expect(byNumber.featureColumns).toEqual(['b', 'c']);
});

test('UTF-8 BOM, CRLF and CR line ends, quoted fields with commas, doubled quotes and line breaks', () => {
  const text = '\uFEFF"x","y","name"\r\n1,2,"a, b"\r\n3,4,"say ""hi"""\r"5",6,"two\nlines"\r\n';
  const data = loadCsv(write(text));
  expect(data.columns).toEqual(['x', 'y', 'name']);
  expect(data.classNames).toEqual(['a, b', 'say "hi"', 'two\nlines']);
  expect(Array.from(data.features)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(Array.from(data.lines)).toEqual([2, 3, 4]);
  // Every chunk boundary: 1-byte chunks split the BOM, CRLF pairs, doubled quotes and multi-byte characters.
  const bytes = loadCsv(write(text), { chunkBytes: 1 });
  expect(bytes.classNames).toEqual(data.classNames);
  expect(Array.from(bytes.features)).toEqual(Array.from(data.features));
  expect(Array.from(bytes.lines)).toEqual([2, 3, 4]);
  const accents = loadCsv(write('é,label\n1,ünïcödé\n2,"x""y"\n'), { chunkBytes: 1 });
  expect(accents.classNames).toEqual(['x"y', 'ünïcödé']);
});

test('missing values (empty, NA, NaN, ?, null) are NaN, counted, and filled with the training mean', () => {
  const data = loadCsv(write('a,b,label\n1,,x\nNA,4,y\n3,?,x\nnull,8,y\n'));
  expect(data.missing).toBe(4);
  const f = Array.from(data.features);
  expect(f.filter((v) => Number.isNaN(v))).toHaveLength(4);
  const stats = columnStats(data.features, 2);
  expect(stats.mean).toEqual([2, 6]);
  expect(stats.std).toEqual([1, 2]);
  const x = featuresToTensor(data.features, 2, { ...stats, standardize: false });
  expect(Array.from(x.data)).toEqual([1, 6, 2, 4, 3, 6, 2, 8]);
  const z = featuresToTensor(data.features, 2, { ...stats, standardize: true });
  expect(Array.from(z.data)).toEqual([-1, 0, 0, -1, 1, 0, 0, 1]);
});

test('the statistics of selected rows only (the training split), in float64', () => {
  fc.assert(fc.property(fc.array(fc.float({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 6, maxLength: 60 }), (values) => {
    const width = 3;
    const rows = Math.floor(values.length / width);
    const data = Float32Array.from(values.slice(0, rows * width));
    const pick = Array.from({ length: rows }, (_, r) => r).filter((r) => r % 2 === 0);
    const { mean } = columnStats(data, width, pick);
    for (let j = 0; j < width; j++) {
      const column = pick.map((r) => data[r * width + j]);
      const expected = column.reduce((a, b) => a + b, 0) / column.length;
      expect(mean[j]).toBeCloseTo(expected, 6);
    }
  }), { numRuns: 50 });
});

describe('every bad file is one error naming the file, the line and the column', () => {
  const cases: [string, string, RegExp][] = [
    ['a bad cell', 'a,b,label\n1,2,x\n3,abc,y\n', /line 3, column 2 \("b"\): "abc" is not a number/],
    ['too few fields', 'a,b,label\n1,2,x\n3,y\n', /line 3: 2 fields, but the header has 3 columns/],
    ['too many fields', 'a,b,label\n1,2,x,9\n', /line 2: 4 fields, but the header has 3 columns/],
    ['a missing label', 'a,b,label\n1,2,\n', /line 2, column 3 \("label"\): the label is missing/],
    ['an unclosed quote', 'a,b,label\n1,2,"x\n3,4,y\n', /line 2: a quoted field is never closed/],
    ['a duplicate column', 'a,a,label\n1,2,x\n', /line 1 \(the header\): columns 1 and 2 are both named "a"/],
    ['an unnamed column', 'a,,label\n1,2,x\n', /line 1 \(the header\): column 2 has no name/],
    ['only a header', 'a,b,label\n', /no data rows after the header/],
    ['an empty file', '', /the file is empty/],
    ['a huge number', 'a,label\n1e39,x\n', /line 2, column 1 \("a"\): 1e39 is too large for a 32-bit float/],
    ['hex', 'a,label\n0x10,x\n', /"0x10" is not a number/],
    ['only a label', 'label\nx\n', /no feature columns/],
  ];
  test.each(cases)('%s', (_name, content, pattern) => {
    const file = write(content);
    let error: unknown;
    try {
      loadCsv(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CsvError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message.startsWith(file)).toBe(true);
  });

  test('not UTF-8, a directory, no such file, an unknown label column', () => {
    expect(() => loadCsv(write(Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xff, 0xfe, 0x2c, 0x31, 0x0a])))).toThrow(/not valid UTF-8/);
    expect(() => loadCsv(tmp)).toThrow(/is a directory/);
    expect(() => loadCsv(path.join(tmp, 'nope.csv'))).toThrow(/nope.csv: no such file/);
    // Not regular files: a FIFO would block forever (no writer), /dev/zero never ends.
    const fifo = path.join(tmp, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    expect(() => loadCsv(fifo)).toThrow(/pipe\.csv: is a FIFO \(named pipe\), not a regular file; give a CSV file/);
    expect(() => loadCsv('/dev/zero')).toThrow(/\/dev\/zero: is a character device, not a regular file/);
    expect(() => loadCsv(write('a,b\n1,2\n'), { labelColumn: 'kind' })).toThrow(/no label column "kind" \(columns: "a", "b"\)/);
  });
});

test('against a trained model: known classes and feature columns enforced; predict may omit the label column', () => {
  const model = { classNames: ['no', 'yes'], featureColumns: ['a', 'b'], labelColumn: 'label' };
  const ok = loadCsv(write('b,label,a\n1,yes,2\n'), { ...model, featureColumns: ['b', 'a'] });
  expect(Array.from(ok.labels!)).toEqual([1]);
  expect(() => loadCsv(write('a,b,label\n1,2,maybe\n'), model)).toThrow(/line 2, column 3 \("label"\): label "maybe" is not one of the model's classes \("no", "yes"\)/);
  expect(() => loadCsv(write('a,c,label\n1,2,no\n'), model)).toThrow(/feature columns differ from the 2 the model was trained on \(missing "b"; unexpected "c"\)/);
  const unlabelled = loadCsv(write('a,b\n1,2\n3,4\n'), { ...model, requireLabels: false });
  expect(unlabelled.labels).toBeUndefined();
  expect(unlabelled.count).toBe(2);
});

test('rows beyond the first growth step (1,024) keep every value', () => {
  const lines = ['a,b,label'];
  for (let i = 0; i < 3000; i++) lines.push(`${i},${-i},${i % 3}`);
  const data = loadCsv(write(`${lines.join('\n')}\n`), { chunkBytes: 777 });
  expect(data.count).toBe(3000);
  expect(data.features[2 * 2999]).toBe(2999);
  expect(data.features[2 * 2999 + 1]).toBe(-2999);
  expect(data.lines[2999]).toBe(3001);
});

test('compact storage: scaling in place and reordering rows in place give featuresToTensor\'s rows, bit for bit', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.oneof(fc.float({ min: -1e3, max: 1e3, noNaN: true }), fc.constant(NaN)), { minLength: 1, maxLength: 60 }),
      fc.boolean(),
      fc.integer(),
      (width, cells, standardize, seed) => {
        const rows = Math.floor(cells.length / width);
        fc.pre(rows > 0);
        const values = Float32Array.from(cells.slice(0, rows * width));
        const stats = columnStats(values, width);
        const scaling = { mean: stats.mean, std: stats.std, standardize };
        // A permutation from the seed (Fisher–Yates with an LCG).
        const order = Array.from({ length: rows }, (_, i) => i);
        let s = seed >>> 0;
        for (let i = rows - 1; i > 0; i--) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          const j = s % (i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
        const expected = featuresToTensor(values, width, scaling, order).data;
        const inPlace = values.slice();
        scaleFeaturesInPlace(inPlace, width, scaling);
        permuteRowsInPlace(inPlace, width, order);
        expect(Array.from(inPlace)).toEqual(Array.from(expected));
      },
    ),
  );
  expect(() => permuteRowsInPlace(new Float32Array(6), 2, [1, 1, 0])).toThrow(/not a permutation/);
});
