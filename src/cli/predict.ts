/**
 * `nn predict DIR FILE`: classify the images of FILE with a saved model. FILE is an IDX image file
 * (gzipped or raw; every image, or the first N) or a 28×28 binary PGM (P5), white digit on black like
 * MNIST. Prints, per image, the predicted class and the ten class probabilities (softmax of the scores).
 */
import { Command } from 'commander';
import { IdxError, asImages, parseIdx, readDataFile } from '../data/idx';
import { imagesToTensor } from '../data/mnist';
import { predict } from '../net/train';
import { CliError } from './errors';
import { TEST_BATCH_SIZE } from './eval';
import { asModelInput, loadMnistModel } from './model-dir';
import { positiveInt } from './options';

export interface PredictFlags {
  first?: number;
  json?: boolean;
  invert?: boolean;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('classify images (an IDX image file or a 28×28 binary PGM) with a saved model')
    .argument('<dir>', 'the model directory (written by nn train)')
    .argument('<file>', 'an IDX image file (.gz or raw) or a 28×28 binary PGM (P5), white digit on black')
    .option('-n, --first <n>', 'classify only the first N images of an IDX file', positiveInt)
    .option('--invert', 'invert the pixels first (for a dark digit on a light background)')
    .option('--json', 'one JSON line per image: {"index","class","probabilities"}')
    .action(async (dir: string, file: string, flags: PredictFlags) => {
      runPredict(dir, file, flags);
    });
}

/** 28×28 pixel bytes of `count` images. */
export interface ImageBytes {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

export function runPredict(dir: string, file: string, flags: PredictFlags): void {
  const model = loadMnistModel(dir);
  const images = readImages(file);
  if (images.rows !== 28 || images.cols !== 28) {
    throw new CliError(`${file} holds ${images.rows}×${images.cols} images; the model takes 28×28`);
  }
  if (images.count === 0) throw new CliError(`${file} holds no images`);
  const count = Math.min(flags.first ?? images.count, images.count);
  if (flags.invert) images.pixels = images.pixels.map((p) => 255 - p);
  const x = imagesToTensor(images.pixels, 28, 28, 0, count, model.normalization);
  const scores = predict(model.net, asModelInput(x, model.net.inputShape), TEST_BATCH_SIZE);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const probabilities = softmax(scores.data.subarray(i * 10, i * 10 + 10));
    let best = 0;
    for (let k = 1; k < 10; k++) if (probabilities[k] > probabilities[best]) best = k;
    if (flags.json) {
      lines.push(JSON.stringify({ index: i, class: best, probabilities: Array.from(probabilities, (p) => Number(p.toPrecision(6))) }));
    } else {
      const list = Array.from(probabilities, (p, k) => `${k}:${p.toFixed(4)}`).join(' ');
      lines.push(`${count > 1 ? `image ${String(i).padStart(String(count - 1).length)}: ` : ''}class ${best} (p ${probabilities[best].toFixed(4)})  probabilities ${list}`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Reads a binary PGM (by its "P5" magic) or an IDX image file. */
export function readImages(file: string): ImageBytes {
  // A regular file only: a FIFO or a device would never end (readDataFile says which it is).
  const bytes = readDataFile(file, 'an IDX image file or a PGM image');
  if (bytes.length >= 2 && bytes[0] === 0x50 /* P */ && bytes[1] >= 0x31 && bytes[1] <= 0x37) {
    return parsePgm(bytes, file);
  }
  try {
    const images = asImages(parseIdx(bytes, file), file);
    return { count: images.count, rows: images.rows, cols: images.cols, pixels: images.pixels };
  } catch (e) {
    if (e instanceof IdxError && /not an IDX file/.test(e.message)) {
      throw new CliError(`${file} is neither an IDX image file nor a binary PGM (P5) image`);
    }
    throw e;
  }
}

/** A binary greyscale PGM (P5): header "P5 width height maxval" with # comments, then the pixels. */
export function parsePgm(bytes: Uint8Array, file: string): ImageBytes {
  if (bytes[1] !== 0x35) {
    throw new CliError(`${file} is a P${String.fromCharCode(bytes[1])} netpbm image; only binary greyscale PGM (P5) is supported`);
  }
  let pos = 2;
  const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
  const fields: number[] = [];
  while (fields.length < 3) {
    while (pos < bytes.length && (isSpace(bytes[pos]) || bytes[pos] === 0x23)) {
      if (bytes[pos] === 0x23) while (pos < bytes.length && bytes[pos] !== 0x0a) pos++; // # comment to end of line
      else pos++;
    }
    const start = pos;
    while (pos < bytes.length && bytes[pos] >= 0x30 && bytes[pos] <= 0x39) pos++;
    if (pos === start) throw new CliError(`${file}: damaged PGM header (expected width, height and maxval)`);
    fields.push(Number(Buffer.from(bytes.subarray(start, pos)).toString('ascii')));
  }
  if (pos >= bytes.length || !isSpace(bytes[pos])) throw new CliError(`${file}: damaged PGM header (no whitespace before the pixels)`);
  pos++;
  const [width, height, maxval] = fields;
  if (width === 0 || height === 0 || maxval === 0 || maxval > 65535) {
    throw new CliError(`${file}: PGM size ${width}×${height} with maxval ${maxval} is not valid`);
  }
  const bytesPerPixel = maxval < 256 ? 1 : 2;
  const needed = width * height * bytesPerPixel;
  if (bytes.length - pos < needed) {
    throw new CliError(`${file}: truncated PGM: ${width}×${height} pixels need ${needed} bytes, the file has ${bytes.length - pos}`);
  }
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const v = bytesPerPixel === 1 ? bytes[pos + i] : (bytes[pos + 2 * i] << 8) | bytes[pos + 2 * i + 1];
    pixels[i] = Math.round((Math.min(v, maxval) * 255) / maxval);
  }
  return { count: 1, rows: height, cols: width, pixels };
}

/** Stable softmax (max subtracted) in float64. */
export function softmax(scores: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]);
  const out = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    out[i] = Math.exp(scores[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}
