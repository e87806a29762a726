/**
 * What training shows while it runs: a live progress bar per epoch on a terminal (redrawn in place
 * with \r, at most ten times a second), and the one summary line each epoch ends with.
 */

/** The part of a stream the bar needs (a TTY WriteStream, or a fake in tests). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly columns?: number;
}

/** A bar for one epoch: batches done, samples/s, running loss, ETA. */
export class EpochProgress {
  private readonly started: number;
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly batches: number,
    private readonly now: () => number = () => performance.now(),
    /** When the epoch began (the bar is usually created after its first batch); default: now. */
    started?: number,
    private readonly minIntervalMs = 100,
  ) {
    this.started = started ?? now();
  }

  /**
   * Called after each batch: `batch` batches (1-based) and `samples` samples done, `loss` the running
   * mean loss of the epoch so far. Redraws when enough time has passed and always at the last batch.
   */
  update(batch: number, samples: number, loss: number): void {
    const t = this.now();
    if (batch < this.batches && t - this.lastDraw < this.minIntervalMs) return;
    this.lastDraw = t;
    const seconds = (t - this.started) / 1000;
    const rate = seconds > 0 ? samples / seconds : 0;
    const eta = batch > 0 ? (seconds * (this.batches - batch)) / batch : NaN;
    const text = fitLine(
      {
        label: this.label,
        count: `${batch}/${this.batches}`,
        rate: `${formatRate(rate)} samples/s`,
        loss: `loss ${formatLoss(loss)}`,
        eta: `ETA ${formatDuration(eta)}`,
      },
      batch / this.batches,
      // A pseudo-terminal without a window size reports 0 columns: unknown, so the usual 80.
      this.stream.columns || 80,
    );
    this.stream.write(`\r\x1b[K${text}`);
    this.drawn = true;
  }

  /** Erases the bar so the epoch's summary line takes its place. */
  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** The parts of a progress line, most important first after the label. */
interface LineParts {
  label: string;
  count: string;
  rate: string;
  loss: string;
  eta: string;
}

const BAR_MAX = 30;
const BAR_MIN = 5;

/**
 * The progress line in at most `columns − 1` characters: a line that reaches the last column makes many
 * terminals wrap, and then every redraw (\r goes back to the start of the LAST line only) adds a line.
 * The bar shrinks first (30 → 5 cells), then goes; then samples/s, ETA and the loss are dropped in that
 * order; a terminal too narrow even for "label b/B" gets that cut to fit.
 */
export function fitLine(parts: LineParts, fraction: number, columns: number): string {
  const room = Math.max(1, Math.floor(columns) - 1);
  const bar = (width: number) => {
    const filled = Math.round(width * Math.min(1, Math.max(0, fraction)));
    return `${'█'.repeat(filled)}${'·'.repeat(width - filled)}`;
  };
  const join = (barWidth: number, tail: string[]) =>
    `${parts.label}${barWidth > 0 ? ` ${bar(barWidth)}` : ''} ${parts.count}${tail.map((t) => `  ${t}`).join('')}`;
  const tails = [[parts.rate, parts.loss, parts.eta], [parts.loss, parts.eta], [parts.loss], []];
  const barWidth = Math.min(BAR_MAX, room - join(0, tails[0]).length - 1);
  if (barWidth >= BAR_MIN) return join(barWidth, tails[0]);
  for (const tail of tails) {
    const line = join(0, tail);
    if (line.length <= room) return line;
  }
  return join(0, []).slice(0, room);
}

export function formatRate(samplesPerSecond: number): string {
  return Number.isFinite(samplesPerSecond) ? Math.round(samplesPerSecond).toLocaleString('en-US') : '?';
}

export function formatLoss(loss: number): string {
  return Number.isFinite(loss) ? loss.toFixed(4) : String(loss);
}

/** "42s", "3m05s", "1h02m"; "?" when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatPercent(fraction: number): string {
  return `${(100 * fraction).toFixed(2)}%`;
}

/** The learning rate in a compact form: 0.001 → "1.00e-3". */
export function formatLr(lr: number): string {
  if (!Number.isFinite(lr)) return String(lr);
  const [mantissa, exponent] = lr.toExponential(2).split('e');
  return `${mantissa}e${Number(exponent)}`;
}

export interface EpochSummary {
  epoch: number;
  epochs: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  lr: number;
  seconds: number;
  /** The batches alone, and the validation pass after them (seconds = trainSeconds + validationSeconds). */
  trainSeconds: number;
  validationSeconds: number;
}

/** The line each epoch ends with. */
export function epochLine(s: EpochSummary): string {
  const width = String(s.epochs).length;
  const val = s.valLoss === null || s.valAccuracy === null
    ? 'val –'
    : `val loss ${formatLoss(s.valLoss)} acc ${formatPercent(s.valAccuracy)}`;
  return (
    `epoch ${String(s.epoch).padStart(width)}/${s.epochs}  train loss ${formatLoss(s.trainLoss)} acc ${formatPercent(s.trainAccuracy)}  ` +
    `${val}  lr ${formatLr(s.lr)}  ${s.trainSeconds.toFixed(1)}s` +
    `${s.valLoss === null ? '' : ` + val ${s.validationSeconds.toFixed(1)}s`}`
  );
}
