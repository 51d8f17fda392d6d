// Turns a refused deploy into problems placed in the files: manifest problems (by dotted
// path, INVALID_MANIFEST) at their node in isola.yaml, bundling problems (esbuild's
// `file:line:column`, BUNDLE_FAILED) at their place in the source. What cannot be placed is
// listed on its own.
import type { ApiError } from '../../../api/client.js';
import type { InlineProblem } from '../../../components/editor/inline-problems.js';
import { parseYaml, rangeOfPath } from '../../../components/editor/yaml-paths.js';
import { manifestFile } from './manifest-yaml.js';

/** A problem with no place in the files (a missing main file, a request-level complaint). */
export interface UnplacedProblem {
  source: string;
  message: string;
}

export interface PlacedProblems {
  byFile: Map<string, InlineProblem[]>;
  unplaced: UnplacedProblem[];
}

interface RawProblem {
  path?: string;
  location?: string | null;
  message: string;
}

const locationPattern = /^(.+?):(\d+):(\d+)$/;

/** Offset of a 1-based line and column in a text, clamped to the line. */
function offsetAt(text: string, line: number, column: number): { from: number; to: number } {
  let start = 0;
  for (let current = 1; current < line; current += 1) {
    const next = text.indexOf('\n', start);
    if (next === -1) break;
    start = next + 1;
  }
  const lineEnd = text.indexOf('\n', start) === -1 ? text.length : text.indexOf('\n', start);
  const from = Math.min(start + Math.max(0, column - 1), lineEnd);
  // Mark the word (or character) there, so the underline is visible.
  const word = /^[\w$]+/.exec(text.slice(from, lineEnd))?.[0].length ?? 1;
  return { from, to: Math.min(lineEnd, from + word) };
}

function add(byFile: Map<string, InlineProblem[]>, file: string, problem: InlineProblem) {
  byFile.set(file, [...(byFile.get(file) ?? []), problem]);
}

/** Places the problems of a refused deploy; `texts` are the files as they were sent. */
export function placeProblems(error: ApiError, texts: Map<string, string>): PlacedProblems {
  const byFile = new Map<string, InlineProblem[]>();
  const unplaced: UnplacedProblem[] = [];
  const raw = (error.problems as unknown as RawProblem[]).filter((problem) => typeof problem?.message === 'string');
  const yamlText = texts.get(manifestFile) ?? '';
  const doc = parseYaml(yamlText);

  const placeLocation = (location: string, message: string) => {
    const match = locationPattern.exec(location);
    const file = match?.[1];
    if (match === null || file === undefined || !texts.has(file)) {
      unplaced.push({ source: location, message });
      return;
    }
    const { from, to } = offsetAt(texts.get(file)!, Number(match[2]), Number(match[3]));
    add(byFile, file, { from, to, message, severity: 'error', source: file === manifestFile ? 'isola.yaml' : 'esbuild' });
  };

  for (const problem of raw) {
    if (typeof problem.location === 'string') {
      placeLocation(problem.location, problem.message);
      continue;
    }
    if (problem.location === null || problem.path === undefined) {
      unplaced.push({ source: error.code === 'BUNDLE_FAILED' ? 'bundling' : 'deploy', message: problem.message });
      continue;
    }
    const path = problem.path.replace(/^(body\.)?manifest(\.|$)/, '');
    if (error.code !== 'INVALID_MANIFEST' && path === problem.path) {
      // A problem with the request itself (`body.files`), not with the manifest.
      unplaced.push({ source: problem.path, message: problem.message });
      continue;
    }
    const range = rangeOfPath(doc, yamlText, path);
    const field = path.split('.').pop() ?? path;
    const message = range.exact ? problem.message : `${field === '' ? 'a field' : `“${field}”`} is missing or misplaced: ${problem.message}`;
    add(byFile, manifestFile, { from: range.from, to: range.to, message, severity: 'error', source: path === '' ? 'manifest' : path });
  }

  if (raw.length === 0) {
    // No details: esbuild's first message still names its place in the text of the error.
    const located = /(\S+:\d+:\d+): (.+)$/.exec(error.message);
    if (located !== null) placeLocation(located[1]!, located[2]!);
    else unplaced.push({ source: error.code, message: error.message });
  }
  return { byFile, unplaced };
}
