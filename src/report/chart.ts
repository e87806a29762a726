/**
 * Charts as SVG markup strings: line charts, a heat map with counts, grouped bars. Pure functions of their
 * data — no DOM, no Node — so the same code draws a report written to disk and a chart in a browser page.
 *
 * Why hand-written: the report needs three chart kinds with axes and legends, a few hundred lines. The
 * charting packages on the registry either draw on a canvas at run time in the page (chart.js, uPlot,
 * ECharts, plotly: a script of 50 KB–3 MB inlined into every report, and no markup to test), or are ESM-only
 * building blocks (d3-scale, d3-shape) that a CommonJS build cannot require. Markup strings are static,
 * self-contained, and their elements can be counted in a test.
 *
 * Every colour is a presentation attribute (so a chart looks right alone), and every element carries a
 * class (`series`, `marker`, `cell`, `bar`, `legend`, `axis`, `grid`) so a page's CSS can restyle it.
 */

export type Point = readonly [number, number];

/** The default colours of series, in order (colour-blind-safe Okabe–Ito hues, darkened for white paper). */
export const PALETTE = ['#0b6fb8', '#d55e00', '#009e73', '#cc79a7', '#b8860b', '#56b4e9', '#555555'] as const;

export interface LineSeries {
  name: string;
  /** [x, y] pairs in order of x; a non-finite y breaks the line. */
  points: readonly Point[];
  color?: string;
  /** Draw dashed (e.g. a validation curve beside its training curve). */
  dashed?: boolean;
  /** Mark every point with a dot (default: when the series has at most 40 points). */
  markers?: boolean;
  /** Stroke width in px (default 2). */
  strokeWidth?: number;
  /** Opacity of the line, 0..1 (default 1): a faint raw curve under its smoothed one. */
  opacity?: number;
}

export interface LineChartOptions {
  series: readonly LineSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Outer size in px (default 480 × 280). */
  width?: number;
  height?: number;
  /** Fixed axis ranges; by default the data's range, widened to round tick values. */
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
  /** A log y axis (loss curves spanning decades); non-positive values are left out. */
  yScale?: 'linear' | 'log';
  /** Ticks on whole numbers only (epochs). */
  xIntegers?: boolean;
  xFormat?: (value: number) => string;
  yFormat?: (value: number) => string;
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11"';
const AXIS_COLOR = '#666';
const GRID_COLOR = '#e3e3e3';
/** Height of the legend's row above the plot. */
const LEGEND_ROW = 18;

/** A line chart of one or more series, with axes, grid lines, a legend and axis labels. */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 480;
  const height = options.height ?? 280;
  const log = options.yScale === 'log';
  const usable = (p: Point): boolean => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!log || p[1] > 0);
  const all = options.series.flatMap((s) => s.points.filter(usable));
  const legendRow = options.series.length > 1 ? LEGEND_ROW : 0;
  const margin = { top: (options.title ? 28 : 12) + legendRow, right: 16, bottom: options.xLabel ? 42 : 28, left: options.yLabel ? 62 : 48 };
  const plot = { x: margin.left, y: margin.top, w: width - margin.left - margin.right, h: height - margin.top - margin.bottom };
  const parts: string[] = [];
  if (options.title) parts.push(`<text class="title" x="${width / 2}" y="16" text-anchor="middle" font-weight="600" font-size="13">${escapeXml(options.title)}</text>`);
  if (all.length === 0) {
    parts.push(`<text class="empty" x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="${AXIS_COLOR}">no data yet</text>`);
    return svg(width, height, 'line-chart', options.title, parts);
  }

  const xTicks = options.xDomain
    ? { domain: options.xDomain, ticks: niceTicks(options.xDomain[0], options.xDomain[1], 6, options.xIntegers).filter((t) => t >= options.xDomain![0] && t <= options.xDomain![1]) }
    : niceDomain(Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0])), 6, options.xIntegers);
  const yTicks = log
    ? logDomain(Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1])), options.yDomain)
    : options.yDomain
      ? { domain: options.yDomain, ticks: niceTicks(options.yDomain[0], options.yDomain[1], 5).filter((t) => t >= options.yDomain![0] - 1e-12 && t <= options.yDomain![1] + 1e-12) }
      : niceDomain(Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1])), 5);
  const sx = linearScale(xTicks.domain, [plot.x, plot.x + plot.w]);
  const syLinear = log
    ? linearScale([Math.log10(yTicks.domain[0]), Math.log10(yTicks.domain[1])], [plot.y + plot.h, plot.y])
    : linearScale(yTicks.domain, [plot.y + plot.h, plot.y]);
  const sy = (v: number): number => syLinear(log ? Math.log10(v) : v);
  const xFormat = options.xFormat ?? tickFormatter(xTicks.ticks);
  const yFormat = options.yFormat ?? (log ? formatCompact : tickFormatter(yTicks.ticks));

  parts.push(`<g class="grid" stroke="${GRID_COLOR}" stroke-width="1">`);
  for (const t of yTicks.ticks) parts.push(`<line x1="${r(plot.x)}" x2="${r(plot.x + plot.w)}" y1="${r(sy(t))}" y2="${r(sy(t))}"/>`);
  for (const t of xTicks.ticks) parts.push(`<line x1="${r(sx(t))}" x2="${r(sx(t))}" y1="${r(plot.y)}" y2="${r(plot.y + plot.h)}"/>`);
  parts.push('</g>');
  parts.push(axes(plot, xTicks.ticks.map((t) => [sx(t), xFormat(t)]), yTicks.ticks.map((t) => [sy(t), yFormat(t)]), options.xLabel, options.yLabel, height));

  // The lines, clipped to the plot area (a fixed domain may cut a series).
  const clip = `clip${hashString(JSON.stringify([options.title ?? '', options.series.map((s) => s.name), width, height]))}`;
  parts.push(`<clipPath id="${clip}"><rect x="${r(plot.x)}" y="${r(plot.y - 4)}" width="${r(plot.w)}" height="${r(plot.h + 8)}"/></clipPath>`);
  parts.push(`<g clip-path="url(#${clip})">`);
  options.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const d = pathData(s.points, usable, sx, sy);
    if (d === '') return;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    const opacity = s.opacity !== undefined && s.opacity < 1 ? ` stroke-opacity="${s.opacity}"` : '';
    parts.push(
      `<path class="series" data-series="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="${s.strokeWidth ?? 2}"` +
        ` stroke-linejoin="round" stroke-linecap="round"${dash}${opacity}/>`,
    );
    const points = s.points.filter(usable);
    if (s.markers ?? points.length <= 40) {
      for (const p of points) {
        parts.push(`<circle class="marker" data-series="${escapeXml(s.name)}" cx="${r(sx(p[0]))}" cy="${r(sy(p[1]))}" r="3" fill="${color}"><title>${escapeXml(`${s.name}: ${xFormat(p[0])}, ${formatValue(p[1])}`)}</title></circle>`);
      }
    }
  });
  parts.push('</g>');
  parts.push(legend(options.series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length], dashed: s.dashed })), plot.x + plot.w, plot.y - legendRow));
  return svg(width, height, 'line-chart', options.title, parts);
}

export interface HeatmapOptions {
  /** values[row][col], non-negative (counts). */
  values: readonly (readonly number[])[];
  rowLabels: readonly string[];
  colLabels: readonly string[];
  title?: string;
  /** Label under the columns and beside the rows. */
  xLabel?: string;
  yLabel?: string;
  /** Side of a square cell in px (default 34). */
  cellSize?: number;
  /**
   * Colour the diagonal (right answers) in its own hue and the rest (confusions) in another, each scaled to
   * its own largest count — so a confusion of 3 shows beside a diagonal of 1,000 (default false: one hue).
   */
  splitDiagonal?: boolean;
  /** Intensity ∝ log(1 + count) (default true): small counts stay visible. */
  logIntensity?: boolean;
  format?: (value: number) => string;
}

const DIAGONAL_HUE: readonly [number, number, number] = [11, 111, 184]; // PALETTE[0]
const OFF_DIAGONAL_HUE: readonly [number, number, number] = [213, 94, 0]; // PALETTE[1]

/** A matrix of coloured cells, each with its value written in it; rows top to bottom, columns left to right. */
export function heatmap(options: HeatmapOptions): string {
  const { values, rowLabels, colLabels } = options;
  const rows = values.length;
  const cols = rows > 0 ? values[0].length : 0;
  if (rowLabels.length !== rows || colLabels.length !== cols || values.some((row) => row.length !== cols)) {
    throw new RangeError(`heatmap: ${rows} rows × ${cols} columns need as many labels (got ${rowLabels.length} row and ${colLabels.length} column labels) and rows of equal length`);
  }
  const cell = options.cellSize ?? 34;
  const split = options.splitDiagonal ?? false;
  const logIntensity = options.logIntensity ?? true;
  const format = options.format ?? ((v: number) => formatInteger(v));
  const margin = { top: options.title ? 30 : 8, left: options.yLabel ? 46 : 28, bottom: options.xLabel ? 40 : 24, right: 8 };
  const width = margin.left + cols * cell + margin.right;
  const height = margin.top + rows * cell + margin.bottom;
  const isDiagonal = (i: number, j: number): boolean => split && i === j;
  let maxDiagonal = 0;
  let maxOther = 0;
  values.forEach((row, i) => row.forEach((v, j) => {
    if (isDiagonal(i, j)) maxDiagonal = Math.max(maxDiagonal, v);
    else maxOther = Math.max(maxOther, v);
  }));
  const intensity = (v: number, max: number): number => {
    if (!(v > 0) || !(max > 0)) return 0;
    return logIntensity ? Math.log1p(v) / Math.log1p(max) : v / max;
  };

  const parts: string[] = [];
  if (options.title) parts.push(`<text class="title" x="${width / 2}" y="17" text-anchor="middle" font-weight="600" font-size="13">${escapeXml(options.title)}</text>`);
  values.forEach((row, i) => {
    row.forEach((v, j) => {
      const diagonal = isDiagonal(i, j);
      const t = intensity(v, diagonal ? maxDiagonal : maxOther);
      const fill = t === 0 ? '#f7f7f7' : mix([255, 255, 255], diagonal || !split ? DIAGONAL_HUE : OFF_DIAGONAL_HUE, 0.12 + 0.88 * t);
      const x = margin.left + j * cell;
      const y = margin.top + i * cell;
      const text = v === 0 ? '' : format(v);
      const ink = t > 0.55 ? '#fff' : '#222';
      parts.push(
        `<g class="cell" data-row="${i}" data-col="${j}" data-value="${v}"><rect x="${x}" y="${y}" width="${cell - 1}" height="${cell - 1}" fill="${fill}"/>` +
          `<title>${escapeXml(`${rowLabels[i]} → ${colLabels[j]}: ${format(v)}`)}</title>` +
          (text ? `<text x="${x + (cell - 1) / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" fill="${ink}" font-size="${text.length > 4 ? 9 : 11}">${escapeXml(text)}</text>` : '') +
          '</g>',
      );
    });
  });
  parts.push(`<g class="axis" fill="${AXIS_COLOR}">`);
  rowLabels.forEach((label, i) => parts.push(`<text x="${margin.left - 6}" y="${margin.top + i * cell + cell / 2 + 4}" text-anchor="end">${escapeXml(label)}</text>`));
  colLabels.forEach((label, j) => parts.push(`<text x="${margin.left + j * cell + cell / 2}" y="${margin.top + rows * cell + 14}" text-anchor="middle">${escapeXml(label)}</text>`));
  if (options.xLabel) parts.push(`<text class="label" x="${margin.left + (cols * cell) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel) parts.push(`<text class="label" transform="translate(14 ${margin.top + (rows * cell) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);
  parts.push('</g>');
  return svg(width, height, 'heatmap', options.title, parts);
}

export interface BarSeries {
  name: string;
  /** One value per category. */
  values: readonly number[];
  color?: string;
}

export interface BarChartOptions {
  categories: readonly string[];
  series: readonly BarSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Default: [0, the largest value widened to a round tick]. */
  yDomain?: readonly [number, number];
  yFormat?: (value: number) => string;
}

/** Grouped vertical bars: one group per category, one bar per series in each group. */
export function barChart(options: BarChartOptions): string {
  const width = options.width ?? 480;
  const height = options.height ?? 240;
  const { categories, series } = options;
  for (const s of series) {
    if (s.values.length !== categories.length) {
      throw new RangeError(`barChart: series "${s.name}" has ${s.values.length} values for ${categories.length} categories`);
    }
  }
  const legendRow = series.length > 1 ? LEGEND_ROW : 0;
  const margin = { top: (options.title ? 28 : 12) + legendRow, right: 16, bottom: options.xLabel ? 42 : 28, left: options.yLabel ? 62 : 48 };
  const plot = { x: margin.left, y: margin.top, w: width - margin.left - margin.right, h: height - margin.top - margin.bottom };
  const finite = series.flatMap((s) => s.values.filter(Number.isFinite));
  const yTicks = options.yDomain
    ? { domain: options.yDomain, ticks: niceTicks(options.yDomain[0], options.yDomain[1], 5).filter((t) => t >= options.yDomain![0] - 1e-12 && t <= options.yDomain![1] + 1e-12) }
    : niceDomain(Math.min(0, ...finite), Math.max(0, ...finite), 5);
  const sy = linearScale(yTicks.domain, [plot.y + plot.h, plot.y]);
  const yFormat = options.yFormat ?? tickFormatter(yTicks.ticks);
  const group = categories.length > 0 ? plot.w / categories.length : plot.w;
  const barWidth = series.length > 0 ? (group * 0.8) / series.length : 0;
  const parts: string[] = [];
  if (options.title) parts.push(`<text class="title" x="${width / 2}" y="16" text-anchor="middle" font-weight="600" font-size="13">${escapeXml(options.title)}</text>`);
  parts.push(`<g class="grid" stroke="${GRID_COLOR}" stroke-width="1">`);
  for (const t of yTicks.ticks) parts.push(`<line x1="${r(plot.x)}" x2="${r(plot.x + plot.w)}" y1="${r(sy(t))}" y2="${r(sy(t))}"/>`);
  parts.push('</g>');
  const base = sy(Math.max(yTicks.domain[0], Math.min(0, yTicks.domain[1])));
  series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    s.values.forEach((v, c) => {
      if (!Number.isFinite(v)) return;
      const y = sy(Math.max(yTicks.domain[0], Math.min(yTicks.domain[1], v)));
      const x = plot.x + c * group + group * 0.1 + k * barWidth;
      parts.push(
        `<rect class="bar" data-series="${escapeXml(s.name)}" data-category="${escapeXml(categories[c])}" x="${r(x)}" y="${r(Math.min(y, base))}" ` +
          `width="${r(Math.max(0, barWidth - 1))}" height="${r(Math.abs(base - y))}" fill="${color}"><title>${escapeXml(`${categories[c]} ${s.name}: ${formatValue(v)}`)}</title></rect>`,
      );
    });
  });
  parts.push(axes(plot, categories.map((c, i) => [plot.x + (i + 0.5) * group, c] as const), yTicks.ticks.map((t) => [sy(t), yFormat(t)]), options.xLabel, options.yLabel, height, false));
  parts.push(legend(series.map((s, k) => ({ name: s.name, color: s.color ?? PALETTE[k % PALETTE.length], box: true })), plot.x + plot.w, plot.y - legendRow));
  return svg(width, height, 'bar-chart', options.title, parts);
}

// ---- scales and ticks -------------------------------------------------------------------------------------

/** Maps [d0, d1] linearly onto [r0, r1]; a zero-width domain maps to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** The step 1, 2 or 5 × 10^k that cuts [min, max] into about `count` intervals. */
export function niceStep(min: number, max: number, count: number): number {
  const span = Math.abs(max - min);
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/** Round tick values (multiples of the nice step) from ≤ min to ≥ max; whole numbers only if `integers`. */
export function niceTicks(min: number, max: number, count: number, integers = false): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min > max) [min, max] = [max, min];
  let step = niceStep(min, max, count);
  if (integers) step = Math.max(1, Math.round(step));
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  // Multiply from integers (not accumulate) so 0.1·3 prints as 0.3, not 0.30000000000000004.
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** A domain widened to round ticks around [min, max]; a single value gets a unit-sized (or ±10 %) window. */
export function niceDomain(min: number, max: number, count: number, integers = false): { domain: [number, number]; ticks: number[] } {
  if (min === max) {
    const pad = integers ? 1 : min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const ticks = niceTicks(min, max, count, integers);
  return { domain: [ticks[0], ticks[ticks.length - 1]], ticks };
}

/** A log domain from the decade at or below min to the one at or above max; 2× and 5× ticks if it spans few decades. */
export function logDomain(min: number, max: number, fixed?: readonly [number, number]): { domain: [number, number]; ticks: number[] } {
  const lo = Math.floor(Math.log10(fixed?.[0] ?? min) + 1e-9);
  let hi = Math.ceil(Math.log10(fixed?.[1] ?? max) - 1e-9);
  if (hi === lo) hi = lo + 1;
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of hi - lo <= 2 ? [1, 2, 5] : [1]) {
      const t = Number((m * 10 ** e).toPrecision(12));
      if (t <= 10 ** hi * (1 + 1e-9)) ticks.push(t);
    }
  }
  const power = (e: number): number => Number((10 ** e).toPrecision(12)); // 10 ** -4 is 0.00009999999999999999
  const domain: [number, number] = fixed ? [fixed[0], fixed[1]] : [power(lo), power(hi)];
  return { domain, ticks: ticks.filter((t) => t >= domain[0] * (1 - 1e-9) && t <= domain[1] * (1 + 1e-9)) };
}

/** Formats every tick with the decimals its step needs (0.02 → 2 decimals; 250 → none). */
export function tickFormatter(ticks: readonly number[]): (value: number) => string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  const decimals = Math.min(10, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
  return (v) => {
    const text = v.toFixed(decimals);
    return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
  };
}

/** 0.001 → "0.001", 1e-5 → "1e-5", 2000 → "2000": short labels for a log axis. */
export function formatCompact(value: number): string {
  if (value === 0) return '0';
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -3 || exponent > 5) {
    const [m, e] = value.toExponential().split('e');
    return `${Number(m)}e${Number(e)}`;
  }
  return String(Number(value.toPrecision(6)));
}

/** Escapes text for SVG/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

// ---- pieces -----------------------------------------------------------------------------------------------

interface Plot { x: number; y: number; w: number; h: number }

function svg(width: number, height: number, kind: string, title: string | undefined, parts: string[]): string {
  const label = title ? ` aria-label="${escapeXml(title)}"` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${kind}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img"${label} ${FONT}>` +
    parts.join('') +
    '</svg>'
  );
}

function axes(
  plot: Plot,
  xTicks: readonly (readonly [number, string])[],
  yTicks: readonly (readonly [number, string])[],
  xLabel: string | undefined,
  yLabel: string | undefined,
  height: number,
  xTickMarks = true,
): string {
  const bottom = plot.y + plot.h;
  const out = [`<g class="axis" fill="${AXIS_COLOR}" stroke="none">`];
  out.push(`<line x1="${r(plot.x)}" x2="${r(plot.x + plot.w)}" y1="${r(bottom)}" y2="${r(bottom)}" stroke="${AXIS_COLOR}"/>`);
  out.push(`<line x1="${r(plot.x)}" x2="${r(plot.x)}" y1="${r(plot.y)}" y2="${r(bottom)}" stroke="${AXIS_COLOR}"/>`);
  for (const [x, text] of xTicks) {
    if (xTickMarks) out.push(`<line x1="${r(x)}" x2="${r(x)}" y1="${r(bottom)}" y2="${r(bottom + 4)}" stroke="${AXIS_COLOR}"/>`);
    out.push(`<text x="${r(x)}" y="${r(bottom + 16)}" text-anchor="middle">${escapeXml(text)}</text>`);
  }
  for (const [y, text] of yTicks) {
    out.push(`<line x1="${r(plot.x - 4)}" x2="${r(plot.x)}" y1="${r(y)}" y2="${r(y)}" stroke="${AXIS_COLOR}"/>`);
    out.push(`<text x="${r(plot.x - 7)}" y="${r(y + 4)}" text-anchor="end">${escapeXml(text)}</text>`);
  }
  if (xLabel) out.push(`<text class="label" x="${r(plot.x + plot.w / 2)}" y="${r(height - 8)}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  if (yLabel) out.push(`<text class="label" transform="translate(14 ${r(plot.y + plot.h / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  out.push('</g>');
  return out.join('');
}

/** The legend: one row of entries above the plot, right-aligned (never over the data). */
function legend(entries: readonly { name: string; color: string; dashed?: boolean; box?: boolean }[], right: number, top: number): string {
  if (entries.length < 2) return '';
  const widthOf = (name: string): number => 26 + name.length * 6.2 + 14;
  let x = right - entries.reduce((sum, e) => sum + widthOf(e.name), 0) + 14;
  const y = top + 10;
  const out = ['<g class="legend">'];
  for (const e of entries) {
    out.push(
      e.box
        ? `<rect x="${r(x)}" y="${r(y - 8)}" width="16" height="9" fill="${e.color}"/>`
        : `<line x1="${r(x)}" x2="${r(x + 18)}" y1="${r(y - 4)}" y2="${r(y - 4)}" stroke="${e.color}" stroke-width="2"${e.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
    );
    out.push(`<text x="${r(x + 22)}" y="${r(y)}" fill="#333">${escapeXml(e.name)}</text>`);
    x += widthOf(e.name);
  }
  out.push('</g>');
  return out.join('');
}

/** "M x y L x y …", starting a new subpath after every unusable point. */
function pathData(points: readonly Point[], usable: (p: Point) => boolean, sx: (v: number) => number, sy: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (!usable(p)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : d === '' ? 'M' : ' M'}${r(sx(p[0]))} ${r(sy(p[1]))}`;
    pen = true;
  }
  return d;
}

function mix(a: readonly number[], b: readonly number[], t: number): string {
  const c = a.map((v, i) => Math.round(v + (b[i] - v) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** One decimal is below a pixel's worth and keeps the markup short. */
function r(v: number): string {
  return String(Math.round(v * 10) / 10);
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

function formatInteger(v: number): string {
  return Number.isInteger(v) ? String(v) : formatValue(v);
}

/** A short stable id from text (ids of clip paths must differ between the charts of one page). */
function hashString(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}
