/**
 * `nn datasets`: the datasets `nn train NAME` knows, where each is read from (and downloaded into), and
 * whether its four files are there. A thin layer over datasets.ts and dataset-source.ts.
 */
import { Command } from 'commander';
import { DATASETS } from '../data/datasets';
import { datasetStatus } from '../data/dataset-source';

export interface DatasetsFlags {
  dataDir?: string;
  json?: boolean;
}

export function registerDatasets(program: Command): void {
  program
    .command('datasets')
    .description('the datasets nn train knows by name, where each is cached and whether it is there')
    .option('--data-dir <dir>', 'look in this directory instead (as nn train --data-dir would)')
    .option('--json', 'one JSON line per dataset: {"name","title","classes","dir","from","present","missing","mirrors"}')
    .addHelpText('after', `
A dataset is read from --data-dir, else its variable (NN_DATA_DIR for MNIST, NN_FASHION_MNIST_DIR,
NN_KMNIST_DIR), else the per-user cache. nn train downloads missing files there, verified by their
published checksums (NN_MNIST_MIRRORS, NN_FASHION_MNIST_MIRRORS, NN_KMNIST_MIRRORS override the mirrors).
Your own files need no entry here: nn train --data PATH (see nn train --help).`)
    .action((flags: DatasetsFlags) => {
      runDatasets(flags);
    });
}

export function runDatasets(flags: DatasetsFlags): void {
  const lines: string[] = [];
  for (const spec of DATASETS) {
    const status = datasetStatus(spec, { dataDir: flags.dataDir });
    const state = status.missing.length === 0 ? 'present' : status.present.length === 0 ? 'not downloaded' : `incomplete (missing ${status.missing.join(', ')})`;
    if (flags.json) {
      lines.push(JSON.stringify({
        name: spec.name, title: spec.title, classes: spec.classNames, dir: status.dir, from: status.from,
        present: status.missing.length === 0, missing: status.missing, mirrors: spec.mirrors,
      }));
      continue;
    }
    lines.push(
      `${spec.name.padEnd(14)} ${spec.title}: ${spec.description}`,
      `${''.padEnd(14)} ${spec.rows}×${spec.cols} greyscale, ${spec.classNames.length} classes (${spec.classNames.join(', ')}), ` +
        `${spec.trainCount.toLocaleString('en-US')} training + ${spec.testCount.toLocaleString('en-US')} test images`,
      `${''.padEnd(14)} ${state}: ${status.dir} (${status.from === 'cache' ? 'the per-user cache' : status.from})` +
        `${status.missing.length > 0 ? `; nn train ${spec.name} downloads it there (or set ${spec.dirEnv})` : ''}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
