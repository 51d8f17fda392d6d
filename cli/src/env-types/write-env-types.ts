// `isola types` without the command line: the Env declaration for a function folder, written to
// its file or compared with it (--check).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { IsolaError, type Manifest } from '@isola/core';
import { envDeclaration, generatedHeader } from './env-declaration.js';
import { localServiceModules } from './local-services.js';

/** Where the declaration goes, relative to the function folder, unless --out says otherwise. */
export const defaultEnvTypesFile = 'src/env.d.ts';

export interface EnvTypesTarget {
  /** The function folder (holding isola.yaml). */
  dir: string;
  manifest: Manifest;
  /** The output file, relative to `dir` unless absolute. */
  out?: string;
  /** Type service bindings loosely even when the called function's folder is beside this one. */
  looseServices?: boolean;
}

/** The output path and the text it should hold. */
export function expectedEnvTypes(target: EnvTypesTarget): { file: string; text: string } {
  const out = target.out ?? defaultEnvTypesFile;
  const file = isAbsolute(out) ? out : join(target.dir, out);
  const typedServices = target.looseServices ? {} : localServiceModules(target.manifest, target.dir, file);
  return { file, text: envDeclaration(target.manifest, { typedServices }) };
}

/**
 * Writes the declaration. A file there that `isola types` did not write (no generated header) is
 * kept unless `force`: it may be the author's own.
 */
export function writeEnvTypes(target: EnvTypesTarget, force = false): string {
  const { file, text } = expectedEnvTypes(target);
  if (!force && existsSync(file) && !readFileSync(file, 'utf8').startsWith(generatedHeader)) {
    throw new IsolaError('CONFLICT', `${file} exists and was not written by "isola types"; move it away, choose another file with --out, or overwrite it with --force`);
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** What differs between the file and what it should hold: lines to add (+) and to remove (-); empty when up to date. */
export function staleLines(target: EnvTypesTarget): { file: string; missing: boolean; changes: string[] } {
  const { file, text } = expectedEnvTypes(target);
  if (!existsSync(file)) return { file, missing: true, changes: [] };
  const actual = readFileSync(file, 'utf8');
  if (actual === text) return { file, missing: false, changes: [] };
  const expectedLines = text.split('\n');
  const actualLines = actual.split('\n');
  const changes = [
    ...actualLines.filter((line) => !expectedLines.includes(line)).map((line) => `- ${line}`),
    ...expectedLines.filter((line) => !actualLines.includes(line)).map((line) => `+ ${line}`),
  ];
  // Same lines in another order (or only whitespace at the end): still stale.
  return { file, missing: false, changes: changes.length > 0 ? changes : ['(the same lines, in another order)'] };
}
