// The README's library example must run exactly as written: extract it, compile it, run it against
// the sources, and check what it prints.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

function readmeExample(): string {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const match = /<!-- example -->\s*```ts\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README.md has no ```ts block after <!-- example -->');
  return match[1];
}

test('the README example trains XOR and verifies its gradients, as written', async () => {
  const source = readmeExample();
  expect(source.split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(16);
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const lines: string[] = [];
  const done = new Promise<void>((resolve) => {
    const fakeConsole = {
      log: (...args: unknown[]) => {
        lines.push(args.map(String).join(' '));
        if (/gradients verified|gradCheck/.test(lines[lines.length - 1]) || lines.length > 50) resolve();
      },
    };
    const requireLibrary = (name: string) => {
      if (name !== 'millefeuille') throw new Error(`the README example imports ${name}`);
      return require('../src');
    };
    new Function('require', 'console', 'exports', js)(requireLibrary, fakeConsole, {});
  });
  await done;
  const output = lines.join('\n');
  expect(output).toContain('total parameters: 42');
  expect(output).toContain('training accuracy 1');
  expect(output).toMatch(/gradients verified, worst error \d\.\de-\d+/);
});
