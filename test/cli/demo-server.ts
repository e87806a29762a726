/**
 * Starts the real `nn demo` (src/cli bundled for the tests, see run-nn.ts) as a child process and waits for the address it prints;
 * `stop()` sends it Ctrl-C (SIGINT) and waits for it to end. Used by the CLI test and the browser tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, DEAD_MIRROR, ROOT, SHARED_MNIST } from './run-nn';

export interface RunningDemo {
  /** "http://127.0.0.1:PORT/" */
  url: string;
  /** Everything printed on stdout up to the "press Ctrl-C" line. */
  banner: string;
  child: ChildProcess;
  /** Ctrl-C; resolves with the exit code and what was printed on stderr. */
  stop(): Promise<{ code: number | null; stderr: string }>;
}

export async function startDemo(args: string[] = [], env: Record<string, string> = {}, command: 'demo' | 'serve' = 'demo'): Promise<RunningDemo> {
  const child = spawn(process.execPath, [BIN, command, '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, NN_DATA_DIR: SHARED_MNIST, NN_MNIST_MIRRORS: DEAD_MIRROR, NN_DEBUG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nn demo printed no address in 30 s; stderr: ${stderr}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('press Ctrl-C to stop')) {
        clearTimeout(timer);
        resolve(stdout);
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`nn demo exited with ${code} before serving; stderr: ${stderr}`));
    });
  });
  const url = /^nn demo: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(banner)?.[1];
  if (url === undefined) throw new Error(`no address in: ${banner}`);
  return {
    url,
    banner,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return { code: await exited, stderr };
    },
  };
}
