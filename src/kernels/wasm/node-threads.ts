/**
 * Kernel threads over Node's worker_threads, registered on import. millefeuille/node and the CLI import
 * this, so threads work on every Node the package supports — the core alone finds worker_threads only
 * through process.getBuiltinModule (Node ≥ 20.16), and must not import it (it runs in browsers too).
 */
import * as workerThreads from 'node:worker_threads';
import { setThreadHost, workerThreadsHost, type WorkerThreadsModule } from './thread-host';

setThreadHost(workerThreadsHost(workerThreads as unknown as WorkerThreadsModule));
