/**
 * The Node side of the report: write it to a file atomically (a temporary name in the same directory, then a
 * rename), so a browser reopening the page while training runs sees the old page or the new one, never half
 * of one; and describe the machine a run is on.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getThreads } from '../kernels/wasm/threads';
import { kernelBackend, wasmStatus } from '../kernels/backend';
import { reportHtml, type ReportInput, type ReportValue } from './html';

/** Thrown when the report cannot be written (the message names the file and the reason). */
export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportError';
  }
}

/** Builds the report and writes it to `file` (atomically); returns the absolute path. */
export function writeReport(file: string, input: ReportInput): string {
  const target = path.resolve(file);
  writeFileAtomic(target, reportHtml(input));
  return target;
}

/** Writes `text` under a temporary name beside `target`, then renames it over `target`. */
export function writeFileAtomic(target: string, text: string): void {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new ReportError(`cannot write the report ${target}: ${(err as Error).message}`);
  }
}

const KERNEL_NAMES = { wasm: 'WebAssembly SIMD', ts: 'TypeScript', reference: 'reference loops (slow)' } as const;

/** The machine as the report shows it: processor, cores, memory, Node, the kernels and threads in use. */
export function machineInfo(): Record<string, ReportValue> {
  const cpus = os.cpus();
  const wasm = wasmStatus();
  return {
    processor: cpus[0]?.model.trim() || undefined,
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    system: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    kernels: KERNEL_NAMES[kernelBackend()] + (kernelBackend() === 'wasm' && wasm.file ? ` (${path.basename(wasm.file)})` : ''),
    'compute threads': getThreads(),
  };
}
