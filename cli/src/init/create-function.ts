// `isola init` without the command line: renders a template for a name, checks the result (a
// valid manifest, a folder that may be written), writes it, and adds src/env.d.ts from the
// manifest as `isola types` would.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IsolaError } from '@isola/core';
import { parseManifestText } from '../env-types/manifest-file.js';
import { defaultEnvTypesFile, writeEnvTypes } from '../env-types/write-env-types.js';
import { functionNameProblem } from './function-name.js';
import { renderTemplate, type TemplateName } from './templates.js';

export interface CreateFunctionOptions {
  name: string;
  template: TemplateName;
  dir: string;
  /** Write into a folder that already holds files (template files replace theirs; others stay). */
  force?: boolean;
}

/** Entries of a folder that do not make it "not empty". */
const ignoredEntries = new Set(['.git', '.DS_Store']);

/** Writes the function folder; returns the paths written, relative to `dir`. */
export function createFunction({ name, template, dir, force = false }: CreateFunctionOptions): string[] {
  const problem = functionNameProblem(name);
  if (problem !== null) throw new IsolaError('BAD_REQUEST', problem);
  checkFolder(dir, force);

  const files = renderTemplate(template, name);
  // A template's manifest must hold for every valid name (a long name can push a derived topic
  // name past 63 characters): check before writing anything.
  const manifest = parseManifestText(files.get('isola.yaml') ?? '', `the ${template} template's isola.yaml for "${name}"`);

  for (const [path, content] of files) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  writeEnvTypes({ dir, manifest }, force);
  return [...files.keys(), defaultEnvTypesFile].sort(byFolderThenName);
}

function checkFolder(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new IsolaError('CONFLICT', `${dir} is a file, not a folder: choose another name or --dir`);
  const entries = readdirSync(dir).filter((entry) => !ignoredEntries.has(entry));
  if (entries.length > 0 && !force) {
    const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? `, and ${entries.length - 5} more` : '');
    throw new IsolaError('CONFLICT', `${dir} is not empty (${shown}): choose another name or --dir, or pass --force to write the template's files over it`);
  }
}

/** Top-level files first, then folders' files, each alphabetically: the order they are listed in. */
function byFolderThenName(a: string, b: string): number {
  const depth = (path: string) => path.split('/').length;
  return depth(a) - depth(b) || a.localeCompare(b);
}
