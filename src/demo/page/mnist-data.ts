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

/**
 * Fetches the first `limit` images and labels of one split ('train' or 't10k'). The files are read as a
 * stream and dropped once `limit` items have arrived: 10,000 training images need a sixth of the
 * 47 MB training file decompressed, not all of it.
 */
export async function fetchMnistSplit(split: 'train' | 't10k', limit = Infinity, base = DATA_BASE): Promise<MnistImages> {
  const [images, labels] = await Promise.all([
    fetchIdx(`${base}${split}-images-idx3-ubyte.gz`, limit),
    fetchIdx(`${base}${split}-labels-idx1-ubyte.gz`, limit),
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

/** The first `limit` items of an IDX file (gzipped or raw); `dims[0]` says how many were read. */
async function fetchIdx(url: string, limit: number): Promise<Idx> {
  const response = await fetch(url);
  if (!response.ok || response.body === null) throw new Error(`${url}: HTTP ${response.status}: ${(await response.text()).trim()}`);
  const source = await contentReader(response.body);
  const chunks: Uint8Array[] = [];
  let received = 0;
  let wanted = Infinity; // bytes needed, known once the header is in
  while (received < wanted) {
    const { done, value } = await source.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    if (wanted === Infinity && received >= 8) {
      const head = concat(chunks, received);
      const rank = head[3];
      if (received >= 4 + 4 * rank) {
        const dims = headerDims(head, rank);
        const itemSize = dims.slice(1).reduce((a, b) => a * b, 1);
        wanted = 4 + 4 * rank + Math.min(dims[0], limit) * itemSize;
      }
    }
  }
  source.stop();
  const bytes = concat(chunks, received);
  const rank = bytes[3];
  const dims = headerDims(bytes, rank);
  if (limit < dims[0]) dims[0] = limit;
  return parseIdxBytes(bytes.subarray(0, Math.min(received, wanted)), url, dims);
}

interface ContentReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  /** No more content is wanted: stop decompressing (the response is still read to its end, not aborted). */
  stop(): void;
}

/**
 * The response's content, gunzipped by the browser's DecompressionStream when it starts with the gzip magic
 * (0x1f 0x8b). Stopping early ends the decompression but lets the download finish: the file is local, and an
 * aborted request would count as a failed one.
 */
async function contentReader(body: ReadableStream<Uint8Array>): Promise<ContentReader> {
  const raw = body.getReader();
  const first = await raw.read();
  const drain = async (): Promise<void> => {
    while (!(await raw.read()).done) { /* discard */ }
  };
  const gzipped = !first.done && first.value[0] === 0x1f && first.value[1] === 0x8b;
  if (!gzipped) {
    let pending: Uint8Array | undefined = first.done ? undefined : first.value;
    return {
      read: async () => {
        if (pending !== undefined) {
          const value = pending;
          pending = undefined;
          return { done: false, value };
        }
        return raw.read();
      },
      stop: () => void drain().catch(() => undefined),
    };
  }
  const gunzip = new DecompressionStream('gzip');
  const writer = gunzip.writable.getWriter();
  const output = (gunzip.readable as ReadableStream<Uint8Array>).getReader();
  let stopped = false;
  const feed = async (): Promise<void> => {
    let chunk: ReadableStreamReadResult<Uint8Array> = first;
    while (!chunk.done && !stopped) {
      await writer.write(chunk.value as Uint8Array<ArrayBuffer>);
      chunk = await raw.read();
    }
    if (!chunk.done) await drain();
    else if (!stopped) await writer.close();
  };
  // A write fails once the output is cancelled: then only the draining is left to do.
  feed().catch(() => drain().catch(() => undefined));
  return {
    read: () => output.read(),
    stop: () => {
      stopped = true;
      output.cancel().catch(() => undefined);
    },
  };
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  chunks.splice(0, chunks.length, out);
  return out;
}

function headerDims(bytes: Uint8Array, rank: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
}

/**
 * An IDX file of unsigned bytes (type 0x08): dimensions and data, its length checked against `dims` (the
 * header's own, or fewer items when only the first ones were read).
 */
export function parseIdxBytes(bytes: Uint8Array, name: string, dims?: number[]): Idx {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) {
    throw new Error(`${name} is not an IDX file of unsigned bytes`);
  }
  const rank = bytes[3];
  const header = 4 + 4 * rank;
  if (rank < 1 || bytes.length < header) throw new Error(`${name}: damaged IDX header`);
  const shape = dims ?? headerDims(bytes, rank);
  const size = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - header !== size) throw new Error(`${name}: ${size} bytes of data expected, the file has ${bytes.length - header}`);
  return { dims: shape, data: bytes.subarray(header) };
}
