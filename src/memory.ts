/**
 * The one place buffers are allocated: every block of the kernels' wasm memory has an owner (docs/memory.md).
 *
 * Large buffers live in the WebAssembly memory when the wasm kernels are loaded (kernels/wasm/arena.ts): the
 * kernels read and write them in place instead of copying them in and out on every call. That memory is not
 * garbage-collected, so each object that allocates there — a layer, a loss, an optimizer, fit's batch
 * buffers — holds a `MemoryOwner` and gives its blocks back:
 *   - explicitly: `owner.release(view)` when a buffer is replaced (`owner.reuse` does it), `owner.dispose()`
 *     when the object is disposed (idempotent; afterwards the owner refuses to allocate: DisposedError);
 *   - as a safety net, through a FinalizationRegistry when the owner becomes unreachable. The registry holds
 *     only the owner's ledger (offsets and lengths), never the owner; and every view handed out is an
 *     `OwnedFloat32Array`/`OwnedInt32Array` that holds its owner strongly, as does every subarray made from
 *     it. So an owner cannot be collected — and its blocks cannot be handed out again — while any view of
 *     them is reachable.
 * Small buffers (below 4096 elements: a copy costs next to nothing), huge ones (above 2^24) and all of them
 * without wasm are plain heap arrays, which the garbage collector takes care of.
 */
import { allocBlock, arenaAvailable, arenaBuffer, blockBytes, freeBlock, isResident } from './kernels/wasm/arena';
import { fillZeroWasm } from './kernels/wasm/memory-bound';
import type { Shape, Tensor } from './tensor';

/** Buffers from 4096 elements (16 KiB) to 2^24 (64 MiB) go to the wasm memory. */
const RESIDENT_MIN_LENGTH = 4096;
const RESIDENT_MAX_LENGTH = 1 << 24;

function resident(length: number): boolean {
  return length >= RESIDENT_MIN_LENGTH && length <= RESIDENT_MAX_LENGTH && arenaAvailable();
}

/** An object used after `dispose()`: its memory went back to the arena. */
export class DisposedError extends Error {
  constructor(readonly owner: string) {
    super(`${owner} was disposed (its memory went back to the kernels' arena) and cannot be used again; build a new one`);
    this.name = 'DisposedError';
  }
}

/**
 * A Float32Array over an arena block that keeps the block's owner reachable. Its subarrays are owned views
 * too; map/slice/filter make plain heap copies (species).
 */
export class OwnedFloat32Array extends Float32Array<ArrayBuffer> {
  static get [Symbol.species](): Float32ArrayConstructor {
    return Float32Array;
  }

  constructor(buffer: ArrayBufferLike, byteOffset: number, length: number, readonly owner: MemoryOwner) {
    // The memory is a SharedArrayBuffer; to everyone else this is an ordinary Float32Array.
    super(buffer as ArrayBuffer, byteOffset, length);
  }

  override subarray(begin?: number, end?: number): OwnedFloat32Array {
    const part = super.subarray(begin, end);
    return new OwnedFloat32Array(part.buffer, part.byteOffset, part.length, this.owner);
  }
}

/**
 * As OwnedFloat32Array, for index buffers (max pooling's winners). Two classes on purpose: typed arrays share
 * no base class to extend, and each public view keeps its exact type (a mixin would erase it in the .d.ts).
 */
export class OwnedInt32Array extends Int32Array<ArrayBuffer> {
  static get [Symbol.species](): Int32ArrayConstructor {
    return Int32Array;
  }

  constructor(buffer: ArrayBufferLike, byteOffset: number, length: number, readonly owner: MemoryOwner) {
    super(buffer as ArrayBuffer, byteOffset, length);
  }

  override subarray(begin?: number, end?: number): OwnedInt32Array {
    const part = super.subarray(begin, end);
    return new OwnedInt32Array(part.buffer, part.byteOffset, part.length, this.owner);
  }
}

/** Offset → element count of the blocks one owner holds. */
type Ledger = Map<number, number>;

function freeLedger(ledger: Ledger): void {
  for (const offset of ledger.keys()) freeBlock(offset);
  ledger.clear();
}

/** Frees the blocks of owners that became unreachable without dispose(). Holds ledgers, never owners. */
const registry: FinalizationRegistry<Ledger> | undefined =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<Ledger>(freeLedger) : undefined;

type ViewConstructor<T> = new (buffer: ArrayBufferLike, byteOffset: number, length: number, owner: MemoryOwner) => T;

/**
 * The owner of a set of arena blocks: one per layer, loss, optimizer or temporary (fit's batches). Everything
 * it hands out is zero-filled and valid until it is released or the owner is disposed.
 */
export class MemoryOwner {
  private readonly ledger: Ledger = new Map();
  private registered = false;
  private isDisposed = false;

  /** @param kind what owns the blocks, in memoryStats and error messages: "Conv2D", "Adam", "fit". */
  constructor(readonly kind: string) {}

  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Throws DisposedError once disposed: the check at the top of an owner's working methods. */
  assertLive(): void {
    if (this.isDisposed) throw new DisposedError(this.kind);
  }

  /** A zero-filled Float32Array of `length`: in the arena when large enough, else on the heap. */
  float32(length: number): Float32Array<ArrayBuffer> {
    this.assertLive();
    return resident(length) ? this.block(OwnedFloat32Array, length) : new Float32Array(length);
  }

  /** A zero-filled Float32Array in the arena whatever its length (tests, benchmarks); needs the wasm kernels. */
  arenaFloat32(length: number): Float32Array<ArrayBuffer> {
    this.assertLive();
    if (!arenaAvailable()) throw new Error('MemoryOwner.arenaFloat32: the wasm kernels are not loaded');
    return this.block(OwnedFloat32Array, length);
  }

  /** As float32, for index buffers. */
  int32(length: number): Int32Array<ArrayBuffer> {
    this.assertLive();
    return resident(length) ? this.block(OwnedInt32Array, length) : new Int32Array(length);
  }

  /** `values` itself, or a copy in the arena when it is large enough to live there (params, optimizer slots). */
  adopt(values: Float32Array): Float32Array {
    this.assertLive();
    if (!resident(values.length)) return values;
    const view = this.block(OwnedFloat32Array, values.length);
    view.set(values);
    return view;
  }

  /**
   * A reusable buffer: `previous` when it already has `shape`, else a new zeroed tensor — and then the
   * buffer being replaced goes back to the arena (a layer's buffers are valid until its next call, so the
   * next batch of that size can have the block again).
   */
  reuse(previous: Tensor | undefined, shape: Shape): Tensor {
    if (previous !== undefined && previous.shape.length === shape.length && previous.shape.every((d, i) => d === shape[i])) {
      return previous;
    }
    this.assertLive();
    if (previous !== undefined) this.release(previous.data);
    let size = 1;
    for (const d of shape) size *= d;
    return { shape: [...shape], data: this.float32(size) };
  }

  /**
   * Gives back the block of a view this owner handed out; anything else (a heap array, a subarray, another
   * owner's block, a block already released) is left alone. The caller promises not to use the view again.
   */
  release(view: Float32Array | Int32Array): void {
    if (!isResident(view) || this.ledger.get(view.byteOffset) !== view.length) return;
    this.ledger.delete(view.byteOffset);
    freeBlock(view.byteOffset);
  }

  /** Gives back every block (idempotent). Views handed out must not be used afterwards. */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    if (this.registered) registry?.unregister(this);
    freeLedger(this.ledger);
  }

  /** Bytes of the arena blocks this owner holds. */
  get bytes(): number {
    let bytes = 0;
    for (const length of this.ledger.values()) bytes += blockBytes(length);
    return bytes;
  }

  private block<T extends Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer>>(View: ViewConstructor<T>, length: number): T {
    const offset = allocBlock(blockBytes(length), this.kind);
    this.ledger.set(offset, length);
    if (!this.registered) {
      registry?.register(this, this.ledger, this);
      this.registered = true;
    }
    const view = new View(arenaBuffer(), offset, length, this);
    // A recycled block holds its previous owner's numbers. Zeroed by the kernels' memset: fill() on the
    // memory's SharedArrayBuffer stores element by element, ~10× slower (kernels/wasm/assembly/fill.ts).
    fillZeroWasm(view, length);
    return view;
  }
}
