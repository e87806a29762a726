// The wasm module's entry: every kernel the JS side calls. Compiled by scripts/build-wasm.js.
// No kernel allocates: the stub runtime's heap is never used, the JS side owns all memory past heapBase().
export { gemm, gemmWorkspaceBytes } from './gemm';
export { gemmAbt } from './gemm-abt';
export { convForwardProduct } from './conv-product';
export { convInputGradient, convInputGradientFloats, convInputGradientTakes } from './conv-input-gradient';
export { convWeightGradient, convWeightGradientFits, convWeightGradientPatchFloats } from './conv-weight-gradient';
export { convWeightGradientSparse, countNonzeroRows, sparseWeightGradientFits } from './conv-weight-gradient-sparse';
export { im2col, col2im, maxPool2x2, maxPoolBackward } from './conv';
export { reluForward, reluBackward, filterRowsToBatch, batchToFilterRows } from './elementwise';
export { adamUpdate } from './optimizer';
export { allFinite } from './finite';
export { addRowVector, accumulateColumnSums } from './bias';
export { fillZero } from './fill';
export { batchNormForward, batchNormBackward } from './batchnorm';

/** First free byte after the module's static data: the JS side lays out its buffers from here. */
export function heapBase(): usize {
  return __heap_base;
}
