/**
 * Where `nn train` saves its model, checked before the first batch: a run of minutes must not end with an
 * error about its output, nor replace another model without being asked to.
 *
 * - `--out` holding a model is refused unless `--overwrite` is given, or it is the `--resume` directory
 *   (continuing a run replaces its checkpoint; that is what resuming means);
 * - a file, or a non-empty directory without a model, is refused (saving would mix files in);
 * - the location must be writable: an existing directory gets a probe file written and removed; a missing
 *   one needs its nearest existing ancestor to be a directory where one can be created (save creates the
 *   missing parents). The probe is the same operation save performs, so the answer is true on a read-only
 *   file system, a directory without permission, a path through a file, or a pseudo file system.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODEL_FILE } from '../net/serialize';
import { CliError } from './errors';

export interface OutDirCheck {
  /** The absolute directory the model will be saved in. */
  dir: string;
  /** Whether replacing a model already in `dir` was asked for (--overwrite). */
  overwrite: boolean;
  /** The absolute --resume directory, if any: resuming into it replaces its own checkpoint. */
  resumeDir?: string;
}

export function checkOutDir({ dir, overwrite, resumeDir }: OutDirCheck): void {
  const relative = path.relative(process.cwd(), dir);
  const shown = relative === '' ? '.' : relative.startsWith('..') ? dir : relative;
  const stat = statOrUndefined(dir);
  if (stat !== undefined) {
    if (!stat.isDirectory()) throw new CliError(`--out ${shown} is a file; give a directory to save the model in`);
    const entries = fs.readdirSync(dir);
    if (entries.length > 0 && !entries.includes(MODEL_FILE)) {
      throw new CliError(`--out ${shown} is a non-empty directory that holds no model; choose a new or empty directory`);
    }
    if (entries.includes(MODEL_FILE) && !overwrite && dir !== resumeDir) {
      throw new CliError(
        `--out ${shown} already holds a model; pass --overwrite to replace it, --resume ${shown} to train it further, or choose another --out`,
      );
    }
    probe(shown, dir, () => {
      const file = path.join(dir, `.nn-write-test-${process.pid}`);
      fs.writeFileSync(file, '');
      fs.rmSync(file);
    });
    return;
  }
  // The directory will be created with its missing parents: the nearest existing ancestor must allow it.
  let ancestor = path.dirname(dir);
  let ancestorStat = statOrUndefined(ancestor);
  while (ancestorStat === undefined && path.dirname(ancestor) !== ancestor) {
    ancestor = path.dirname(ancestor);
    ancestorStat = statOrUndefined(ancestor);
  }
  if (ancestorStat === undefined) throw new CliError(`cannot save to --out ${shown}: none of its parent directories exists`);
  if (!ancestorStat.isDirectory()) throw new CliError(`cannot save to --out ${shown}: ${ancestor} is a file, not a directory`);
  probe(shown, ancestor, () => fs.rmdirSync(fs.mkdtempSync(path.join(ancestor, '.nn-write-test-'))));
}

/** Runs a write probe in `where`; a failure becomes one line naming the real reason. */
function probe(shown: string, where: string, write: () => void): void {
  try {
    write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot save to --out ${shown}: ${reason(code, where, error as Error)}; choose another --out, or --no-save`);
  }
}

function reason(code: string | undefined, where: string, error: Error): string {
  switch (code) {
    case 'EROFS':
      return `${where} is on a read-only file system`;
    case 'EACCES':
    case 'EPERM':
      return `no permission to write in ${where}`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `no space left on the device of ${where}`;
    case 'ENOENT':
      // A directory that exists but where nothing can be created: a pseudo file system such as /proc.
      return `files cannot be created in ${where}`;
    default:
      return `writing in ${where} failed (${error.message})`;
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}
