import { fileURLToPath } from 'node:url';
import { readFunctionFolder } from '@isola/cli';

const helloFolder = fileURLToPath(new URL('../../functions-examples/hello', import.meta.url));

export interface FunctionSource {
  manifest: Record<string, unknown>;
  files: Record<string, string>;
}

/** functions-examples/hello as deployed. */
export function hello(): FunctionSource {
  return readFunctionFolder(helloFolder);
}

/**
 * hello under another name, with a distinct bundle (a comment naming it), so neither the
 * platform's code cache nor any cache keyed by code hash helps its first request.
 */
export function helloVariant(name: string, base: FunctionSource = hello()): FunctionSource {
  const files = Object.fromEntries(Object.entries(base.files).map(([path, source]) => [path, `${source}\n// ${name}\n`]));
  return { manifest: { ...base.manifest, name }, files };
}
