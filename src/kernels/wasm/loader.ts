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
import { base64Bytes, envVar, isNode, nodeBuiltin, warn } from '../../platform';

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
  gemmAbt(
    a: number, lda: number, b: number, ldb: number, c: number, n: number, k: number,
    i0: number, i1: number, j0: number, j1: number, accumulate: number, ws: number,
  ): void;
  convForwardProduct(
    w: number, x: number, y: number, bias: number, filters: number,
    channels: number, height: number, width: number, kernelH: number, kernelW: number, strideH: number, strideW: number,
    padTop: number, padLeft: number, outH: number, outW: number, n0: number, n1: number, ws: number,
  ): void;
  convInputGradient(
    w: number, dy: number, dx: number, filters: number,
    channels: number, height: number, width: number, kernelH: number, kernelW: number, strideH: number, strideW: number,
    padTop: number, padLeft: number, outH: number, outW: number, n0: number, n1: number, ws: number,
  ): void;
  convInputGradientFloats(k: number, filters: number, plane: number): number;
  convInputGradientTakes(
    filters: number, channels: number, kernelH: number, kernelW: number, strideH: number, strideW: number, outH: number, outW: number,
  ): number;
  convWeightGradient(
    dy: number, x: number, dw: number, biasGrad: number, filters: number,
    channels: number, height: number, width: number, kernelH: number, kernelW: number, strideH: number, strideW: number,
    padTop: number, padLeft: number, outH: number, outW: number, batch: number, i0: number, i1: number, j0: number, j1: number,
    path: number, ws: number, patches: number,
  ): void;
  convWeightGradientFits(
    filters: number, channels: number, kernelH: number, kernelW: number, strideH: number, strideW: number, outH: number, outW: number, path: number,
  ): number;
  convWeightGradientPatchFloats(): number;
  convWeightGradientSparse(
    dy: number, x: number, dw: number, biasGrad: number, filters: number,
    channels: number, height: number, width: number, kernelH: number, kernelW: number, strideH: number, strideW: number,
    padTop: number, padLeft: number, outH: number, outW: number, batch: number, i0: number, i1: number, ws: number, patches: number,
  ): void;
  sparseWeightGradientFits(
    filters: number, channels: number, kernelH: number, kernelW: number, strideH: number, strideW: number, outH: number, outW: number,
  ): number;
  countNonzeroRows(p: number, rows: number, length: number, step: number): number;
  allFinite(p: number, n: number): number;
}

export interface WasmKernels {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly exports: KernelExports;
  /** Which build was loaded: 'kernels-fma.wasm' (relaxed SIMD, fused multiply-add: the default where the engine has it) or 'kernels.wasm'. */
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

/**
 * The smallest relaxed-SIMD module (one function returning f32x4.relaxed_madd of three zero vectors):
 * validates only if the engine has relaxed SIMD, i.e. the FMA build can load.
 */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  253, 12, ...new Array<number>(16).fill(0), 253, 12, ...new Array<number>(16).fill(0), 253, 12, ...new Array<number>(16).fill(0),
  253, 133, 2, 11,
]);

/** How the build was chosen: what `wasmStatus().fma` reports. */
export interface FmaChoice {
  /** True when the fused multiply-add build (kernels-fma.wasm) is the one loaded. */
  readonly used: boolean;
  /** Whether the engine validates relaxed SIMD (after enabling it on Node 20, see below). */
  readonly relaxedSimd: boolean;
  /** How the choice was made: 'auto' (the default), or pinned by NN_WASM_FMA=0|1. */
  readonly pinned: 'auto' | '0' | '1';
  /** One line saying why this build. */
  readonly reason: string;
}

/**
 * NN_WASM_FMA: '1' or '0' pins the build, anything else (unset) chooses automatically. In Node it is the
 * environment variable; in a page or a Worker, which have no environment, `globalThis.NN_WASM_FMA` set
 * before the library is imported (a classic <script> before the module, or before a dynamic import()).
 */
function fmaPin(): 'auto' | '0' | '1' {
  const fromGlobal = (globalThis as { NN_WASM_FMA?: unknown }).NN_WASM_FMA;
  const raw = envVar('NN_WASM_FMA') ?? (fromGlobal === undefined ? undefined : String(fromGlobal));
  if (raw === undefined || raw === '') return 'auto';
  if (raw === '0' || raw === '1') return raw;
  warn(`NN_WASM_FMA must be 0 or 1, got ${JSON.stringify(raw)}; choosing the build automatically`, 'NN_WASM_FMA');
  return 'auto';
}

/**
 * Whether relaxed SIMD validates. Node 22+ and current browsers have it; Node 20's V8 has it behind
 * --experimental-wasm-relaxed-simd, which V8 also accepts at run time: on Node (≥ 20.16, where the core can
 * reach node:v8 through process.getBuiltinModule without importing it) the flag is set here, once, before
 * the modules are compiled — so `nn` and library users get the FMA build without a command-line flag.
 * Not attempted when NN_WASM_FMA=0 pins the plain build.
 */
function relaxedSimdAvailable(allowFlag: boolean): boolean {
  if (WebAssembly.validate(RELAXED_SIMD_PROBE)) return true;
  if (!allowFlag || !isNode()) return false;
  const v8 = nodeBuiltin<{ setFlagsFromString?: (flags: string) => void }>('v8');
  if (typeof v8?.setFlagsFromString !== 'function') return false;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}

function chooseFma(): FmaChoice {
  const pinned = fmaPin();
  if (pinned === '0') return { used: false, relaxedSimd: WebAssembly.validate(RELAXED_SIMD_PROBE), pinned, reason: 'NN_WASM_FMA=0 pins the plain SIMD128 build' };
  const relaxedSimd = relaxedSimdAvailable(true);
  if (relaxedSimd) {
    return { used: true, relaxedSimd, pinned, reason: pinned === '1' ? 'NN_WASM_FMA=1 pins the fused multiply-add build' : 'the engine has relaxed SIMD: fused multiply-add build' };
  }
  if (pinned === '1') warn('NN_WASM_FMA=1 asks for the fused multiply-add build, but this engine has no relaxed SIMD; using the plain SIMD128 build', 'NN_WASM_FMA');
  return { used: false, relaxedSimd, pinned, reason: 'the engine has no relaxed SIMD: plain SIMD128 build' };
}

function load(): { kernels: WasmKernels | null; reason: string | null; fma: FmaChoice | null } {
  if (typeof WebAssembly !== 'object') return { kernels: null, reason: 'WebAssembly is not available', fma: null };
  if (!WebAssembly.validate(SIMD_PROBE)) return { kernels: null, reason: 'WebAssembly SIMD is not available', fma: null };
  const inlined = generated();
  if (inlined === null) {
    return { kernels: null, reason: 'the wasm kernels were not built (src/kernels/wasm/wasm-bytes.generated.ts is missing); run npm run build', fma: null };
  }
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: 1, maximum: MAXIMUM_PAGES, shared: true });
  } catch (err) {
    return { kernels: null, reason: `this engine cannot create a shared WebAssembly memory (${(err as Error).message})`, fma: null };
  }
  // The build with fused multiply-adds (relaxed SIMD) by default when the engine has it; the two builds
  // differ in the last bits of every product (one rounding per multiply-add instead of two), so a process
  // uses one build throughout: the choice is made once, here.
  let fma = chooseFma();
  let file = fma.used ? 'kernels-fma.wasm' : 'kernels.wasm';
  try {
    let bytes = base64Bytes(fma.used ? inlined.KERNELS_FMA_WASM_BASE64 : inlined.KERNELS_WASM_BASE64);
    if (fma.used && !WebAssembly.validate(bytes)) {
      fma = { ...fma, used: false, reason: 'kernels-fma.wasm does not validate on this engine: plain SIMD128 build' };
      file = 'kernels.wasm';
      bytes = base64Bytes(inlined.KERNELS_WASM_BASE64);
    }
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return { kernels: { module, memory, exports: instance.exports as unknown as KernelExports, file }, reason: null, fma };
  } catch (err) {
    return { kernels: null, reason: `${file} failed to load: ${(err as Error).message}`, fma: null };
  }
}

const loaded = load();

/** The loaded kernels, or null (then `wasmUnavailableReason` says why). */
export const wasmKernels: WasmKernels | null = loaded.kernels;
export const wasmUnavailableReason: string | null = loaded.reason;
/** Which build was chosen and why (null when the kernels did not load). */
export const wasmFmaChoice: FmaChoice | null = loaded.fma;

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
