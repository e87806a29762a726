/**
 * Blocks of the wasm memory, handed out as Float32Array views ("resident" arrays). A kernel whose
 * operands are resident reads and writes them in place; any other array is copied in and out of a
 * scratch block per call. `allocFloat32` (src/memory.ts) places large buffers here, so layer outputs,
 * gradients and the im2col matrix cost no copies on the way through the wasm kernels.
 *
 * Blocks are recycled (first fit, merged when adjacent), and only when released explicitly (`releaseResident`): a layer's
 * buffer is released when the layer replaces it for another batch size (tensor.ts `reuse`), and the
 * next batch of that size gets the block back. Not on garbage collection: a subarray of a view (a
 * batch sliced from a dataset) may outlive the view it came from, and its memory must not be handed
 * out again under it. When the memory is exhausted (it may grow to MAXIMUM_PAGES), `allocResident`
 * returns null and the caller falls back to an ordinary array: residency is only ever a speed-up,
 * never needed for results.
 */
import { alignUp, heapF32, MAXIMUM_PAGES, wasmKernels } from './loader';

const memory = wasmKernels?.memory;
const LIMIT = MAXIMUM_PAGES * 65536;
/** The next never-used byte: blocks are carved from here upwards. */
let top = wasmKernels === null ? 0 : alignUp(wasmKernels.exports.heapBase());
/** Free ranges below `top`, sorted by offset, never adjacent (released neighbours are merged). */
const freeOffsets: number[] = [];
const freeSizes: number[] = [];
/** The ArrayBuffer objects the memory has had: a view over any of them is resident. */
const residentBuffers = new WeakSet<ArrayBufferLike>();

/** Blocks handed out as views and not yet released: offset → bytes. */
const inUse = new Map<number, number>();

/** Bytes of a block for `length` floats: whole cache lines, so blocks never share one. */
function blockBytes(length: number): number {
  return alignUp(Math.max(length, 1) * 4);
}

/**
 * A block of `bytes` (a multiple of 64), or −1 when the memory is full: the first free range that
 * fits (split if larger), else new memory at the top. First fit with merging keeps a run's footprint
 * near its largest working set even when batch sizes alternate (training 64, evaluating 256).
 */
export function allocBlock(bytes: number): number {
  for (let i = 0; i < freeOffsets.length; i++) {
    if (freeSizes[i] < bytes) continue;
    const offset = freeOffsets[i];
    if (freeSizes[i] === bytes) {
      freeOffsets.splice(i, 1);
      freeSizes.splice(i, 1);
    } else {
      freeOffsets[i] += bytes;
      freeSizes[i] -= bytes;
    }
    return offset;
  }
  if (memory === undefined || top + bytes > LIMIT) return -1;
  const offset = top;
  top += bytes;
  heapF32(top); // grow now, so the caller's view covers the block
  return offset;
}

/** Returns a block to the free ranges, merging it with free neighbours (and into the top). */
export function release(offset: number, bytes: number): void {
  let i = 0;
  while (i < freeOffsets.length && freeOffsets[i] < offset) i++;
  freeOffsets.splice(i, 0, offset);
  freeSizes.splice(i, 0, bytes);
  if (i + 1 < freeOffsets.length && offset + freeSizes[i] === freeOffsets[i + 1]) {
    freeSizes[i] += freeSizes[i + 1];
    freeOffsets.splice(i + 1, 1);
    freeSizes.splice(i + 1, 1);
  }
  if (i > 0 && freeOffsets[i - 1] + freeSizes[i - 1] === freeOffsets[i]) {
    freeSizes[i - 1] += freeSizes[i];
    freeOffsets.splice(i, 1);
    freeSizes.splice(i, 1);
    i--;
  }
  // A free range that reaches the top goes back to it.
  if (freeOffsets[i] + freeSizes[i] === top) {
    top = freeOffsets[i];
    freeOffsets.splice(i, 1);
    freeSizes.splice(i, 1);
  }
}

/** A zero-filled Float32Array of `length` in the wasm memory, or null (no wasm, or memory full). */
export function allocResident(length: number): Float32Array | null {
  if (memory === undefined) return null;
  const bytes = blockBytes(length);
  const offset = allocBlock(bytes);
  if (offset < 0) return null;
  const buffer = memory.buffer;
  residentBuffers.add(buffer);
  const view = new Float32Array(buffer, offset, length);
  view.fill(0); // a recycled block holds its previous owner's numbers
  inUse.set(offset, bytes);
  return view;
}

/**
 * Returns the block of a view from allocResident/allocResidentInt32 to the free list; anything else
 * (a heap array, a subarray, a block already released) is left alone. The caller promises that no
 * view of the block is used afterwards.
 */
export function releaseResident(view: Float32Array | Int32Array): void {
  if (!isResident(view)) return;
  const bytes = inUse.get(view.byteOffset);
  if (bytes === undefined || bytes !== blockBytes(view.length)) return;
  inUse.delete(view.byteOffset);
  release(view.byteOffset, bytes);
}

/** A zero-filled Int32Array of `length` in the wasm memory (max-pooling winners), or null. */
export function allocResidentInt32(length: number): Int32Array | null {
  if (memory === undefined) return null;
  const bytes = blockBytes(length);
  const offset = allocBlock(bytes);
  if (offset < 0) return null;
  const buffer = memory.buffer;
  residentBuffers.add(buffer);
  const view = new Int32Array(buffer, offset, length);
  view.fill(0);
  inUse.set(offset, bytes);
  return view;
}

/** Whether `a` is a view into the wasm memory (then `a.byteOffset` is its address there). */
export function isResident(a: Float32Array | Int32Array): boolean {
  return residentBuffers.has(a.buffer);
}

/** Bytes carved from the memory so far (in use or free), for diagnostics. */
export function residentBytes(): number {
  return top;
}
