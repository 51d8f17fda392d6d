// The manifest travels as JSON; people read and write it as isola.yaml. The console shows it
// as a file of its own named like the one beside the code.
import { stringify } from 'yaml';
import type { Manifest, VersionDetail } from '../../../api/types.js';
import type { InlineProblem } from '../../../components/editor/inline-problems.js';
import { parseYaml, rangeOfPath } from '../../../components/editor/yaml-paths.js';

/** The name the manifest goes by among the files. */
export const manifestFile = 'isola.yaml';

export function manifestYaml(manifest: Manifest | Record<string, unknown>): string {
  return stringify(manifest, { lineWidth: 0 });
}

/** The main file first, then the others by path. */
export function sortedPaths(paths: string[], main: string | undefined): string[] {
  return [...paths].sort((a, b) => (a === main ? -1 : b === main ? 1 : a.localeCompare(b)));
}

/** A version's files as shown in the console: isola.yaml first, then the sources (main first). */
export function versionFiles(detail: Pick<VersionDetail, 'manifest' | 'files'>): [path: string, text: string][] {
  const sources = sortedPaths(
    Object.keys(detail.files).filter((path) => path !== manifestFile),
    detail.manifest.main,
  );
  return [[manifestFile, manifestYaml(detail.manifest)], ...sources.map((path): [string, string] => [path, detail.files[path] ?? ''])];
}

export type ReadManifest = { manifest: Record<string, unknown> } | { syntaxErrors: true } | { problem: InlineProblem };

/** The manifest in isola.yaml, ready to send, or why it is not. */
export function readManifest(text: string): ReadManifest {
  const doc = parseYaml(text);
  if (doc.errors.length > 0) return { syntaxErrors: true };
  const manifest: unknown = doc.toJS();
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    const firstLineEnd = text.indexOf('\n') === -1 ? text.length : text.indexOf('\n');
    return { problem: { from: 0, to: firstLineEnd, message: 'isola.yaml must be a mapping of fields: name, main, limits…', severity: 'error', source: 'manifest' } };
  }
  return { manifest: manifest as Record<string, unknown> };
}

/** The manifest's `name`, when the YAML parses to a mapping that has one. */
export function manifestName(text: string): string | null {
  const doc = parseYaml(text);
  if (doc.errors.length > 0) return null;
  const name: unknown = doc.get('name');
  return typeof name === 'string' ? name : null;
}

/** The edit that points `main` at a renamed entry file, or null when `main` names another file. */
export function mainRenameEdit(text: string, from: string, to: string): { from: number; to: number; insert: string } | null {
  const doc = parseYaml(text);
  if (doc.errors.length > 0 || doc.get('main') !== from) return null;
  const range = rangeOfPath(doc, text, 'main');
  const start = text.indexOf(from, range.from);
  if (!range.exact || start === -1 || start >= range.to) return null;
  return { from: start, to: start + from.length, insert: to };
}
