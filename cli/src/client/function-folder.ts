import { readdirSync, readFileSync, statSync } from 'node:fs';
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
  const manifestPath = join(dir, 'isola.yaml');
  let text: string;
  try {
    text = readFileSync(manifestPath, 'utf8');
  } catch {
    throw new IsolaError('BAD_REQUEST', `no isola.yaml in ${dir}: run "isola init" there or pass the function's folder`);
  }
  const manifest: unknown = parseYaml(text);
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new IsolaError('INVALID_MANIFEST', `${manifestPath} must hold a mapping (name:, main:, ...)`);
  }
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
  return { manifest: manifest as Record<string, unknown>, files };
}
