/**
 * A buffer that only a kernel's fallback path needs: the array itself, or a function that allocates it
 * (or returns the one it allocated before) when that path runs. Conv2D passes functions, so that the
 * batch-sized column matrices the wasm kernels never touch are allocated only when a TypeScript kernel,
 * or a wasm wrapper that declines a window at run time, actually asks for them (docs/memory.md).
 */
export type BufferOnDemand = Float32Array | (() => Float32Array);

/** The array, allocated now if it was deferred. */
export function bufferNow(buffer: BufferOnDemand): Float32Array {
  return typeof buffer === 'function' ? buffer() : buffer;
}
