/**
 * Loads the WebAssembly SIMD kernels synchronously when the package is imported.
 *
 * The module's bytes are inlined (base64) in wasm-bytes.generated.ts, which scripts/build-wasm.js writes
 * from src/kernels/wasm/assembly/ — no file system, no fetch, so the API stays synchronous in Node, a
 * page and a Worker alike. The module imports one SHARED memory that this side creates and owns, so
 * worker threads can instantiate the same module over the same memory (see threads.ts). A shared
 * WebAssembly.Memory needs no cross-origin isolation in Chromium (only the SharedArrayBuffer global and
 * posting it to a Worker do); an engine that refuses one, or lacks SIMD, or a checkout whose kernels were
 * never built, leaves `wasmKernels` null, `wasmUnavailableReason` says why, and the TypeScript kernels
 * stay in use.
 */
import { base64Bytes, envVar } from '../../platform';

/** The GEMM functions the module exports (pointers are byte offsets into `memory`; the others: conv-wasm.ts). */
export interface KernelExports {
  heapBase(): number;
  gemmWorkspaceBytes(): number;
  gemm(
    a: number, aRs: number, aCs: number,
    b: number, bRs: number, bCs: number,
    c: number, n: number, k: number,
    i0: number, i1: number, j0: number, j1: number,
    accumulate: number, ws: number,
  ): void;
  gemmDot(
    a: number, lda: number, b: number, ldb: number, c: number, n: number, k: number,
    i0: number, i1: number, j0: number, j1: number, accumulate: number, ws: number,
  ): void;
}

export interface WasmKernels {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly exports: KernelExports;
  /** Which build was loaded: 'kernels.wasm', or 'kernels-fma.wasm' (NN_WASM_FMA=1). */
  readonly file: string;
}

/** Must equal MAXIMUM_PAGES in scripts/build-wasm.js (the module declares this maximum). */
export const MAXIMUM_PAGES = 32768;
const WASM_PAGE = 65536;

/** The smallest SIMD module (one function returning a v128): validates only if the engine has SIMD128. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

interface GeneratedWasm {
  KERNELS_WASM_BASE64: string;
  KERNELS_FMA_WASM_BASE64: string;
}

/**
 * The inlined modules, or null in a checkout that has not been built (`npm run build`, or jest's global
 * setup, generates them). A `require` rather than an `import` so that type-checking a fresh clone does not
 * depend on a generated file; bundlers (esbuild for dist/esm and dist/browser) inline it all the same.
 */
function generated(): GeneratedWasm | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('./wasm-bytes.generated') as GeneratedWasm;
  } catch {
    return null;
  }
}

function load(): { kernels: WasmKernels | null; reason: string | null } {
  if (typeof WebAssembly !== 'object') return { kernels: null, reason: 'WebAssembly is not available' };
  if (!WebAssembly.validate(SIMD_PROBE)) return { kernels: null, reason: 'WebAssembly SIMD is not available' };
  const inlined = generated();
  if (inlined === null) {
    return { kernels: null, reason: 'the wasm kernels were not built (src/kernels/wasm/wasm-bytes.generated.ts is missing); run npm run build' };
  }
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: 1, maximum: MAXIMUM_PAGES, shared: true });
  } catch (err) {
    return { kernels: null, reason: `this engine cannot create a shared WebAssembly memory (${(err as Error).message})` };
  }
  let file = 'kernels.wasm';
  try {
    let bytes = base64Bytes(inlined.KERNELS_WASM_BASE64);
    // Opt-in: the build with fused multiply-adds (about 1.3× the GEMM speed on this machine's x64),
    // if the engine validates relaxed SIMD. Results then differ from the default build in the last bits.
    if (envVar('NN_WASM_FMA') === '1') {
      const fmaBytes = base64Bytes(inlined.KERNELS_FMA_WASM_BASE64);
      if (WebAssembly.validate(fmaBytes)) {
        file = 'kernels-fma.wasm';
        bytes = fmaBytes;
      }
    }
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return { kernels: { module, memory, exports: instance.exports as unknown as KernelExports, file }, reason: null };
  } catch (err) {
    return { kernels: null, reason: `${file} failed to load: ${(err as Error).message}` };
  }
}

const loaded = load();

/** The loaded kernels, or null (then `wasmUnavailableReason` says why). */
export const wasmKernels: WasmKernels | null = loaded.kernels;
export const wasmUnavailableReason: string | null = loaded.reason;

let view: Float32Array = wasmKernels === null ? new Float32Array(0) : new Float32Array(wasmKernels.memory.buffer);

/**
 * A Float32Array over the whole wasm memory, grown first so that at least `bytes` are addressable.
 * Call it again after anything that may grow the memory (the view of a grown shared memory stays
 * valid but does not see the new pages).
 */
export function heapF32(bytes: number): Float32Array {
  if (wasmKernels === null) throw new Error('WebAssembly kernels are not loaded: ' + wasmUnavailableReason);
  const memory = wasmKernels.memory;
  if (bytes > view.byteLength) {
    const have = memory.buffer.byteLength;
    if (bytes > have) {
      const pages = Math.ceil((bytes - have) / WASM_PAGE);
      if (have / WASM_PAGE + pages > MAXIMUM_PAGES) {
        throw new RangeError(`WebAssembly kernels need ${bytes} bytes of memory, more than the ${MAXIMUM_PAGES * WASM_PAGE} the module allows`);
      }
      memory.grow(pages);
    }
    view = new Float32Array(memory.buffer);
  }
  return view;
}

/** Rounds a byte offset up to a 64-byte (cache-line) boundary. */
export function alignUp(bytes: number): number {
  return (bytes + 63) & ~63;
}
