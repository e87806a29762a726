/**
 * The entry bundled for the browser tests (see library.test.ts): on a page it puts the checks on
 * `window.suite` (and `window.inWorker(name, ...args)`, which runs one in a module Worker started from this
 * same script); in a Worker it answers `{ id, name, args }` messages with `{ id, result }` or `{ id, error }`.
 */
import * as suite from './suite-core';

type Call = { id: number; name: keyof typeof suite; args: unknown[] };
const run = (name: keyof typeof suite, args: unknown[]) => (suite[name] as (...a: unknown[]) => unknown)(...args);

if (typeof document === 'undefined') {
  self.onmessage = async (event: MessageEvent<Call>) => {
    const { id, name, args } = event.data;
    try {
      self.postMessage({ id, result: await run(name, args) });
    } catch (err) {
      self.postMessage({ id, error: { name: (err as Error).name, message: (err as Error).message } });
    }
  };
} else {
  let worker: Worker | undefined;
  let next = 0;
  const scriptUrl = new URL('./suite.mjs', location.href).href; // the page sits beside the bundle
  Object.assign(window, {
    suite,
    inWorker: (name: keyof typeof suite, ...args: unknown[]) => {
      worker ??= new Worker(scriptUrl, { type: 'module' });
      const id = next++;
      return new Promise((resolve, reject) => {
        const w = worker!;
        const listener = (event: MessageEvent<{ id: number; result?: unknown; error?: { name: string; message: string } }>) => {
          if (event.data.id !== id) return;
          w.removeEventListener('message', listener);
          if (event.data.error) reject(new Error(`${event.data.error.name}: ${event.data.error.message}`));
          else resolve(event.data.result);
        };
        w.addEventListener('message', listener);
        w.addEventListener('error', (e) => reject(new Error(`worker error: ${e.message}`)), { once: true });
        w.postMessage({ id, name, args });
      });
    },
    suiteReady: true,
  });
}
