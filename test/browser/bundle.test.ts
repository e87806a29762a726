/**
 * The browser regression guard (scripts/browser-guard.js, run by the build): the core bundles for the
 * browser with no Node module in it, and a core that reached Node — a `node:` import, a bare `fs`, or an
 * unguarded `process.env` — would fail the build with a message naming the file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildBrowserBundle } = require('../../scripts/browser-guard.js') as {
  buildBrowserBundle: (entry?: string, outfile?: string) => { outfile: string; bytes: number; inputs: string[] };
};

const ROOT = path.resolve(__dirname, '../..');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-guard-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the core bundles for the browser: no Node-only module among its inputs, no node: import in the output', () => {
  const { outfile, inputs } = buildBrowserBundle(path.join(ROOT, 'src', 'index.ts'), path.join(dir, 'core.mjs'));
  const nodeOnly = ['src/node.ts', 'src/net/serialize.ts', 'src/data/mnist.ts', 'src/data/idx.ts', 'src/report/write.ts', 'src/cli/'];
  expect(inputs.filter((i) => nodeOnly.some((n) => i.includes(n)))).toEqual([]);
  const text = fs.readFileSync(outfile, 'utf8');
  expect(text).not.toMatch(/^\s*import .* from ["']node:/m);
  expect(text).not.toMatch(/\brequire\(["'](node:)?(fs|path|crypto|zlib|os|worker_threads)["']\)\s*[;,)]/);
  // The wasm kernels travel inside the bundle.
  expect(text).toContain('KERNELS_WASM_BASE64');
});

test.each([
  ['a node: import', "import * as fs from 'node:fs';\nexport const size = fs.statSync('.').size;\n", /node:fs/],
  ['a bare Node module', "import * as path from 'path';\nexport const p = path.join('a', 'b');\n", /"path"/],
  ['an unguarded process.env', "export const mode = process.env.NODE_ENV;\n", /process\.env/],
])('a core that reaches Node through %s fails the guard, naming the file', (_what, source, expected) => {
  const entry = path.join(dir, 'bad-core.ts');
  fs.writeFileSync(entry, `export * from ${JSON.stringify(path.join(ROOT, 'src', 'index'))};\n${source}`);
  let message = '';
  try {
    buildBrowserBundle(entry, path.join(dir, 'bad.mjs'));
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toMatch(/^browser guard: /);
  expect(message).toMatch(expected);
  expect(message).toContain('bad-core.ts');
  expect(fs.existsSync(path.join(dir, 'bad.mjs'))).toBe(false);
});
