/**
 * Entry point of the `nn` command line (bin/nn is a thin shim to this file): one commander program,
 * one file per command. Every failure ends here as ONE line on stderr and a non-zero exit code.
 */
import { Command, CommanderError } from 'commander';
import { registerDatasets } from './datasets';
import { registerDemo } from './demo';
import { registerEval } from './eval';
import { registerOnnx } from './onnx';
import { CliError, reportError } from './errors';
import { registerPredict } from './predict';
import { registerSummary } from './summary';
import { registerTrain } from './train';
// Kernel threads over worker_threads on every supported Node (--threads).
import '../kernels/wasm/node-threads';

/** The `nn` program with its commands. Settings made here are inherited by every command. */
export function buildProgram(): Command {
  const program = new Command('nn');
  program
    .description('millefeuille: train, evaluate and use layer-separated neural networks (MNIST, Fashion-MNIST, KMNIST built in; or your own CSV/IDX data)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .showSuggestionAfterError(true)
    // commander's own messages ("error: unknown option '--foo'") get the same "nn: " prefix as ours, on one
    // line (a suggestion such as "(Did you mean --epochs?)" comes on a line of its own otherwise).
    .configureOutput({ outputError: (text, write) => write(`${text.replace(/^error: /, 'nn: ').trim().replace(/\s*\n\s*/g, ' ')}\n`) })
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false })
    .addHelpText('after', `
Examples:
  nn train mnist                         train the best model (downloads MNIST if needed)
  nn train mnist --model mlp --epochs 5  a quick multi-layer perceptron
  nn eval mnist-best mnist               test accuracy and confusion matrix of a saved model
  nn predict mnist-best digit.pgm        classify a 28×28 PGM image (or an IDX image file)
  nn summary mnist-best                  layers, shapes and parameter counts
  nn export mnist-best model.onnx        the model as ONNX (takes pixels/255, like nn predict)
  nn import model.onnx my-model          an ONNX model as a model directory (then nn eval my-model mnist)
  nn train fashion-mnist --model cnn     another dataset by name (nn datasets lists them)
  nn train --data data.csv --label-column species --model spec.json   your CSV, your layers
  nn demo                                a page to draw digits on and train in the browser

Run "nn <command> --help" for the options of a command.`);
  registerTrain(program);
  registerEval(program);
  registerPredict(program);
  registerSummary(program);
  registerOnnx(program);
  registerDatasets(program);
  registerDemo(program);
  return program;
}

/**
 * Runs the command line and exits. `argv` is process.argv (node, script, …args). Returns the exit
 * code (after setting process.exitCode) for callers that do not want the process to end.
 */
export async function main(argv: string[], options: { exit?: boolean } = {}): Promise<number> {
  // A closed pipe (`nn train mnist | head`) is not an error worth a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  let code = 0;
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its one-line message (or the help / version, exit code 0).
      code = error.exitCode;
    } else {
      reportError(error);
      code = error instanceof CliError ? error.exitCode : 1;
    }
  }
  process.exitCode = code;
  if (options.exit ?? true) {
    // Exit explicitly so that a compute thread pool cannot keep the process alive; flush stdout first.
    process.stdout.write('', () => process.exit(code));
  }
  return code;
}

function packageVersion(): string {
  try {
    // dist/src/cli/main.js → ../../../package.json; src/cli/main.ts → ../../package.json.
    for (const rel of ['../../../package.json', '../../package.json']) {
      try {
        const pkg = require(rel) as { name?: string; version?: string };
        if (pkg.name === 'millefeuille' && pkg.version) return pkg.version;
      } catch {
        // try the next location
      }
    }
  } catch {
    // fall through
  }
  return 'unknown';
}
