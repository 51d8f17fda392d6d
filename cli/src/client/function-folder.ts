import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { IsolaError } from '@isola/core';

export interface FunctionFolder {
  manifest: Record<string, unknown>;
  files: Record<string, string>;
}

const sourcePattern = /\.(ts|tsx|mts|js|mjs|jsx|json)$/;
const skippedDirectories = new Set(['node_modules', 'dist', '.git', '.isola', 'test', 'tests', '__tests__']);

/** Reads `isola.yaml` and the function's sources (tests and build output left out). */
export function readFunctionFolder(dir: string): FunctionFolder {
  return { manifest: readManifestFile(dir), files: readSources(dir) };
}

/** The folder's `isola.yaml` as written (not validated: the platform lists every problem). */
export function readManifestFile(dir: string): Record<string, unknown> {
  const manifestPath = join(dir, 'isola.yaml');
  if (!existsSync(manifestPath)) {
    throw new IsolaError('BAD_REQUEST', `no isola.yaml in ${dir}: run "isola init" there or pass the function's folder`);
  }
  let manifest: unknown;
  try {
    manifest = parseYaml(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw new IsolaError('INVALID_MANIFEST', `${manifestPath} is not valid YAML: ${(error as Error).message}`, {
      problems: [{ path: '', message: `not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}` }],
    });
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new IsolaError('INVALID_MANIFEST', `${manifestPath} must hold a mapping (name:, main:, ...)`, {
      problems: [{ path: '', message: 'must be a mapping with at least name: and main:' }],
    });
  }
  return manifest as Record<string, unknown>;
}

/** The folder's source files by relative path, `/`-separated: tests, dependencies and build output left out. */
export function readSources(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (current: string) => {
    for (const entry of readdirSync(current)) {
      const path = join(current, entry);
      if (statSync(path).isDirectory()) {
        if (!skippedDirectories.has(entry)) walk(path);
      } else if (sourcePattern.test(entry) && !/\.test\.[cm]?[jt]sx?$/.test(entry) && entry !== 'package-lock.json') {
        files[relative(dir, path).split(sep).join('/')] = readFileSync(path, 'utf8');
      }
    }
  };
  walk(dir);
  return files;
}
