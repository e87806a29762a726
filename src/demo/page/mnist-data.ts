/**
 * MNIST in the page: `nn demo` serves the four files at data/mnist/<name>.gz from the directory `nn train`
 * reads (a plain web host serves copies of them). The bytes are gunzipped with the browser's own
 * DecompressionStream when they start with the gzip magic, and read as IDX: a magic number (0x0803 images,
 * 0x0801 labels), the dimensions as big-endian 32-bit integers, then the unsigned bytes.
 */

export const DATA_BASE = 'data/mnist/';

export interface MnistImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** Fetches images and labels of one split ('train' or 't10k'). */
export async function fetchMnistSplit(split: 'train' | 't10k', base = DATA_BASE): Promise<MnistImages> {
  const [images, labels] = await Promise.all([
    fetchIdx(`${base}${split}-images-idx3-ubyte.gz`),
    fetchIdx(`${base}${split}-labels-idx1-ubyte.gz`),
  ]);
  if (images.dims.length !== 3) throw new Error(`${split} images: an IDX file of ${images.dims.length} dimensions, expected 3`);
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new Error(`${split}: ${labels.dims[0]} labels for ${images.dims[0]} images`);
  }
  const [count, rows, cols] = images.dims;
  return { count, rows, cols, pixels: images.data, labels: labels.data };
}

interface Idx {
  dims: number[];
  data: Uint8Array;
}

async function fetchIdx(url: string): Promise<Idx> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}: ${(await response.text()).trim()}`);
  let bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  return parseIdxBytes(bytes, url);
}

/** An IDX file of unsigned bytes (type 0x08): dimensions and data, with its length checked. */
export function parseIdxBytes(bytes: Uint8Array, name: string): Idx {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) {
    throw new Error(`${name} is not an IDX file of unsigned bytes`);
  }
  const rank = bytes[3];
  const header = 4 + 4 * rank;
  if (rank < 1 || bytes.length < header) throw new Error(`${name}: damaged IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - header !== size) throw new Error(`${name}: the header promises ${size} bytes of data, the file has ${bytes.length - header}`);
  return { dims, data: bytes.subarray(header) };
}
