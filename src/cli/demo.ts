/**
 * `nn demo [DIR]` (alias `nn serve`): serves the demo page on 127.0.0.1 and prints its address. The page
 * classifies digits drawn with a mouse or a finger (with the built-in model, or the model directory DIR),
 * and trains a SimpleConvNet in the browser on the MNIST files found where `nn train` reads them.
 * Runs until Ctrl-C.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { MNIST_FILES, findMnistFile, mnistDir } from '../data/mnist';
import { DemoServerError, startDemoServer, type DemoServer } from '../demo/server';
import { CliError } from './errors';
import { loadMnistModel } from './model-dir';
import { nonNegativeInt } from './options';
import { formatPercent } from './progress';

export interface DemoFlags {
  port?: number;
  dataDir?: string;
  isolation: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .alias('serve')
    .description('serve the demo page on 127.0.0.1: draw a digit and see it classified, train a network in the browser')
    .argument('[dir]', 'a model directory written by nn train (default: the built-in model)')
    .option('-p, --port <n>', 'the port on 127.0.0.1 (default: 8377, or the next free one; 0: any free port)', port)
    .option('--data-dir <dir>', 'MNIST for in-page training (default: $NN_DATA_DIR, else the per-user cache nn train downloads to)')
    .option('--no-isolation', 'leave out the cross-origin-isolation headers (the page then trains on one thread)')
    .addHelpText('after', `
The page works offline and can also be hosted as plain files (the directory is printed at start);
threads need the headers Cross-Origin-Opener-Policy: same-origin and
Cross-Origin-Embedder-Policy: require-corp. See docs/demo.md.

Examples:
  nn demo                   the built-in model (trained by: npm run demo-model)
  nn demo mnist-best        your own model
  nn demo --port 0          any free port`)
    .action(async (dir: string | undefined, flags: DemoFlags) => {
      await runDemo(dir, flags);
    });
}

function port(value: string): number {
  const n = nonNegativeInt(value);
  if (n > 65535) throw new InvalidArgumentError('Expected a port number 0–65535.');
  return n;
}

/** Where the built site lives: dist/demo (next to dist/src when running from dist, or the repo's dist). */
export function demoSiteDir(): string | undefined {
  const candidates = [path.resolve(__dirname, '../../demo'), path.resolve(__dirname, '../../dist/demo')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
}

export async function runDemo(dir: string | undefined, flags: DemoFlags): Promise<void> {
  const siteDir = demoSiteDir();
  if (siteDir === undefined) throw new CliError('the demo page is not built: run "npm run build" in the millefeuille package');
  let modelDir: string;
  let modelLine: string;
  if (dir !== undefined) {
    // The same checks as nn eval/predict: a readable model that maps 28×28 pixels to 10 classes.
    const model = loadMnistModel(dir);
    modelDir = path.resolve(dir);
    modelLine = describeModel(dir, model.mnist?.model, model.mnist?.testAccuracy);
  } else {
    modelDir = path.join(siteDir, 'model');
    if (!fs.existsSync(path.join(modelDir, 'model.json'))) throw new CliError(`the built-in model is missing from ${modelDir}: run "npm run build"`);
    const metadata = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8')).metadata ?? {};
    modelLine = describeModel('built in', metadata.model, metadata.testAccuracy);
  }
  const dataDir = mnistDir({ dataDir: flags.dataDir });
  const missing = Object.values(MNIST_FILES).filter((f) => findMnistFile(dataDir, f.name) === undefined).map((f) => f.name);

  let server: DemoServer;
  try {
    server = await startDemoServer({ siteDir, modelDir, dataDir, isolated: flags.isolation, port: flags.port });
  } catch (e) {
    if (e instanceof DemoServerError) throw new CliError(e.message);
    throw e;
  }
  const lines = [
    `nn demo: ${server.url}`,
    `model: ${modelLine}`,
    missing.length === 0
      ? `training data: ${dataDir}`
      : `training data: MNIST is not in ${dataDir} (missing ${missing.join(', ')}); the drawing pad works, in-page training needs it: run "nn train mnist" once (it downloads MNIST) or pass --data-dir`,
    flags.isolation ? 'cross-origin isolated: in-page training uses threads' : 'not cross-origin isolated (--no-isolation): in-page training uses one thread',
    `site: ${siteDir} (plain files; see docs/demo.md to host them elsewhere)`,
    'press Ctrl-C to stop',
  ];
  // Listen for Ctrl-C before saying it works: a script may send it as soon as it reads the banner.
  const stopped = untilSignal();
  process.stdout.write(`${lines.join('\n')}\n`);
  await stopped;
  await server.close();
}

function describeModel(where: string, name: unknown, accuracy: unknown): string {
  const parts = [where];
  if (typeof name === 'string') parts.push(`"${name}"`);
  if (typeof accuracy === 'number') parts.push(`test accuracy ${formatPercent(accuracy)}`);
  return parts.join(', ');
}

/** Resolves on Ctrl-C (SIGINT) or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
