/**
 * A CSV file of numeric features and one class label per row, read as a stream into compact float32
 * storage: the file is decoded chunk by chunk (1 MiB at a time) and each row goes straight into a growing
 * Float32Array, so a file far larger than memory would be as JavaScript strings or float64 numbers still
 * loads (4 bytes per value).
 *
 * The dialect (RFC 4180 plus what spreadsheets write): comma-separated; a header row naming the columns;
 * fields may be quoted with "…" (a quote inside is written ""; quoted fields may hold commas and line
 * breaks); lines end in LF, CRLF or CR; a UTF-8 byte-order mark is skipped; blank lines are skipped.
 *
 * Cells: every column but the label column is a feature and must be a number ("1", "-2.5", "3e-4");
 * an empty cell, NA, N/A, NaN, null or ? is a missing value, kept as NaN (features.ts fills it with the
 * training mean). Labels are any text: all integers ⇒ classes sorted numerically, else sorted as text;
 * class i is the i-th name (saved with a model so eval and predict print the names back).
 * Every error names the file, the line and the column.
 */
import * as fs from 'node:fs';
import { kindOf } from './idx';

export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

export interface CsvOptions {
  /** The label column: a header name, or a 1-based column number. Default: a column named "label" (any case), else the last. */
  labelColumn?: string;
  /** The classes, in index order, of a model already trained: every label must be one of them (eval, a --test file). */
  classNames?: readonly string[];
  /** The feature columns a trained model expects, in order: the header must have exactly these (besides the label). */
  featureColumns?: readonly string[];
  /** false: a file without the label column is accepted (predict). Default true. */
  requireLabels?: boolean;
  /** Bytes read per chunk (default 1 MiB; tests use tiny chunks to cross every boundary). */
  chunkBytes?: number;
}

export interface CsvData {
  readonly file: string;
  /** The header, in file order. */
  readonly columns: readonly string[];
  /** The label column's name, or undefined when the file has none (predict). */
  readonly labelColumn: string | undefined;
  readonly featureColumns: readonly string[];
  /** Rows read. */
  readonly count: number;
  /** count × featureColumns.length values, row-major; NaN where a cell was missing. */
  readonly features: Float32Array;
  /** Class indices into classNames; undefined when the file has no label column. */
  readonly labels: Int32Array | undefined;
  readonly classNames: readonly string[];
  /** Missing feature cells (NaN in `features`). */
  readonly missing: number;
  /** The line each row starts on (1-based, the header is line 1 unless blank lines precede it). */
  readonly lines: Uint32Array;
}

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', '?']);
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** Reads a CSV file (see the top of this file for the dialect); throws a CsvError naming line and column. */
export function loadCsv(file: string, options: CsvOptions = {}): CsvData {
  let fd: number;
  try {
    // Only regular files: a FIFO would block forever and a device (/dev/zero) never end. O_NONBLOCK so
    // that a path turned into a FIFO between stat and open does not wait for a writer either.
    const stat = fs.statSync(file);
    if (stat.isDirectory()) throw new CsvError(`${file} is a directory, not a CSV file`);
    if (!stat.isFile()) throw new CsvError(`${file}: is ${kindOf(stat)}, not a regular file; give a CSV file`);
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if (e instanceof CsvError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CsvError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${(e as Error).message})`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw new CsvError(`${file} is a directory, not a CSV file`);
    if (!stat.isFile()) throw new CsvError(`${file}: is ${kindOf(stat)}, not a regular file; give a CSV file`);
    const reader = new RowReader(file, options);
    const chunk = Buffer.alloc(options.chunkBytes ?? 1 << 20);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      let text: string;
      try {
        text = decoder.decode(chunk.subarray(0, n), { stream: n > 0 });
      } catch {
        throw new CsvError(`${file}: near line ${reader.line}: the file is not valid UTF-8 text`);
      }
      reader.push(text);
      if (n === 0) break;
    }
    return reader.finish();
  } finally {
    fs.closeSync(fd);
  }
}

/** The tokenizer (characters → fields → records) and the row store, fed text chunk by chunk. */
class RowReader {
  /** The current physical line (1-based). */
  line = 1;
  private first = true;
  private field = '';
  private fields: string[] = [];
  private quoted = false;
  /** The field began with a quote (so its trailing spaces are not part of it). */
  private wasQuoted = false;
  private recordLine = 1;
  private quoteLine = 0;
  private afterCr = false;

  private header: string[] | undefined;
  private labelIndex = -1;
  private featureIndex: number[] = [];
  private width = 0;
  private store = new Float32Array(0);
  private labels = new Int32Array(0);
  private lines = new Uint32Array(0);
  private count = 0;
  private missing = 0;
  private readonly classIndex = new Map<string, number>();
  private readonly classOrder: string[] = [];

  constructor(private readonly file: string, private readonly options: CsvOptions) {
    options.classNames?.forEach((name, i) => this.classIndex.set(name, i));
  }

  push(text: string): void {
    let i = 0;
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    for (; i < text.length; i++) {
      const c = text[i];
      if (this.afterCr) {
        this.afterCr = false;
        if (c === '\n') continue; // the LF of a CRLF
      }
      if (this.quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            this.field += '"';
            i++;
          } else if (i + 1 === text.length) {
            // The next chunk decides: "" (an escaped quote) or the end of the field. Keep the quote pending.
            this.pendingQuote = true;
            this.quoted = false;
          } else {
            this.quoted = false;
          }
        } else {
          if (c === '\n' || c === '\r') this.newline(c);
          this.field += c;
        }
        continue;
      }
      if (this.pendingQuote) {
        this.pendingQuote = false;
        if (c === '"') {
          this.field += '"';
          this.quoted = true;
          continue;
        }
      }
      if (c === ',') {
        this.endField();
      } else if (c === '\n' || c === '\r') {
        this.endField();
        this.endRecord();
        this.newline(c);
        this.recordLine = this.line;
      } else if (c === '"' && this.field.trim() === '' && !this.wasQuoted) {
        this.quoted = true;
        this.wasQuoted = true;
        this.quoteLine = this.line;
        this.field = '';
      } else {
        this.field += c;
      }
    }
  }

  private pendingQuote = false;

  private newline(c: string): void {
    this.line++;
    if (c === '\r') this.afterCr = true;
  }

  private endField(): void {
    this.fields.push(this.wasQuoted ? this.field : this.field.trim());
    this.field = '';
    this.wasQuoted = false;
  }

  finish(): CsvData {
    if (this.quoted) throw new CsvError(`${this.file}: line ${this.quoteLine}: a quoted field is never closed (a " is missing)`);
    this.pendingQuote = false;
    if (this.field !== '' || this.fields.length > 0 || this.wasQuoted) {
      this.endField();
      this.endRecord();
    }
    if (this.header === undefined) throw new CsvError(`${this.file}: the file is empty (a header row naming the columns is needed)`);
    if (this.count === 0) throw new CsvError(`${this.file}: no data rows after the header`);
    let classNames: string[];
    let labels: Int32Array | undefined = this.labelIndex >= 0 ? this.labels.slice(0, this.count) : undefined;
    if (this.options.classNames) {
      classNames = [...this.options.classNames];
    } else {
      // Sort the classes so that the same labels always give the same indices, whatever order the rows come in.
      const numeric = this.classOrder.every((name) => INTEGER.test(name));
      classNames = [...this.classOrder].sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const remap = this.classOrder.map((name) => classNames.indexOf(name));
      if (labels) for (let r = 0; r < labels.length; r++) labels[r] = remap[labels[r]];
    }
    return {
      file: this.file,
      columns: this.header,
      labelColumn: this.labelIndex >= 0 ? this.header[this.labelIndex] : undefined,
      featureColumns: this.featureIndex.map((j) => this.header![j]),
      count: this.count,
      features: this.store.slice(0, this.count * this.width),
      labels,
      classNames,
      missing: this.missing,
      lines: this.lines.slice(0, this.count),
    };
  }

  private endRecord(): void {
    const fields = this.fields;
    this.fields = [];
    if (fields.length === 1 && fields[0] === '') return; // a blank line
    if (this.header === undefined) {
      this.setHeader(fields);
      return;
    }
    const at = `${this.file}: line ${this.recordLine}`;
    if (fields.length !== this.header.length) {
      throw new CsvError(`${at}: ${fields.length} ${fields.length === 1 ? 'field' : 'fields'}, but the header has ${this.header.length} columns`);
    }
    this.grow();
    const base = this.count * this.width;
    for (let k = 0; k < this.featureIndex.length; k++) {
      const j = this.featureIndex[k];
      const cell = fields[j];
      if (MISSING.has(cell.toLowerCase())) {
        this.store[base + k] = NaN;
        this.missing++;
      } else if (NUMBER.test(cell)) {
        const value = Number(cell);
        if (!Number.isFinite(Math.fround(value))) {
          throw new CsvError(`${at}, column ${j + 1} ("${this.header[j]}"): ${cell} is too large for a 32-bit float`);
        }
        this.store[base + k] = value;
      } else {
        throw new CsvError(`${at}, column ${j + 1} ("${this.header[j]}"): "${shorten(cell)}" is not a number`);
      }
    }
    if (this.labelIndex >= 0) {
      const name = fields[this.labelIndex];
      const where = `${at}, column ${this.labelIndex + 1} ("${this.header[this.labelIndex]}")`;
      if (name === '') throw new CsvError(`${where}: the label is missing`);
      let index = this.classIndex.get(name);
      if (index === undefined) {
        if (this.options.classNames) {
          throw new CsvError(`${where}: label "${shorten(name)}" is not one of the model's classes (${listNames(this.options.classNames)})`);
        }
        index = this.classOrder.length;
        this.classIndex.set(name, index);
        this.classOrder.push(name);
      }
      this.labels[this.count] = index;
    }
    this.lines[this.count] = this.recordLine;
    this.count++;
  }

  private setHeader(names: string[]): void {
    const at = `${this.file}: line ${this.recordLine} (the header)`;
    const seen = new Map<string, number>();
    names.forEach((name, j) => {
      if (name === '') throw new CsvError(`${at}: column ${j + 1} has no name`);
      if (seen.has(name)) throw new CsvError(`${at}: columns ${seen.get(name)! + 1} and ${j + 1} are both named "${name}"`);
      seen.set(name, j);
    });
    const requested = this.options.labelColumn;
    let label = -1;
    if (requested !== undefined) {
      label = names.indexOf(requested);
      if (label < 0 && /^\d+$/.test(requested) && Number(requested) >= 1 && Number(requested) <= names.length) label = Number(requested) - 1;
      if (label < 0 && this.options.requireLabels !== false) {
        throw new CsvError(`${at}: no label column "${requested}" (columns: ${listNames(names)})`);
      }
    } else {
      label = names.findIndex((n) => n.toLowerCase() === 'label');
      if (label < 0 && this.options.requireLabels !== false) label = names.length - 1;
    }
    const features = names.map((_, j) => j).filter((j) => j !== label);
    if (features.length === 0) throw new CsvError(`${at}: the only column is the label "${names[label]}"; there are no feature columns`);
    const expected = this.options.featureColumns;
    if (expected) {
      const got = features.map((j) => names[j]);
      if (got.join('\u0000') !== expected.join('\u0000')) {
        const absent = expected.filter((n) => !got.includes(n));
        const extra = got.filter((n) => !expected.includes(n));
        const detail = absent.length || extra.length
          ? [absent.length ? `missing ${listNames(absent)}` : '', extra.length ? `unexpected ${listNames(extra)}` : ''].filter(Boolean).join('; ')
          : 'the same columns in another order';
        throw new CsvError(`${at}: the feature columns differ from the ${expected.length} the model was trained on (${detail})`);
      }
    }
    this.header = names;
    this.labelIndex = label;
    this.featureIndex = features;
    this.width = features.length;
  }

  /** Doubles the row store when full (row-count capacity: the features, labels and line numbers). */
  private grow(): void {
    if (this.count < this.lines.length) return;
    const rows = Math.max(1024, this.lines.length * 2);
    const store = new Float32Array(rows * this.width);
    store.set(this.store);
    this.store = store;
    const labels = new Int32Array(rows);
    labels.set(this.labels);
    this.labels = labels;
    const lines = new Uint32Array(rows);
    lines.set(this.lines);
    this.lines = lines;
  }
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 12).map((n) => `"${shorten(n)}"`).join(', ');
  return names.length > 12 ? `${shown} … ${names.length} in all` : shown;
}
