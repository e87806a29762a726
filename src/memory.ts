/**
 * The one place buffers are allocated, so that the memory strategy (plain heap, a shared or
 * wasm memory) can change without touching layers.
 */
export function allocFloat32(length: number): Float32Array {
  return new Float32Array(length);
}
