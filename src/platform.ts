/**
 * The few things the core needs from its host, reached without assuming Node: the core (src/index.ts) runs
 * unchanged in Node, in a browser page and in a Web Worker, so it never touches `process`, `setImmediate` or
 * `Buffer` directly — only through these guarded accessors. A bundler for the browser sees no `node:` import
 * here (scripts/browser-guard.js fails the build if the core ever gains one).
 */

interface ProcessLike {
  env?: Record<string, string | undefined>;
  emitWarning?: (message: string, options?: { code?: string }) => void;
  getBuiltinModule?: (id: string) => unknown;
  versions?: { node?: string };
}

/** Node's `process`, or undefined on a page or in a Worker (a bundler may also shim an empty one). */
function hostProcess(): ProcessLike | undefined {
  const p = (globalThis as { process?: ProcessLike }).process;
  return typeof p === 'object' && p !== null ? p : undefined;
}

/** An environment variable in Node; always undefined in a browser. */
export function envVar(name: string): string | undefined {
  return hostProcess()?.env?.[name];
}

/** True when running under Node (not in a browser, even with a bundler's `process` shim). */
export function isNode(): boolean {
  return typeof hostProcess()?.versions?.node === 'string';
}

/** A warning: Node's `process.emitWarning` (stderr, once per code), else `console.warn`. */
export function warn(message: string, code: string): void {
  const p = hostProcess();
  if (typeof p?.emitWarning === 'function') p.emitWarning(message, { code });
  else if (typeof console !== 'undefined') console.warn(`${code}: ${message}`);
}

/**
 * One of Node's built-in modules, fetched at run time (Node ≥ 20.16 `process.getBuiltinModule`) so that no
 * `import` of it appears in the core; undefined in a browser or on an older Node.
 */
export function nodeBuiltin<T>(id: string): T | undefined {
  const get = hostProcess()?.getBuiltinModule;
  if (typeof get !== 'function') return undefined;
  try {
    return get(id) as T | undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolves after the host has had a chance to run other tasks (timers, I/O, a page's input events, a
 * Worker's messages): `setImmediate` in Node; in a browser a MessageChannel message (setTimeout(0) is
 * clamped to ≥ 4 ms after a few nested calls, which would cost a training loop that yields every batch).
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const setImmediateFn = g.setImmediate;
    return new Promise((resolve) => setImmediateFn(resolve));
  }
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Decodes standard base64 (the inlined wasm module) without Buffer: `atob` exists in browsers, Workers and Node ≥ 16. */
export function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
