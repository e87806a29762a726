/**
 * The README's report example runs as written (only the output path is moved into a temporary directory):
 * real MNIST, a real fit, a real page.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { DEAD_MIRROR, SHARED_MNIST } from '../cli/run-nn';

function example(): string {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const match = /<!-- report-example -->\s*```ts\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README.md has no ```ts block after <!-- report-example -->');
  return match[1];
}

test('the README report example writes a page with the curves, the evaluation and the digits', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nn-report-example-'));
  const saved = { data: process.env.NN_DATA_DIR, mirrors: process.env.NN_MNIST_MIRRORS };
  process.env.NN_DATA_DIR = saved.data || SHARED_MNIST;
  process.env.NN_MNIST_MIRRORS = DEAD_MIRROR;
  try {
    const source = example();
    expect(source).toContain("writeReport('report.html'");
    const file = path.join(dir, 'report.html');
    const js = ts.transpileModule(source.replace("'report.html'", JSON.stringify(file)), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const requireLibrary = (name: string) => {
      if (name !== 'millefeuille/node') throw new Error(`the example imports ${name}`);
      return require('../../src/node');
    };
    // Top-level await, as an ES module would run it.
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
    await new AsyncFunction('require', 'exports', js)(requireLibrary, {});
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toContain('<title>My MLP</title>');
    expect((html.match(/<svg [^>]*class="chart line-chart"/g) ?? []).length).toBe(4);
    expect((html.match(/<g class="cell"/g) ?? []).length).toBe(100);
    expect((html.match(/<figure class="digit"/g) ?? []).length).toBe(32);
    expect(html).toMatch(/Accuracy <strong>\d\d\.\d\d %<\/strong>: [\d,]+ of 1,000 right/);
  } finally {
    process.env.NN_DATA_DIR = saved.data;
    if (saved.data === undefined) delete process.env.NN_DATA_DIR;
    process.env.NN_MNIST_MIRRORS = saved.mirrors;
    if (saved.mirrors === undefined) delete process.env.NN_MNIST_MIRRORS;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
