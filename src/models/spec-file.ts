/** Reading a model spec (spec.ts) from a file: Node only, so the spec itself stays usable in a page. */
import * as fs from 'node:fs';
import { ModelSpecError, parseModelSpec, type ModelSpec } from './spec';

/** Reads and parses a spec file. */
export function readModelSpec(file: string): ModelSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelSpecError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${(e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ModelSpecError(`${file} is not valid JSON (${(e as Error).message})`);
  }
  return parseModelSpec(json, file);
}
