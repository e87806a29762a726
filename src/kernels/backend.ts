/**
 * Which implementation the kernels (gemm.ts, im2col.ts) run:
 *   'wasm'       WebAssembly SIMD (the default when the module loaded), optionally multi-threaded;
 *   'ts'         register-friendly TypeScript loops (the fallback without wasm SIMD);
 *   'reference'  the plain matrix-product loops of reference.ts (the test oracle; slow); the other
 *                kernels have one TypeScript loop each, used by 'ts' and 'reference' alike.
 * Chosen at import from NN_KERNELS=reference|ts|wasm (tests, benchmarks; an unusable value gives a
 * warning and the default), changeable at run time with setKernelBackend.
 */
import { envVar, warn } from '../platform';
import { wasmFmaChoice, wasmKernels, wasmUnavailableReason, type FmaChoice } from './wasm/loader';

export type KernelBackend = 'reference' | 'ts' | 'wasm';
const BACKENDS: readonly KernelBackend[] = ['reference', 'ts', 'wasm'];

/** The backend in use; read by every kernel call (a plain field: the check costs nothing). */
export const kernelState: { backend: KernelBackend } = { backend: initialBackend() };

function initialBackend(): KernelBackend {
  const fallback: KernelBackend = wasmKernels !== null ? 'wasm' : 'ts';
  const requested = envVar('NN_KERNELS');
  if (requested === undefined || requested === '') return fallback;
  try {
    return checked(requested, 'NN_KERNELS');
  } catch (err) {
    // Not a crash at import (every program using the library would die with a stack trace): a
    // warning on stderr, and the default kernels. Benchmarks print the backend they ran.
    warn(`${(err as Error).message}; using ${fallback}`, 'NN_KERNELS');
    return fallback;
  }
}

function checked(name: string, what: string): KernelBackend {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new RangeError(`${what} must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(name)}`);
  }
  if (name === 'wasm' && wasmKernels === null) {
    throw new Error(`${what} asks for the wasm kernels, but they are not available: ${wasmUnavailableReason}`);
  }
  return name as KernelBackend;
}

/** The backend the kernels use now. */
export function kernelBackend(): KernelBackend {
  return kernelState.backend;
}

/** Switches every kernel to `backend`; throws if it is unknown, or 'wasm' when the module did not load. */
export function setKernelBackend(backend: KernelBackend): void {
  kernelState.backend = checked(backend, 'setKernelBackend');
}

/**
 * Whether the WebAssembly SIMD kernels loaded (and if not, why), which build ('kernels-fma.wasm' with fused
 * multiply-adds where the engine has relaxed SIMD, else 'kernels.wasm'), and how that build was chosen.
 */
export function wasmStatus(): { available: boolean; reason: string | null; file: string | null; fma: FmaChoice | null } {
  return { available: wasmKernels !== null, reason: wasmUnavailableReason, file: wasmKernels?.file ?? null, fma: wasmFmaChoice };
}
