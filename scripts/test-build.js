// What the tests run that is built rather than imported, rebuilt from the sources by jest's global setup
// whenever a source is newer, so that no test checks stale code:
//   .test-build/cli/nn.js           the `nn` command, bundled from src/cli/main.ts (the CLI tests spawn it as a
//                                   user runs bin/nn; bin/nn itself runs dist/, which only `npm run build` refreshes)
//   dist/browser/millefeuille.mjs   the core for pages (scripts/browser-guard.js)
//   dist/demo/                      the site `nn demo` serves (scripts/build-demo.js)
// esbuild makes all three in a few seconds, where a TypeScript build of dist/ takes a minute on a busy 2-core
// machine. The CLI bundle sits at .test-build/cli/ so that its `../../dist/demo` and `../../package.json`
// resolve as they do from dist/src/cli/. The package test (test/package.test.ts) still tests dist/ as packed:
// it needs `npm run build`, and refuses a dist/ older than src/ (compiledStaleness, below).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const CLI = path.join('.test-build', 'cli', 'nn.js');

/** The newest modification time (ms) of a file under `dir`, recursively. */
function newest(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(file) : fs.statSync(file).mtimeMs);
  }
  return latest;
}

function isStale(root) {
  const outputs = [CLI, 'dist/browser/millefeuille.mjs', 'dist/demo/index.html'].map((f) => path.join(root, f));
  if (!outputs.every((f) => fs.existsSync(f))) return true;
  const built = Math.min(...outputs.map((f) => fs.statSync(f).mtimeMs));
  const inputs = Math.max(
    newest(path.join(root, 'src')),
    ...['scripts/test-build.js', 'scripts/browser-guard.js', 'scripts/build-demo.js', 'package.json'].map((f) => fs.statSync(path.join(root, f)).mtimeMs),
  );
  return inputs > built;
}

/** Rebuilds the three outputs when a source is newer than one of them; resolves to whether it did. */
async function buildForTests(root) {
  if (!isStale(root)) return false;
  const esbuild = require(require.resolve('esbuild', { paths: [root] }));
  const outfile = path.join(root, CLI);
  esbuild.buildSync({
    stdin: { contents: "require('./src/cli/main').main(process.argv);", resolveDir: root, sourcefile: 'nn-under-test.js', loader: 'js' },
    outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', sourcemap: 'inline', logLevel: 'warning',
  });
  require('./browser-guard.js').buildBrowserBundle();
  await require('./build-demo.js').buildDemo(root);
  return true;
}

/**
 * Why dist/src and dist/esm (what `npm pack` ships besides the bundle and the demo, which buildForTests keeps
 * fresh) are stale — a source newer than the oldest of them — or undefined when they are fresh. Only
 * `npm run build` (a minute of tsc) refreshes them; the package test refuses to pack a stale dist with this.
 */
function compiledStaleness(root) {
  const outputs = ['dist/src/index.js', 'dist/src/node.js', 'dist/src/onnx/index.js', 'dist/esm/index.mjs', 'dist/esm/node.mjs', 'dist/esm/onnx.mjs']
    .map((f) => path.join(root, f));
  const missing = outputs.filter((f) => !fs.existsSync(f));
  if (missing.length > 0) return `${path.relative(root, missing[0])} is missing`;
  const built = Math.min(...outputs.map((f) => fs.statSync(f).mtimeMs));
  const source = newest(path.join(root, 'src'));
  if (source > built) return `a file under src/ is newer than dist/ (built ${new Date(built).toISOString()})`;
  return undefined;
}

module.exports = { buildForTests, compiledStaleness, CLI };
