/**
 * The package as a user installs it: `npm pack` (what `files` ships), unpacked into a fresh project's
 * node_modules, then both entry points used the four ways a user reaches them — `require` and `import` of
 * `millefeuille` and `millefeuille/node`, the one-file browser bundle `millefeuille/browser`, and TypeScript
 * finding the types of both with the old (node10) and the new (nodenext) module resolution.
 * Needs the build (`npm run build`; `npm ci` runs it), and refuses a dist/ older than src/ (scripts/test-build.js).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const { compiledStaleness } = require('../scripts/test-build.js') as { compiledStaleness: (root: string) => string | undefined };
let app: string;
let files: string[];

function node(args: string[], cwd = app): string {
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

beforeAll(() => {
  for (const built of ['dist/src/index.js', 'dist/src/node.js', 'dist/esm/index.mjs', 'dist/esm/node.mjs', 'dist/browser/millefeuille.mjs']) {
    if (!fs.existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` before the package test`);
  }
  // Never test a stale dist/: jest's global setup refreshes the bundle and the demo, but not tsc's output.
  const stale = compiledStaleness(ROOT);
  if (stale !== undefined) throw new Error(`dist/ is stale (${stale}): run \`npm run build\` before the package test`);
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-package-'));
  // --ignore-scripts: the build has run; `prepare` would run it again.
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', app], { cwd: ROOT, encoding: 'utf8' }));
  files = packed[0].files.map((f: { path: string }) => f.path);
  const target = path.join(app, 'node_modules', 'millefeuille');
  fs.mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(app, packed[0].filename), '-C', target, '--strip-components=1']);
  for (const dependency of ['commander', 'protobufjs', 'long']) {
    fs.symlinkSync(path.join(ROOT, 'node_modules', dependency), path.join(app, 'node_modules', dependency));
  }
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
}, 120_000);

afterAll(() => {
  if (app) fs.rmSync(app, { recursive: true, force: true });
});

test('the tarball holds every file the exports map points to, and no sources or tests', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const targets: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === 'string') targets.push(v.replace(/^\.\//, ''));
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  collect(manifest.exports);
  expect(targets.length).toBeGreaterThanOrEqual(8);
  for (const t of targets) expect(files).toContain(t);
  for (const t of Object.values(manifest.typesVersions['*']).flat() as string[]) expect(files).toContain(t);
  expect(files).toContain('bin/nn');
  expect(files.filter((f) => /^(src|test|scripts)\//.test(f))).toEqual([]);
  expect(files.filter((f) => f.endsWith('.generated.ts'))).toEqual([]);
});

test('the tarball ships what a user needs: no benchmarks, and no source map pointing at a file it does not ship', () => {
  expect(files.filter((f) => f.startsWith('dist/bench/'))).toEqual([]);
  expect(files.filter((f) => /^dist\/(test|scripts)\//.test(f))).toEqual([]);
  const target = path.join(app, 'node_modules', 'millefeuille');
  const maps = files.filter((f) => f.endsWith('.map'));
  expect(maps.length).toBeGreaterThan(0);
  const missing: string[] = [];
  for (const map of maps) {
    const { sources, sourcesContent } = JSON.parse(fs.readFileSync(path.join(target, map), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
    sources.forEach((source, i) => {
      // A source is usable when its text is inside the map, or the file it names is in the package.
      const shipped = files.includes(path.posix.normalize(path.posix.join(path.posix.dirname(map), source)));
      if (typeof sourcesContent?.[i] !== 'string' && !shipped) missing.push(`${map} → ${source}`);
    });
  }
  expect(missing).toEqual([]);
  // Every sourceMappingURL comment names a map that is shipped.
  for (const file of files.filter((f) => /\.(m?js)$/.test(f))) {
    const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(fs.readFileSync(path.join(target, file), 'utf8'))?.[1];
    if (url !== undefined && !url.startsWith('data:')) expect(files).toContain(path.posix.join(path.posix.dirname(file), url));
  }
});

test('require and import of both entries work, and import gives one core shared by both', () => {
  const out = node(['-e', `
    const core = require('millefeuille');
    const withNode = require('millefeuille/node');
    (async () => {
      const esm = await import('millefeuille');
      const esmNode = await import('millefeuille/node');
      const browser = await import('millefeuille/browser');
      const net = new esm.Sequential([new esm.Affine({ units: 2 })], { inputShape: [3], seed: 1 });
      console.log(JSON.stringify({
        cjs: [typeof core.Sequential, typeof core.save, typeof withNode.save, typeof withNode.loadMnist, core.Sequential === withNode.Sequential],
        esm: [typeof esm.Sequential, typeof esm.save, typeof esmNode.save, esm.Sequential === esmNode.Sequential, esm.layerKinds().length === esmNode.layerKinds().length],
        browser: [typeof browser.Sequential, typeof browser.save, browser.wasmStatus().available],
        wasm: [core.wasmStatus().available, esm.wasmStatus().available],
        params: net.params().length,
      }));
    })().catch((e) => { console.error(e); process.exit(1); });
  `]);
  expect(JSON.parse(out)).toEqual({
    cjs: ['function', 'undefined', 'function', 'function', true],
    esm: ['function', 'undefined', 'function', true, true],
    browser: ['function', 'undefined', true],
    wasm: [true, true],
    params: 2,
  });
});

test('an ES module app saves with millefeuille/node and reloads the same weights; threads via worker_threads', () => {
  fs.writeFileSync(path.join(app, 'app.mjs'), `
    import { Sequential, Affine, ReLU, tensor, setThreads, threadsReady, threadStatus } from 'millefeuille';
    import { save, load } from 'millefeuille/node';
    const net = new Sequential([new Affine({ units: 4 }), new ReLU(), new Affine({ units: 2 })], { inputShape: [3], seed: 5 });
    save(net, 'model');
    const again = load('model').net;
    const x = tensor([1, 3], [0.5, -1, 2]);
    setThreads(2);
    await threadsReady();
    console.log(JSON.stringify({ same: Array.from(net.forward(x).data).join() === Array.from(again.forward(x).data).join(), threads: threadStatus().threads, host: threadStatus().host }));
    setThreads(1);
  `);
  expect(JSON.parse(node(['app.mjs']))).toEqual({ same: true, threads: 2, host: 'worker_threads' });
});

test('millefeuille/onnx: require and import give toOnnx/fromOnnx over the one core', () => {
  const out = node(['-e', `
    const core = require('millefeuille');
    const onnx = require('millefeuille/onnx');
    const net = new core.Sequential([new core.Affine({ units: 2 })], { inputShape: [3], seed: 1 });
    const back = onnx.fromOnnx(onnx.toOnnx(net));
    import('millefeuille/onnx').then(async (esm) => {
      const esmCore = await import('millefeuille');
      const again = esm.fromOnnx(esm.toOnnx(new esmCore.Sequential([new esmCore.Affine({ units: 2 })], { inputShape: [3], seed: 1 })));
      console.log(JSON.stringify({ cjs: back instanceof core.Sequential, esm: again instanceof esmCore.Sequential }));
    });
  `]);
  expect(JSON.parse(out)).toEqual({ cjs: true, esm: true });
});

test.each(['node10', 'nodenext'])('TypeScript (%s resolution) finds the types of both entries', (resolution) => {
  fs.writeFileSync(path.join(app, `types-${resolution}.ts`), `
    import { Sequential, Affine, tensor, type Tensor } from 'millefeuille';
    import { save, loadMnist } from 'millefeuille/node';
    import { toOnnx, fromOnnx, OnnxError } from 'millefeuille/onnx';
    const net: Sequential = new Sequential([new Affine({ units: 2 })], { inputShape: [3], seed: 1 });
    const out: Tensor = net.forward(tensor([1, 3]));
    const back: Sequential = fromOnnx(toOnnx(net, { opset: 13 }));
    export const used = [save, loadMnist, out, back, OnnxError];
  `);
  const options = resolution === 'node10'
    ? ['--module', 'commonjs', '--moduleResolution', 'node10', '--ignoreDeprecations', '6.0']
    : ['--module', 'nodenext', '--moduleResolution', 'nodenext'];
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  node([tsc, '--noEmit', '--strict', '--skipLibCheck', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), ...options, `types-${resolution}.ts`]);
});
