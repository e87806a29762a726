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
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 70));
    const filled = Math.round((width * batch) / this.batches);
    const bar = `${'█'.repeat(filled)}${'·'.repeat(width - filled)}`;
    const text =
      `${this.label} ${bar} ${batch}/${this.batches}  ${formatRate(rate)} samples/s  ` +
      `loss ${formatLoss(loss)}  ETA ${formatDuration(eta)}`;
    this.stream.write(`\r\x1b[K${text}`);
    this.drawn = true;
  }

  /** Erases the bar so the epoch's summary line takes its place. */
  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
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
}

/** The line each epoch ends with. */
export function epochLine(s: EpochSummary): string {
  const width = String(s.epochs).length;
  const val = s.valLoss === null || s.valAccuracy === null
    ? 'val –'
    : `val loss ${formatLoss(s.valLoss)} acc ${formatPercent(s.valAccuracy)}`;
  return (
    `epoch ${String(s.epoch).padStart(width)}/${s.epochs}  train loss ${formatLoss(s.trainLoss)} acc ${formatPercent(s.trainAccuracy)}  ` +
    `${val}  lr ${formatLr(s.lr)}  ${s.seconds.toFixed(1)}s`
  );
}
