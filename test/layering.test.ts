/**
 * The import graph of src/ runs one way (ARCHITECTURE, "Layout"): the foundations (tensor, memory, random,
 * errors, options, platform) and the kernels never import a layer, a net, an optimizer or anything above;
 * layers never import net/ (weight initialisers are the layers' own, layers/init.ts); and tensor.ts loads no
 * kernel code at run time (its imports are types only), so a data type does not instantiate the wasm module.
 * Read from the sources' import statements, so a new upward arrow fails here by file and line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '..', 'src');

interface Import {
  file: string;
  line: number;
  target: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'assembly' ? [] : sourceFiles(full); // AssemblyScript, not TypeScript modules
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative import/export-from of a file, resolved to a path under src/ without extension. */
function importsOf(file: string): Import[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: Import[] = [];
  const pattern = /^(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.{1,2}\/[^']+)'|require\('(\.{1,2}\/[^']+)'\)/gm;
  for (const m of text.matchAll(pattern)) {
    const spec = m[3] ?? m[4];
    const line = text.slice(0, m.index).split('\n').length;
    const target = path.relative(SRC, path.resolve(path.dirname(file), spec)).replace(/\\/g, '/');
    found.push({ file: path.relative(SRC, file).replace(/\\/g, '/'), line, target, typeOnly: m[2] !== undefined });
  }
  return found;
}

const ALL = sourceFiles(SRC).flatMap(importsOf);
const FOUNDATIONS = ['tensor', 'memory', 'random', 'errors', 'options', 'platform'];
const ABOVE_KERNELS = ['layers/', 'losses/', 'net/', 'optimizers/', 'models/', 'data/', 'report/', 'cli/', 'demo/', 'onnx/', 'index', 'node'];

const inFolder = (target: string, folders: string[]) => folders.some((f) => (f.endsWith('/') ? target.startsWith(f) : target === f));
const describeImport = (i: Import) => `${i.file}:${i.line} imports ${i.target}`;

test('the reader finds the imports (else the rules below would pass on nothing)', () => {
  expect(ALL.some((i) => i.file === 'layers/affine.ts' && i.target === 'layers/init')).toBe(true);
  expect(ALL.some((i) => i.file === 'layers/conv2d.ts' && i.target === 'kernels/conv-geometry')).toBe(true);
});

test('the foundations and the kernels import nothing above them', () => {
  const upward = ALL.filter((i) => (inFolder(i.file.replace(/\.ts$/, ''), FOUNDATIONS) || i.file.startsWith('kernels/')) && inFolder(i.target, ABOVE_KERNELS));
  expect(upward.map(describeImport)).toEqual([]);
});

test('the foundations import no kernel code, except memory, which hands out the kernels\' memory', () => {
  const upward = ALL.filter((i) => inFolder(i.file.replace(/\.ts$/, ''), FOUNDATIONS) && i.file !== 'memory.ts' && i.target.startsWith('kernels/') && !i.typeOnly);
  expect(upward.map(describeImport)).toEqual([]);
});

test('tensor.ts has no run-time import: a data type loads no kernels', () => {
  expect(ALL.filter((i) => i.file === 'tensor.ts' && !i.typeOnly).map(describeImport)).toEqual([]);
});

test('layers and losses never import net/ (the net is built from them, not the other way)', () => {
  const upward = ALL.filter((i) => (i.file.startsWith('layers/') || i.file.startsWith('losses/')) && i.target.startsWith('net/'));
  expect(upward.map(describeImport)).toEqual([]);
});

test('weight initialisers are imported only by layers (and re-exported by the package entry)', () => {
  const users = ALL.filter((i) => i.target === 'layers/init' && !i.file.startsWith('layers/') && i.file !== 'index.ts');
  expect(users.map(describeImport)).toEqual([]);
});
