#!/usr/bin/env node
// Build step run by `npm run build` and by `prepare` (so `npm install` on a fresh clone builds):
// 1. compile the AssemblyScript SIMD kernels to dist/src/kernels/wasm/*.wasm (if the sources exist);
// 2. compile the TypeScript sources to dist/ (CommonJS);
// 3. build the demo site into dist/demo (scripts/build-demo.js).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const run = (cmd, args) => execFileSync(process.execPath, [require.resolve(cmd, { paths: [root] }), ...args], { cwd: root, stdio: 'inherit' });

run('typescript/bin/tsc', ['-p', 'tsconfig.build.json']);

const wasmBuild = path.join(root, 'scripts', 'build-wasm.js');
if (fs.existsSync(wasmBuild)) require(wasmBuild).buildWasm(root);

const demoBuild = path.join(root, 'scripts', 'build-demo.js');
if (fs.existsSync(demoBuild)) {
  Promise.resolve(require(demoBuild).buildDemo(root)).catch((error) => {
    console.error(`build: the demo site failed to build: ${error.message}`);
    process.exitCode = 1;
  });
}
