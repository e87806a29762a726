/**
 * The arena: blocks of the wasm memory, each with the kind of its owner (docs/memory.md).
 *
 * A block is carved from the memory (first fit among the free ranges, else at the top, growing the memory up
 * to the limit) and comes back only when its owner frees it: a `MemoryOwner` (src/memory.ts) on `dispose()`,
 * on replacing a buffer (`reuse`), or through its FinalizationRegistry once the owner is unreachable; the
 * kernels' scratch and GEMM workspaces are kept for the life of the process. Freed neighbours merge, and a
 * free range that reaches the top lowers it.
 *
 * When a request cannot be served (the memory is at its limit), `allocBlock` throws a KernelMemoryError that
 * says who holds the memory. It never hands out less, and nothing falls back to other kernels: the numbers a
 * run computes do not depend on how full the arena is.
 */
import { alignUp, heapF32, MAXIMUM_PAGES, wasmKernels } from './loader';

const memory = wasmKernels?.memory;
const WASM_PAGE = 65536;
/** Bytes the memory may ever have (the module's declared maximum). */
const MAXIMUM_BYTES = MAXIMUM_PAGES * WASM_PAGE;
/** Where the first block may start: above the module's own data and stack. */
const BASE = wasmKernels === null ? 0 : alignUp(wasmKernels.exports.heapBase());

let limit = MAXIMUM_BYTES;
/** The next never-used byte: blocks are carved from here upwards. */
let top = BASE;
let highWater = BASE;
/** Free ranges below `top`, sorted by offset, never adjacent (freed neighbours are merged). */
const freeOffsets: number[] = [];
const freeSizes: number[] = [];
/** The ArrayBuffer objects the memory has had: a view over any of them is resident. */
const residentBuffers = new WeakSet<ArrayBufferLike>();

interface Block {
  readonly bytes: number;
  /** The owner's kind, for memoryStats: "Conv2D", "Adam", "fit", "kernel scratch". */
  readonly kind: string;
}
/** Blocks handed out and not yet freed, by offset. */
const blocks = new Map<number, Block>();
let bytesInUse = 0;

/**
 * The arena cannot serve a request: the memory is at its limit. The message says how much was asked, by
 * whom, and which kinds of owner hold the memory (most often nets, optimizers or losses that were dropped
 * without `dispose()` and not yet collected).
 */
export class KernelMemoryError extends Error {
  readonly stats: MemoryStats;
  constructor(readonly requestedBytes: number, readonly requestedBy: string) {
    const stats = memoryStats();
    const holders = Object.entries(stats.owners)
      .sort((a, b) => b[1].bytes - a[1].bytes)
      .slice(0, 6)
      .map(([kind, o]) => `${kind} ${mib(o.bytes)} in ${o.blocks} block${o.blocks === 1 ? '' : 's'}`)
      .join(', ');
    super(
      `the kernels' wasm memory cannot give ${mib(requestedBytes)} to ${requestedBy}: ${mib(stats.bytesInUse)} of its ` +
        `${mib(stats.limitBytes)} are in use (${holders || 'nothing'}), ${mib(stats.bytesFree)} free in pieces too small. ` +
        'Call dispose() on the nets, optimizers and losses you no longer use (see docs/memory.md), or train with a smaller batch.',
    );
    this.name = 'KernelMemoryError';
    this.stats = stats;
  }
}

export interface MemoryStats {
  /** Whether the wasm kernels are loaded (without them nothing lives in the arena and every figure is 0). */
  readonly wasm: boolean;
  /** Bytes of the blocks handed out and not yet freed. */
  readonly bytesInUse: number;
  /** Bytes freed below the top, ready for the next blocks that fit. */
  readonly bytesFree: number;
  /** The top: bytes carved from the memory so far (in use or free), above the module's own data. */
  readonly bytesReserved: number;
  /** The highest the top has been. */
  readonly highWaterBytes: number;
  /** The size of the wasm memory itself (it grows, never shrinks). */
  readonly memoryBytes: number;
  /** The most the arena may take (setMemoryLimit; by default the module's maximum, 2 GiB). */
  readonly limitBytes: number;
  /** Blocks in use by owner kind: "Conv2D", "Adam", "fit", "SoftmaxCrossEntropy", "kernel scratch" … */
  readonly owners: Readonly<Record<string, { blocks: number; bytes: number }>>;
}

/** Where the arena stands (every figure in bytes). */
export function memoryStats(): MemoryStats {
  const owners: Record<string, { blocks: number; bytes: number }> = {};
  for (const block of blocks.values()) {
    const o = (owners[block.kind] ??= { blocks: 0, bytes: 0 });
    o.blocks++;
    o.bytes += block.bytes;
  }
  let bytesFree = 0;
  for (const size of freeSizes) bytesFree += size;
  return {
    wasm: memory !== undefined,
    bytesInUse,
    bytesFree,
    bytesReserved: top - BASE,
    highWaterBytes: highWater - BASE,
    memoryBytes: memory?.buffer.byteLength ?? 0,
    limitBytes: limit - BASE,
    owners,
  };
}

/**
 * Caps the arena at `bytes` above its base (default, or `undefined`: the module's maximum, 2 GiB), so that
 * a test or a host with little memory meets a KernelMemoryError early. Blocks already above the cap stay.
 */
export function setMemoryLimit(bytes?: number): void {
  if (bytes !== undefined && !(Number.isInteger(bytes) && bytes > 0)) {
    throw new RangeError(`setMemoryLimit: give a positive whole number of bytes, or nothing for the maximum; got ${String(bytes)}`);
  }
  limit = bytes === undefined ? MAXIMUM_BYTES : Math.min(MAXIMUM_BYTES, BASE + bytes);
}

/** Bytes of a block for `length` 4-byte elements: whole cache lines, so blocks never share one. */
export function blockBytes(length: number): number {
  return alignUp(Math.max(length, 1) * 4);
}

/**
 * A block of `bytes` (a multiple of 64) for an owner of kind `kind`: the first free range that fits (split
 * if larger), else new memory at the top. First fit with merging keeps a run's footprint near its largest
 * working set even when batch sizes alternate (training 64, evaluating 256). Throws KernelMemoryError
 * when the memory is at its limit.
 */
export function allocBlock(bytes: number, kind: string): number {
  if (memory === undefined) throw new Error('internal: allocBlock without the wasm kernels');
  let offset = -1;
  for (let i = 0; i < freeOffsets.length; i++) {
    if (freeSizes[i] < bytes) continue;
    offset = freeOffsets[i];
    if (freeSizes[i] === bytes) {
      freeOffsets.splice(i, 1);
      freeSizes.splice(i, 1);
    } else {
      freeOffsets[i] += bytes;
      freeSizes[i] -= bytes;
    }
    break;
  }
  if (offset < 0) {
    if (top + bytes > limit) throw new KernelMemoryError(bytes, kind);
    try {
      heapF32(top + bytes); // grow now, so the caller's view covers the block
    } catch {
      throw new KernelMemoryError(bytes, kind); // the host refused to grow the memory
    }
    offset = top;
    top += bytes;
    if (top > highWater) highWater = top;
  }
  blocks.set(offset, { bytes, kind });
  bytesInUse += bytes;
  return offset;
}

/** Returns the block at `offset` (from allocBlock) to the free ranges; an unknown offset is a bug. */
export function freeBlock(offset: number): void {
  const block = blocks.get(offset);
  if (block === undefined) throw new Error(`internal: freeBlock(${offset}) of a block that is not in use`);
  blocks.delete(offset);
  bytesInUse -= block.bytes;
  const bytes = block.bytes;
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

/** The current ArrayBuffer of the memory (after any growth), remembered as resident. */
export function arenaBuffer(): ArrayBufferLike {
  if (memory === undefined) throw new Error('internal: arenaBuffer without the wasm kernels');
  const buffer = memory.buffer;
  residentBuffers.add(buffer);
  return buffer;
}

/** Whether the wasm kernels (and so the arena) are there. */
export function arenaAvailable(): boolean {
  return memory !== undefined;
}

/** Whether `a` is a view into the wasm memory (then `a.byteOffset` is its address there). */
export function isResident(a: ArrayBufferView): boolean {
  return residentBuffers.has(a.buffer);
}

/**
 * Checks the arena's bookkeeping (for the tests): blocks in use and free ranges lie between the base and the
 * top, do not overlap, and free ranges are sorted and never adjacent. Returns the first problem, or null.
 */
export function arenaProblem(): string | null {
  const ranges: [number, number, string][] = [];
  for (const [offset, block] of blocks) ranges.push([offset, block.bytes, `block of ${block.kind}`]);
  for (let i = 0; i < freeOffsets.length; i++) {
    ranges.push([freeOffsets[i], freeSizes[i], 'free range']);
    if (i > 0 && freeOffsets[i - 1] + freeSizes[i - 1] >= freeOffsets[i]) return `free ranges ${i - 1} and ${i} touch or are unsorted`;
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let end = BASE;
  for (const [offset, bytes, what] of ranges) {
    if (offset < end) return `${what} at ${offset} overlaps the range ending at ${end}`;
    if (offset % 64 !== 0 || bytes % 64 !== 0 || bytes <= 0) return `${what} at ${offset} (${bytes} bytes) is not whole cache lines`;
    end = offset + bytes;
  }
  if (end > top) return `a range ends at ${end}, above the top ${top}`;
  const covered = ranges.reduce((sum, r) => sum + r[1], 0);
  if (covered !== top - BASE) return `blocks and free ranges cover ${covered} bytes, the arena has ${top - BASE}`;
  return null;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
