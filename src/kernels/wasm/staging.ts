/**
 * Getting operands into the wasm memory for one kernel call: a resident array (arena.ts) is used
 * where it lies; any other is copied into a per-call scratch block (in: before the call, out: after).
 * Calls are synchronous, so one scratch block, grown when a call needs more, serves them all.
 */
import { alignUp, heapF32 } from './loader';
import { allocBlock, freeBlock, isResident } from './arena';

let scratchOffset = -1;
let scratchBytes = 0;
/** The next free byte of the scratch block during the current call. */
let cursor = 0;
let scratchEnd = 0;

/**
 * Starts a call that stages at most `bytes` (sum over the non-resident operands, each rounded up
 * to 64). Always true: when the scratch cannot be had, the arena throws a KernelMemoryError (a
 * kernel never falls back to other code that would round differently).
 */
export function beginStaging(bytes: number): boolean {
  if (bytes > scratchBytes) {
    if (scratchOffset >= 0) freeBlock(scratchOffset);
    scratchOffset = -1;
    scratchBytes = 0;
    let size = 1 << 16;
    while (size < bytes) size *= 2;
    scratchOffset = allocBlock(size, 'kernel scratch');
    scratchBytes = size;
  }
  cursor = scratchOffset;
  scratchEnd = scratchOffset + scratchBytes;
  return true;
}

/** Scratch bytes `a` needs (0 when resident). */
export function stagedBytes(a: Float32Array | Int32Array, length: number): number {
  return isResident(a) ? 0 : alignUp(length * 4);
}

/** The wasm address of a's first `length` elements, copying them in when `copyIn` and a is not resident. */
export function place(a: Float32Array | Int32Array, length: number, copyIn: boolean): number {
  // A kernel reads or writes `length` elements: past a short resident array lie other blocks.
  if (a.length < length) throw new RangeError(`kernel operand has ${a.length} elements, the call needs ${length}`);
  if (isResident(a)) return a.byteOffset;
  const offset = cursor;
  cursor += alignUp(length * 4);
  if (cursor > scratchEnd) throw new Error('internal: kernel staging exceeded the bytes announced to beginStaging');
  if (copyIn && length > 0) {
    const heap = heapF32(offset + length * 4);
    if (a instanceof Float32Array) heap.set(a.subarray(0, length), offset / 4);
    else new Int32Array(heap.buffer).set(a.subarray(0, length), offset / 4);
  }
  return offset;
}

/** Copies `length` elements at wasm address `offset` back into a (nothing when a is resident). */
export function copyOut(a: Float32Array | Int32Array, offset: number, length: number): void {
  if (isResident(a) || length === 0) return;
  const heap = heapF32(offset + length * 4);
  if (a instanceof Float32Array) a.set(heap.subarray(offset / 4, (offset / 4) + length));
  else a.set(new Int32Array(heap.buffer, offset, length));
}
