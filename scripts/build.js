#!/usr/bin/env node
// Build step run by `npm run build` and by `prepare` (so `npm install`/`npm ci` on a fresh clone builds):
// 1. compile the AssemblyScript SIMD kernels and inline them in src/kernels/wasm/wasm-bytes.generated.ts
//    (only when a kernel source changed since the last build; `--force` always recompiles);
// 2. compile the TypeScript sources to dist/src (CommonJS + .d.ts: `require('millefeuille')`, the CLI, bench);
// 3. bundle the two entry points as ES modules into dist/esm (index.mjs, node.mjs and the chunk they share,
//    so importing both gives one copy of the core: one layer registry, one wasm memory);
// 4. bundle the core for the browser into dist/browser/millefeuille.mjs — the regression guard: a `node:`
//    import reachable from src/index.ts fails the build (scripts/browser-guard.js);
// 5. build the demo site `nn demo` serves into dist/demo (scripts/build-demo.js), with that bundle.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const run = (cmd, args) => execFileSync(process.execPath, [require.resolve(cmd, { paths: [root] }), ...args], { cwd: root, stdio: 'inherit' });

/** Entry points of the ES module build: the subpath in package.json "exports" → the source. Add one line per entry. */
const ESM_ENTRIES = { index: 'src/index.ts', node: 'src/node.ts', onnx: 'src/onnx/index.ts' };

/**
 * tsc never deletes: a compiled file whose source was moved or removed would stay in dist, be packed by
 * `npm pack` and be found by a stale require. Remove every dist/<dir>/… .js/.d.ts (and their maps) whose
 * <dir>/… .ts no longer exists; the kernels' .wasm files are not compiled from .ts and stay.
 */
function pruneStale(dirs) {
  const compiled = /\.(js|d\.ts|js\.map|d\.ts\.map)$/;
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) { walk(file); continue; }
      if (!compiled.test(entry.name)) continue;
      const source = path.join(root, path.relative(path.join(root, 'dist'), file)).replace(compiled, '.ts');
      if (!fs.existsSync(source)) fs.rmSync(file);
    }
  };
  for (const dir of dirs) walk(path.join(root, 'dist', dir));
}

function main() {
  const wasm = require('./build-wasm.js');
  const builtWasm = ['kernels.wasm', 'kernels-fma.wasm'].every((f) => fs.existsSync(path.join(root, 'dist', 'src', 'kernels', 'wasm', f)));
  if (process.argv.includes('--force') || !builtWasm || wasm.isStale(root)) wasm.buildWasm(root);

  run('typescript/bin/tsc', ['-p', 'tsconfig.build.json']);
  pruneStale(['src', 'bench']);

  const esbuild = require(require.resolve('esbuild', { paths: [root] }));
  fs.rmSync(path.join(root, 'dist', 'esm'), { recursive: true, force: true });
  esbuild.buildSync({
    entryPoints: Object.entries(ESM_ENTRIES).map(([out, src]) => ({ in: path.join(root, src), out })),
    outdir: path.join(root, 'dist', 'esm'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    sourcemap: true,
    packages: 'external',
    logLevel: 'warning',
  });

  try {
    const { outfile, bytes } = require('./browser-guard.js').buildBrowserBundle();
    console.log(`browser bundle: ${path.relative(root, outfile)} (${(bytes / 1024).toFixed(0)} KiB)`);
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }

  require('./build-demo.js').buildDemo(root).catch((err) => {
    console.error(`build: the demo site did not build: ${err.message}`);
    process.exitCode = 1;
  });
}

main();
