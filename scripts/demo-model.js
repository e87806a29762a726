#!/usr/bin/env node
// `npm run demo-model`: remakes the demo's built-in model, src/demo/site/model/, from scratch:
//
//   1. nn train mnist --model best --seed 1 --no-report --out <temporary directory>
//      (the best model's own recipe: 10 epochs, Adam lr 3e-3, cosine, ±2 px shifts; the same seed gives the
//      same weights bit for bit, whatever the thread count);
//   2. keeps only what the page needs: model.json and weights.bin with nn train's metadata (the input
//      normalisation, the recipe, the test accuracy), without the optimizer's state or the training
//      position, which would triple the size. The weights are ~0.86 MB.
//
// MNIST is read where nn train reads it (--data-dir, NN_DATA_DIR, the per-user cache). Options:
//   --from DIR   skip step 1 and take an already trained model directory
//   any other argument is passed to nn train (e.g. --data-dir DIR, --threads 1)
// Needs the build (npm run build). Takes about five minutes on two cores.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'src', 'demo', 'site', 'model');
const dist = path.join(root, 'dist', 'src');
if (!fs.existsSync(path.join(dist, 'node.js'))) {
  console.error('demo-model: dist/ is missing; run "npm run build" first');
  process.exit(1);
}
const { load, serializeModel } = require(path.join(dist, 'node.js'));

const args = process.argv.slice(2);
const fromAt = args.indexOf('--from');
let trained;
let tmp;
if (fromAt >= 0) {
  trained = path.resolve(args[fromAt + 1] ?? '');
} else {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-model-'));
  trained = path.join(tmp, 'mnist-best');
  const command = ['train', 'mnist', '--model', 'best', '--seed', '1', '--no-report', '--out', trained, ...args];
  console.log(`nn ${command.join(' ')}`);
  const run = spawnSync(process.execPath, [path.join(root, 'bin', 'nn'), ...command], { stdio: 'inherit' });
  if (run.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    process.exit(run.status ?? 1);
  }
}

const model = load(trained);
if (model.metadata?.testAccuracy === undefined) {
  console.error(`demo-model: ${trained} holds no finished nn train run (no test accuracy in its metadata)`);
  process.exit(1);
}
fs.rmSync(target, { recursive: true, force: true });
// Under the plain name weights.bin (not save()'s content name): dist/demo is also hosted as static files, where
// the page fetches model/weights.bin. The manifest names the file, so load() reads it all the same.
const parts = serializeModel(model.net, { metadata: model.metadata });
fs.mkdirSync(target, { recursive: true });
fs.writeFileSync(path.join(target, 'weights.bin'), parts.weights);
fs.writeFileSync(path.join(target, 'model.json'), parts.json.replace(/"file": "weights-[0-9a-f]{16}\.bin"/, '"file": "weights.bin"'));
if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
const size = fs.statSync(path.join(target, 'weights.bin')).size;
console.log(`demo-model: wrote ${path.relative(root, target)} (weights ${(size / 1e6).toFixed(2)} MB, test accuracy ${(100 * model.metadata.testAccuracy).toFixed(2)} %)`);
