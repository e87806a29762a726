// Builds the demo site `nn demo` serves into dist/demo/, a directory of plain files that any static web
// host can serve too:
//   index.html, demo.css        copied from src/demo/site/
//   model/model.json, weights.bin   the built-in model (src/demo/site/model/, made by `npm run demo-model`)
//   main.js, train-worker.js    the page's code (src/demo/page/), bundled by esbuild for the browser
//   millefeuille.mjs            the library's browser bundle; the page's code imports it rather than
//                               bundling it, so the page and its Worker share one file
// Called by scripts/build.js after tsc and the wasm kernels.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function buildDemo(root) {
  const source = path.join(root, 'src', 'demo');
  if (!fs.existsSync(path.join(source, 'site', 'index.html'))) return;
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
  }).then(() => buildLibrary(root, esbuild, path.join(out, 'millefeuille.mjs')));
}

/** The library's browser bundle: the one the package builds, or an esbuild of the core entry. */
function buildLibrary(root, esbuild, target) {
  const built = path.join(root, 'dist', 'browser', 'millefeuille.mjs');
  if (fs.existsSync(built)) {
    fs.copyFileSync(built, target);
    return;
  }
  const bundle = esbuild.build({
    entryPoints: [path.join(root, 'src', 'index.ts')],
    outfile: target,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    ...(process.env.NN_DEMO_STUB_NODE ? {
      plugins: [stubNode()],
      define: { __dirname: '"/"' },
      banner: { js: 'globalThis.setImmediate ??= (f) => setTimeout(f, 0); globalThis.process ??= { env: {} };' },
    } : {}),
  });
  // Until the core imports nothing from Node (issue 11), this bundle cannot be built: the page then lacks its
  // library, which the build says in one line rather than failing every install.
  return bundle.catch((error) => {
    const first = error.errors?.[0];
    console.warn(`build: dist/demo/millefeuille.mjs not built, the demo page cannot run yet (${first ? `${first.location?.file ?? ''}: ${first.text}` : error.message})`);
  });
}

/**
 * DEVELOPMENT ONLY (NN_DEMO_STUB_NODE=1): replaces Node modules with empty ones, to try the page before the
 * core is free of Node imports. Never used by `npm run build`.
 */
function stubNode() {
  return {
    name: 'stub-node',
    setup(build) {
      build.onResolve({ filter: /^(node:)?(fs|path|crypto|zlib|os|worker_threads|url|child_process|http|https|perf_hooks)$/ }, (args) => ({ path: args.path, namespace: 'stub' }));
      const names = ['arch', 'availableParallelism', 'basename', 'cpus', 'createHash', 'createReadStream', 'dirname', 'existsSync', 'extname', 'gunzipSync', 'homedir', 'isAbsolute', 'join', 'mkdirSync', 'randomBytes', 'readFileSync', 'readdirSync', 'realpathSync', 'relative', 'release', 'renameSync', 'resolve', 'rmSync', 'stat', 'statSync', 'totalmem', 'type', 'writeFileSync', 'Worker', 'isMainThread', 'parentPort', 'workerData', 'performance'];
      build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: `module.exports = { ${names.map((n) => `${n}: () => undefined`).join(', ')}, sep: '/' };`, loader: 'js' }));
    },
  };
}

module.exports = { buildDemo };
