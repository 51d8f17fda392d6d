// Reads a function folder's isola.yaml and validates it with core's schema, failing with every
// problem listed (by path, with its line in the file) rather than the first one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { IsolaError, validateManifest, type Manifest, type ManifestProblem } from '@isola/core';

export interface ManifestFile {
  /** The path of isola.yaml. */
  path: string;
  manifest: Manifest;
}

/** The folder's isola.yaml, validated; INVALID_MANIFEST (details.problems) when it is not valid. */
export function readManifestFile(dir: string): ManifestFile {
  const path = join(dir, 'isola.yaml');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new IsolaError('BAD_REQUEST', `no isola.yaml in ${dir}: pass the function's folder, or create one with "isola init"`);
  }
  return { path, manifest: parseManifestText(text, path) };
}

/** Validates the text of an isola.yaml (`path` names it in messages). */
export function parseManifestText(text: string, path: string): Manifest {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines });
  if (document.errors.length > 0) {
    // The messages say "at line L, column C"; the code frame after them is left out.
    throw invalid(path, document.errors.map((error) => ({ path: '(YAML)', message: error.message.split('\n')[0] ?? error.message })));
  }
  const result = validateManifest(document.toJS());
  if (result.ok) return result.manifest;
  const located = result.problems.map((problem) => {
    const line = lineOf(document, lines, problem.path);
    return line === null ? problem : { ...problem, path: `${problem.path || '(root)'} (line ${line})` };
  });
  throw invalid(path, located);
}

function invalid(path: string, problems: ManifestProblem[]): IsolaError {
  const list = problems.map((problem) => `  ${problem.path || '(root)'}: ${problem.message}`).join('\n');
  return new IsolaError('INVALID_MANIFEST', `${path} is invalid, ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${list}`, { problems });
}

/** The 1-based line of the deepest node of `dottedPath` that exists in the document, or null. */
function lineOf(document: ReturnType<typeof parseDocument>, lines: LineCounter, dottedPath: string): number | null {
  let node: unknown = document.contents;
  let offset: number | null = null;
  for (const part of dottedPath === '' ? [] : dottedPath.split('.')) {
    if (isMap(node)) {
      const pair = node.items.find((item) => String((item.key as { value?: unknown } | null)?.value ?? item.key) === part);
      if (pair === undefined) break;
      offset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item: unknown = node.items[Number(part)];
      if (item === undefined) break;
      offset = (item as { range?: [number, number, number] }).range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === null ? null : lines.linePos(offset).line;
}
