/**
 * From a drawing to an MNIST-like image, the way MNIST itself was made (LeCun et al.): the digit's
 * bounding box is scaled to fit a 20×20 box, keeping its aspect ratio, and placed in the 28×28 field so
 * that its centre of mass falls on the field's centre. A model trained on MNIST sees a drawn digit at the
 * size and position it learned, wherever and however large it was drawn on the pad.
 *
 * Pure arithmetic on arrays (no canvas), so it is tested in Node and runs the same in the page.
 */

export const MNIST_SIDE = 28;
/** The side of the box the digit's larger dimension is scaled to. */
export const DIGIT_BOX = 20;
/** Ink below this (of 255) is background when finding the bounding box (anti-aliasing fringes). */
const INK_THRESHOLD = 16;

/**
 * `ink`: width×height intensities, 0 background … 255 full ink (white digit on black, like MNIST).
 * Returns 28×28 pixel bytes, or undefined when nothing is drawn.
 */
export function toMnistPixels(ink: ArrayLike<number>, width: number, height: number): Uint8Array | undefined {
  if (ink.length !== width * height) throw new RangeError(`toMnistPixels: ${ink.length} values for ${width}×${height}`);
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] >= INK_THRESHOLD) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return undefined;
  const boxW = x1 - x0 + 1;
  const boxH = y1 - y0 + 1;
  const scale = DIGIT_BOX / Math.max(boxW, boxH);

  // Centre of mass of the ink in the box, in scaled units (pixel centres at +0.5).
  let mass = 0, mx = 0, my = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const v = ink[y * width + x];
      mass += v;
      mx += v * (x - x0 + 0.5) * scale;
      my += v * (y - y0 + 0.5) * scale;
    }
  }
  mx /= mass;
  my /= mass;
  const offsetX = MNIST_SIDE / 2 - mx;
  const offsetY = MNIST_SIDE / 2 - my;

  // Box resampling: source pixel (x, y) becomes the square [a, a + scale) × [b, b + scale) of the output
  // (output pixel i spans [i, i + 1)); each output pixel receives the ink times the area it overlaps. Mass
  // and centre of mass carry over exactly, and the sub-pixel placement needs no rounding to the grid.
  const out = new Float64Array(MNIST_SIDE * MNIST_SIDE);
  const xs = spans(x0, x1, scale, offsetX);
  const ys = spans(y0, y1, scale, offsetY);
  for (let y = y0; y <= y1; y++) {
    const rows = ys[y - y0];
    for (let x = x0; x <= x1; x++) {
      const v = ink[y * width + x];
      if (v === 0) continue;
      const cols = xs[x - x0];
      for (const [row, hy] of rows) for (const [col, wx] of cols) out[row * MNIST_SIDE + col] += v * hy * wx;
    }
  }
  const pixels = new Uint8Array(MNIST_SIDE * MNIST_SIDE);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(255, Math.round(out[i]));
  return pixels;
}

/**
 * For each source index first..last: the output pixels its scaled extent [a, a + scale) overlaps, with the
 * overlap lengths (pixels outside the 28-pixel field are dropped).
 */
function spans(first: number, last: number, scale: number, offset: number): [number, number][][] {
  const result: [number, number][][] = [];
  for (let i = first; i <= last; i++) {
    const a = (i - first) * scale + offset;
    const b = a + scale;
    const cells: [number, number][] = [];
    for (let cell = Math.max(0, Math.floor(a)); cell < Math.min(MNIST_SIDE, Math.ceil(b)); cell++) {
      const overlap = Math.min(b, cell + 1) - Math.max(a, cell);
      if (overlap > 0) cells.push([cell, overlap]);
    }
    result.push(cells);
  }
  return result;
}

/** The ink of an RGBA image (a canvas's getImageData), read from its red channel. */
export function inkFromRgba(rgba: ArrayLike<number>): Uint8Array {
  const ink = new Uint8Array(rgba.length / 4);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i];
  return ink;
}
