/**
 * The SVG charts: tick arithmetic by hand, and the markup's elements counted (one path per series with data,
 * one marker per point, one cell per matrix entry, one bar per finite value), well-formed and escaped.
 */
import {
  barChart, escapeXml, formatCompact, heatmap, lineChart, linearScale, logDomain, niceDomain, niceStep, niceTicks, tickFormatter,
} from '../../src/report/chart';
import { assertWellFormed, countTags } from './xml';

describe('ticks and scales', () => {
  test('niceStep picks 1, 2 or 5 × 10^k', () => {
    expect(niceStep(0, 1, 5)).toBe(0.2);
    expect(niceStep(0, 10, 5)).toBe(2);
    expect(niceStep(0, 7, 5)).toBe(2);
    expect(niceStep(0.853, 0.991, 5)).toBe(0.05);
    expect(niceStep(0, 3000, 6)).toBe(500);
    expect(niceStep(0, 11, 10)).toBe(2);
    expect(niceStep(5, 5, 5)).toBe(1);
  });

  test('niceTicks cover the range with round values, free of float noise', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.853, 0.991, 5)).toEqual([0.85, 0.9, 0.95, 1]);
    expect(niceTicks(0.1, 0.7, 6)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(niceTicks(-3, 7, 5)).toEqual([-4, -2, 0, 2, 4, 6, 8]);
    expect(niceTicks(7, -3, 5)).toEqual([-4, -2, 0, 2, 4, 6, 8]);
    expect(niceTicks(NaN, 1, 5)).toEqual([]);
  });

  test('integer ticks never fall between whole numbers (epochs)', () => {
    expect(niceTicks(1, 2, 6, true)).toEqual([1, 2]);
    expect(niceTicks(1, 3, 6, true)).toEqual([1, 2, 3]);
    expect(niceTicks(1, 30, 6, true)).toEqual([0, 5, 10, 15, 20, 25, 30]);
  });

  test('niceDomain widens a single value', () => {
    expect(niceDomain(2, 2, 5, true)).toEqual({ domain: [1, 3], ticks: [1, 2, 3] });
    expect(niceDomain(0, 0, 5).domain).toEqual([-1, 1]);
    expect(niceDomain(0.5, 0.5, 5).domain).toEqual([0.45, 0.55]);
  });

  test('logDomain spans whole decades, with 2× and 5× ticks when it spans few', () => {
    expect(logDomain(0.03, 0.8)).toEqual({ domain: [0.01, 1], ticks: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1] });
    expect(logDomain(0.03, 2.3)).toEqual({ domain: [0.01, 10], ticks: [0.01, 0.1, 1, 10] });
    expect(logDomain(0.0005, 2)).toEqual({ domain: [0.0001, 10], ticks: [0.0001, 0.001, 0.01, 0.1, 1, 10] });
    expect(logDomain(1, 1).domain).toEqual([1, 10]);
  });

  test('linearScale maps ends to ends, inverted ranges included', () => {
    const s = linearScale([0, 10], [100, 0]);
    expect(s(0)).toBe(100);
    expect(s(10)).toBe(0);
    expect(s(2.5)).toBe(75);
    expect(linearScale([3, 3], [0, 50])(3)).toBe(25);
  });

  test('tick labels carry the decimals their step needs', () => {
    expect([0, 0.02, 0.04].map(tickFormatter([0, 0.02, 0.04]))).toEqual(['0.00', '0.02', '0.04']);
    expect([0, 250, 500].map(tickFormatter([0, 250, 500]))).toEqual(['0', '250', '500']);
    expect(tickFormatter([-0.2, 0])(-0.00000001)).toBe('0.0');
    expect(formatCompact(0.001)).toBe('0.001');
    expect(formatCompact(0.00001)).toBe('1e-5');
    expect(formatCompact(2e6)).toBe('2e6');
    expect(formatCompact(20)).toBe('20');
  });

  test('escapeXml escapes the five markup characters', () => {
    expect(escapeXml(`<a href="x">Tom & 'Jerry'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
  });
});

describe('lineChart', () => {
  const train = { name: 'train', points: [[1, 0.5], [2, 0.3], [3, 0.2]] as [number, number][] };
  const val = { name: 'validation', points: [[1, 0.6], [2, 0.35], [3, 0.3]] as [number, number][], dashed: true };

  test('one path per series, one marker per point, a legend, labels, well-formed', () => {
    const svg = lineChart({ series: [train, val], xLabel: 'epoch', yLabel: 'loss', title: 'Loss', xIntegers: true });
    assertWellFormed(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(countTags(svg, 'path', 'series')).toBe(2);
    expect(countTags(svg, 'circle', 'marker')).toBe(6);
    expect(svg).toContain('data-series="validation"');
    expect(svg).toContain('stroke-dasharray="6 4"');
    expect(svg).toMatch(/<g class="legend">.*train.*validation/);
    expect(svg).toContain('>epoch</text>');
    expect(svg).toContain('>loss</text>');
    // x ticks at whole epochs only
    const xTickTexts = [...svg.matchAll(/text-anchor="middle">([\d.]+)<\/text>/g)].map((m) => m[1]);
    expect(xTickTexts).toEqual(['1', '2', '3']);
  });

  test('points map onto the plot: first x at the left edge, largest y at the top tick', () => {
    const svg = lineChart({ series: [{ name: 'a', points: [[0, 0], [10, 1]] }], width: 400, height: 200, xDomain: [0, 10], yDomain: [0, 1] });
    const d = /class="series"[^>]* d="([^"]+)"/.exec(svg)![1];
    // margins without labels or title: left 48, right 16, top 12, bottom 28
    expect(d).toBe('M48 172L384 12');
  });

  test('a non-finite value breaks the line into two subpaths; a series without data draws nothing', () => {
    const svg = lineChart({ series: [{ name: 'a', points: [[1, 1], [2, NaN], [3, 2], [4, 3]] }, { name: 'empty', points: [] }] });
    const d = /class="series"[^>]* d="([^"]+)"/.exec(svg)![1];
    expect(d.match(/M/g)).toHaveLength(2);
    expect(countTags(svg, 'path', 'series')).toBe(1);
    expect(countTags(svg, 'circle', 'marker')).toBe(3);
  });

  test('no markers on long series unless asked; log scale drops non-positive values', () => {
    const points = Array.from({ length: 100 }, (_, i) => [i, Math.exp(-i / 20)] as [number, number]);
    expect(countTags(lineChart({ series: [{ name: 'a', points }] }), 'circle', 'marker')).toBe(0);
    const svg = lineChart({ series: [{ name: 'a', points: [[0, 0], [1, 0.1], [2, 0.01]], markers: true }], yScale: 'log' });
    assertWellFormed(svg);
    expect(countTags(svg, 'circle', 'marker')).toBe(2);
    expect(svg).toContain('>0.01</text>');
  });

  test('no data at all: a placeholder, not an exception', () => {
    const svg = lineChart({ series: [{ name: 'a', points: [] }], title: 'Loss' });
    assertWellFormed(svg);
    expect(svg).toContain('no data yet');
  });

  test('names are escaped', () => {
    const svg = lineChart({ series: [{ name: 'a<b & "c"', points: [[0, 1], [1, 2]] }, { name: 'x', points: [[0, 2]] }], title: '<T>' });
    assertWellFormed(svg);
    expect(svg).toContain('a&lt;b &amp; &quot;c&quot;');
    expect(svg).not.toContain('<T>');
  });
});

describe('heatmap', () => {
  const values = [[50, 2, 0], [1, 40, 3], [0, 0, 30]];
  const labels = ['0', '1', '2'];

  test('one cell per entry with its value, counts written where non-zero', () => {
    const svg = heatmap({ values, rowLabels: labels, colLabels: labels, xLabel: 'predicted', yLabel: 'true', title: 'Confusion', splitDiagonal: true });
    assertWellFormed(svg);
    expect(countTags(svg, 'g', 'cell')).toBe(9);
    expect(svg).toContain('data-row="1" data-col="2" data-value="3"');
    const written = [...svg.matchAll(/<g class="cell"[^>]*>.*?<\/g>/g)].filter((m) => m[0].includes('<text')).length;
    expect(written).toBe(6);
  });

  test('with splitDiagonal, right answers and confusions take different hues; the largest of each is darkest', () => {
    const svg = heatmap({ values, rowLabels: labels, colLabels: labels, splitDiagonal: true, logIntensity: false });
    const fill = (i: number, j: number) => new RegExp(`data-row="${i}" data-col="${j}"[^>]*><rect[^>]*fill="([^"]+)"`).exec(svg)![1];
    expect(fill(0, 0)).toBe('rgb(11,111,184)');
    expect(fill(1, 2)).toBe('rgb(213,94,0)');
    expect(fill(0, 2)).toBe('#f7f7f7');
    expect(fill(0, 1)).not.toBe(fill(1, 2));
  });

  test('mismatched labels are refused', () => {
    expect(() => heatmap({ values, rowLabels: ['0', '1'], colLabels: labels })).toThrow(RangeError);
    expect(() => heatmap({ values: [[1, 2], [3]], rowLabels: ['a', 'b'], colLabels: ['a', 'b'] })).toThrow(/rows of equal length/);
  });
});

describe('barChart', () => {
  test('one bar per finite value, grouped by category', () => {
    const svg = barChart({
      categories: ['0', '1', '2'],
      series: [{ name: 'precision', values: [0.9, 0.8, NaN] }, { name: 'recall', values: [1, 0.7, 0.95] }],
      yDomain: [0, 1], title: 'Per class',
    });
    assertWellFormed(svg);
    expect(countTags(svg, 'rect', 'bar')).toBe(5);
    expect(svg).toContain('data-series="recall" data-category="2"');
    expect(() => barChart({ categories: ['a'], series: [{ name: 's', values: [1, 2] }] })).toThrow(RangeError);
  });

  test('a bar of the full domain spans the plot height', () => {
    const svg = barChart({ categories: ['a'], series: [{ name: 's', values: [1] }], yDomain: [0, 1], width: 200, height: 140 });
    const bar = /class="bar"[^>]* y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/.exec(svg)!;
    expect(Number(bar[1])).toBe(12);
    expect(Number(bar[2])).toBe(100);
  });
});
