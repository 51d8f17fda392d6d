// `.dev.vars` beside isola.yaml: the secrets (and var overrides) a function gets when it runs
// locally, as `isola secret put` gives them on the platform. `KEY=value` lines, like Cloudflare's
// .dev.vars and dotenv files; `isola init` lists the file in .gitignore.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsolaError } from '@isola/core';

export const devVarsFile = '.dev.vars';

const line = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

/**
 * Parses `.dev.vars` text: one `KEY=value` per line; blank lines and lines starting with `#` are
 * skipped; `export ` before a key is allowed. A value in double quotes may hold `\n`, `\"` and
 * `\\` escapes; in single quotes it is taken as written; unquoted, it ends at ` #` (a comment).
 * Every malformed line is reported at once, by number.
 */
export function parseDevVars(text: string, source: string): Record<string, string> {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (raw.trim() === '' || raw.trim().startsWith('#')) return;
    const match = line.exec(raw);
    if (match === null) {
      problems.push(`${source}:${index + 1}: expected KEY=value (KEY: letters, digits and _, not starting with a digit)`);
      return;
    }
    const [, key, rawValue] = match as unknown as [string, string, string];
    const value = valueOf(rawValue);
    if (value === null) problems.push(`${source}:${index + 1}: the value of ${key} opens a quote it does not close`);
    else values[key] = value;
  });
  if (problems.length > 0) throw new IsolaError('BAD_REQUEST', `${source} has lines that are not KEY=value:\n  ${problems.join('\n  ')}`, { problems });
  return values;
}

function valueOf(raw: string): string | null {
  const quote = raw[0];
  if (quote === '"' || quote === "'") {
    if (raw.length < 2 || !raw.endsWith(quote)) return null;
    const inner = raw.slice(1, -1);
    return quote === "'" ? inner : inner.replace(/\\([n"\\])/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
  }
  const comment = raw.search(/\s#/);
  return (comment === -1 ? raw : raw.slice(0, comment)).trimEnd();
}

/** The folder's `.dev.vars`, parsed; empty when there is none. */
export function readDevVars(folder: string): Record<string, string> {
  const path = join(folder, devVarsFile);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new IsolaError('BAD_REQUEST', `cannot read ${path}: ${(error as Error).message}`);
  }
  return parseDevVars(text, path);
}
