// jest's global setup, so that no test checks stale code:
// 1. the inlined wasm kernels (src/kernels/wasm/wasm-bytes.generated.ts, not committed) exist and match the
//    kernel sources, so that `npx jest` in a fresh clone or worktree tests the wasm kernels rather than
//    silently falling back to the TypeScript ones;
// 2. what the tests run that is built — the `nn` command they spawn, the browser bundle, the demo site — is
//    rebuilt from src/ when a source is newer (scripts/test-build.js; a few seconds with esbuild).
// Each step is a no-op when its outputs are fresh.
'use strict';
const path = require('node:path');

module.exports = async function globalSetup() {
  const wasm = require('./build-wasm.js');
  const root = path.resolve(__dirname, '..');
  if (wasm.isStale(root)) {
    process.stderr.write('\njest: compiling the wasm kernels (src/kernels/wasm/wasm-bytes.generated.ts is missing or stale)\n');
    wasm.buildWasm(root);
  }
  const started = Date.now();
  if (await require('./test-build.js').buildForTests(root)) {
    process.stderr.write(`\njest: rebuilt the nn command, the browser bundle and the demo site from src/ (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  }
};
