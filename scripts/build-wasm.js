// Compiles the AssemblyScript SIMD kernels (src/kernels/wasm/assembly/) to
// dist/src/kernels/wasm/kernels.wasm, where src/kernels/wasm/loader.ts looks for it (from dist/ next
// to itself, from src/ under jest via the repo's dist/). Called by scripts/build.js after tsc.
//
// Flags: plain SIMD128 (relaxed-SIMD FMA needs an engine flag on Node 20), the stub runtime (the
// kernels allocate nothing: the JS side owns the memory layout), no assertions, and an IMPORTED
// SHARED memory so that worker threads can instantiate the same module over the same memory.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** Largest memory the module may grow to, in 64 KiB pages (2 GiB: MNIST as tensors is 220 MB, a conv net's buffers a few hundred); the loader creates it with this maximum. */
const MAXIMUM_PAGES = 32768;

function buildWasm(root) {
  const entry = path.join(root, 'src', 'kernels', 'wasm', 'assembly', 'index.ts');
  if (!fs.existsSync(entry)) return;
  const outDir = path.join(root, 'dist', 'src', 'kernels', 'wasm');
  fs.mkdirSync(outDir, { recursive: true });
  compile(root, entry, path.join(outDir, 'kernels.wasm'), []);
  // The opt-in variant with fused multiply-adds (relaxed SIMD): the loader uses it only when asked
  // (NN_WASM_FMA=1) and the engine validates it (Node ≥ 22, or Node 20 with --experimental-wasm-relaxed-simd).
  compile(root, entry, path.join(outDir, 'kernels-fma.wasm'), ['--enable', 'relaxed-simd']);
}

function compile(root, entry, out, extraFlags) {
  // Written beside the target and renamed, so a test or bench loading the module never sees half a file.
  const tmp = `${out}.${process.pid}.tmp`;
  const asc = require.resolve('assemblyscript/bin/asc.js', { paths: [root] });
  try {
    execFileSync(process.execPath, [
      asc, entry, '--outFile', tmp,
      '--enable', 'simd', '--enable', 'threads', ...extraFlags,
      '-O3', '--runtime', 'stub', '--noAssert',
      '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', String(MAXIMUM_PAGES),
    ], { cwd: root, stdio: 'inherit' });
    fs.renameSync(tmp, out);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

module.exports = { buildWasm, MAXIMUM_PAGES };

if (require.main === module) buildWasm(path.resolve(__dirname, '..'));
