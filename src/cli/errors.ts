/**
 * How the command line ends when something is wrong: ONE readable line on stderr and a non-zero exit
 * code, never a stack trace. Errors the user can fix (bad options, files, model directories, a
 * diverging run) print their message; anything else is a bug and says how to see its stack.
 */

/** A problem with what the user asked for, found by the CLI itself. */
export class CliError extends Error {
  /** @param exitCode the process exit code (1, or 130 for an interrupted run as shells expect after Ctrl-C) */
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** Error classes whose message is written for the user (by name, so no module needs importing). */
const USER_ERRORS = new Set([
  'CliError', 'IdxError', 'MnistError', 'DatasetError', 'CsvError', 'ModelSpecError', 'OptionError', 'ModelFileError', 'TrainingDivergedError', 'ShapeError', 'NonFiniteDataError', 'OnnxError',
]);

/** Collapses a message to one line. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** The line printed for an error (without the trailing newline). */
export function errorLine(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (USER_ERRORS.has(error.name)) return `nn: ${oneLine(error.message)}`;
    // File-system errors the user can fix (permissions, full disk) carry a code and a path.
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return `nn: ${oneLine(error.message)}`;
    return `nn: unexpected error: ${oneLine(error.message)} (run with NN_DEBUG=1 to see the stack trace)`;
  }
  return `nn: unexpected error: ${oneLine(String(error))}`;
}

/** Writes the error line (and, with NN_DEBUG=1, the stack) to stderr. */
export function reportError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): void {
  stderr.write(`${errorLine(error)}\n`);
  if (process.env.NN_DEBUG && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
}
