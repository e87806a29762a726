// Builds the demo site `nn demo` serves into dist/demo/, a directory of plain files that any static web
// host can serve too:
//   index.html, demo.css        copied from src/demo/site/
//   model/model.json, weights.bin   the built-in model (src/demo/site/model/, made by `npm run demo-model`)
//   main.js, train-worker.js    the page's code (src/demo/page/), bundled by esbuild for the browser
//   millefeuille.mjs            the library's browser bundle; the page's code imports it rather than
//                               bundling it, so the page and its Worker share one file
// Called by scripts/build.js after the browser bundle (scripts/browser-guard.js).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function buildDemo(root) {
  const source = path.join(root, 'src', 'demo');
  const out = path.join(root, 'dist', 'demo');
  fs.rmSync(out, { recursive: true, force: true });
  fs.cpSync(path.join(source, 'site'), out, { recursive: true });

  const esbuild = require(require.resolve('esbuild', { paths: [root] }));
  const libraryEntry = path.join(root, 'src', 'index.ts');
  // The page imports the library through src/demo/page/lib.ts; the bundle keeps that import as
  // './millefeuille.mjs' (resolved next to the importing script) instead of inlining the library.
  const libraryAsFile = {
    name: 'library-as-file',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/\.\.\/index$/ }, (args) =>
        path.resolve(args.resolveDir, args.path) === libraryEntry.replace(/\.ts$/, '')
          ? { path: './millefeuille.mjs', external: true }
          : undefined);
    },
  };
  return esbuild.build({
    entryPoints: [path.join(source, 'page', 'main.ts'), path.join(source, 'page', 'train-worker.ts')],
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'warning',
    plugins: [libraryAsFile],
  }).then(() => copyLibrary(root, path.join(out, 'millefeuille.mjs')));
}

/** The library's browser bundle, built by scripts/browser-guard.js just before: the page's copy. */
function copyLibrary(root, target) {
  const built = path.join(root, 'dist', 'browser', 'millefeuille.mjs');
  if (!fs.existsSync(built)) throw new Error(`${path.relative(root, built)} is missing (scripts/browser-guard.js builds it)`);
  fs.copyFileSync(built, target);
  if (fs.existsSync(`${built}.map`)) fs.copyFileSync(`${built}.map`, `${target}.map`);
}

module.exports = { buildDemo };
