/**
 * The one place buffers are allocated, so that the memory strategy (plain heap, a shared or
 * wasm memory) can change without touching layers.
 *
 * Large buffers live in the WebAssembly memory when the wasm kernels are loaded (kernels/wasm/arena.ts):
 * the kernels then read and write them in place instead of copying them in and out on every call.
 * To everyone else they are ordinary Float32Arrays (over a SharedArrayBuffer, hence the type
 * assertions below). Small ones, huge ones (a whole dataset) and all of them without wasm are plain
 * heap arrays. Wasm blocks are not garbage-collected: `releaseFloat32` gives one back (tensor.ts
 * `reuse` does, when a layer replaces its buffer for another batch size).
 */
import { allocResident, allocResidentInt32, releaseResident } from './kernels/wasm/arena';

/** Buffers from 4096 floats (16 KiB: below, a copy costs next to nothing) to 2^24 (64 MiB) go to the wasm memory. */
const RESIDENT_MIN_LENGTH = 4096;
const RESIDENT_MAX_LENGTH = 1 << 24;

function resident(length: number): boolean {
  return length >= RESIDENT_MIN_LENGTH && length <= RESIDENT_MAX_LENGTH;
}

export function allocFloat32(length: number): Float32Array<ArrayBuffer> {
  const view = resident(length) ? allocResident(length) : null;
  return (view as Float32Array<ArrayBuffer> | null) ?? new Float32Array(length);
}

/** As allocFloat32, for index buffers (max pooling's winners). */
export function allocInt32(length: number): Int32Array<ArrayBuffer> {
  const view = resident(length) ? allocResidentInt32(length) : null;
  return (view as Int32Array<ArrayBuffer> | null) ?? new Int32Array(length);
}

/** `values` itself, or a copy in the wasm memory when it is large enough to live there (params). */
export function adoptFloat32(values: Float32Array): Float32Array {
  if (!resident(values.length)) return values;
  const view = allocResident(values.length);
  if (view === null) return values;
  view.set(values);
  return view;
}

/**
 * Gives back a buffer from allocFloat32/allocInt32 that nothing will use again (a no-op for heap
 * arrays, which the garbage collector takes care of).
 */
export function releaseFloat32(buffer: Float32Array | Int32Array): void {
  releaseResident(buffer);
}
