// The browser regression guard, run by scripts/build.js: bundles the core (src/index.ts) with
// `esbuild --platform=browser` into dist/browser/millefeuille.mjs, the one-file ES module a page can
// import. esbuild cannot resolve a `node:` module (or `fs`, `path` …) for the browser, so a change that
// makes the core reach Node fails the build here, naming the file and the import — not in a user's page.
// It also refuses a bundle that mentions Node's globals outside the guarded accessors of src/platform.ts.
//
//   node scripts/browser-guard.js [entry] [outfile]     (defaults: src/index.ts → dist/browser/millefeuille.mjs)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** Bundles `entry` for the browser into `outfile`; throws an Error whose message lists every problem. */
function buildBrowserBundle(entry = path.join(root, 'src', 'index.ts'), outfile = path.join(root, 'dist', 'browser', 'millefeuille.mjs')) {
  const esbuild = require(require.resolve('esbuild', { paths: [root] }));
  let result;
  try {
    result = esbuild.buildSync({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      sourcemap: true,
      metafile: true,
      absWorkingDir: root,
      logLevel: 'silent',
      banner: { js: '// millefeuille — the core as one ES module for browsers and Workers (built by scripts/browser-guard.js).' },
    });
  } catch (err) {
    const problems = (err.errors ?? []).map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
    throw new Error(
      `browser guard: the core (${path.relative(root, entry)}) does not bundle for the browser — it reaches Node:\n` +
        (problems.length ? problems.join('\n') : `  ${err.message}`) +
        '\nMove Node-only code to src/node.ts (millefeuille/node), or reach the host through src/platform.ts.',
    );
  }
  const text = fs.readFileSync(outfile, 'utf8');
  // `process.x` / `Buffer.` / `__dirname` outside platform.ts would throw in a page (esbuild does not shim them).
  const offenders = [];
  for (const input of Object.keys(result.metafile.inputs)) {
    if (input.endsWith('platform.ts') || input.endsWith('.generated.ts')) continue;
    const source = fs.readFileSync(path.resolve(root, input), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const pattern of [/\bprocess\.(env|pid|platform|version|emitWarning|stderr|stdout|argv|exit)\b/, /\bBuffer\.(from|alloc|concat)\b/, /\b__dirname\b/, /\bsetImmediate\(/]) {
      const match = pattern.exec(source);
      if (match) offenders.push(`  ${input}: ${match[0]}`);
    }
  }
  if (offenders.length > 0) {
    fs.rmSync(outfile, { force: true });
    throw new Error(
      'browser guard: the core uses Node globals a page does not have:\n' + offenders.join('\n') +
        '\nUse the guarded accessors of src/platform.ts (envVar, warn, yieldToEventLoop, base64Bytes).',
    );
  }
  return { outfile, bytes: text.length, inputs: Object.keys(result.metafile.inputs) };
}

module.exports = { buildBrowserBundle };

if (require.main === module) {
  try {
    const [entry, outfile] = process.argv.slice(2).map((p) => path.resolve(p));
    const { outfile: out, bytes } = buildBrowserBundle(entry, outfile);
    console.log(`browser bundle: ${path.relative(process.cwd(), out)} (${(bytes / 1024).toFixed(0)} KiB)`);
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
