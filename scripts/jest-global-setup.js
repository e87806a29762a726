// jest's global setup: make sure the inlined wasm kernels (src/kernels/wasm/wasm-bytes.generated.ts, not
// committed) exist and match the kernel sources, so that `npx jest` in a fresh clone or worktree tests the
// wasm kernels rather than silently falling back to the TypeScript ones. A no-op when they are fresh.
'use strict';
const path = require('node:path');

module.exports = async function globalSetup() {
  const wasm = require('./build-wasm.js');
  const root = path.resolve(__dirname, '..');
  if (wasm.isStale(root)) {
    process.stderr.write('\njest: compiling the wasm kernels (src/kernels/wasm/wasm-bytes.generated.ts is missing or stale)\n');
    wasm.buildWasm(root);
  }
};
