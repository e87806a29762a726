// The wasm module's entry: every kernel the JS side calls. Compiled by scripts/build-wasm.js.
export { gemm, gemmWorkspaceBytes } from './gemm';

/** First free byte after the module's static data: the JS side lays out its buffers from here. */
export function heapBase(): usize {
  return __heap_base;
}
