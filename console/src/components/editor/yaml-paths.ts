// Where a problem reported by dotted path (`limits.memoryMb`, `routes.0.path`,
// `bindings.CART.type`) sits in the YAML text it was parsed from.
import { isMap, isPair, isScalar, isSeq, parseDocument, type Document } from 'yaml';

export interface PathRange {
  /** Offsets into the YAML text. */
  from: number;
  to: number;
  /** False when the path is not in the text (a missing field): the range is its nearest ancestor's. */
  exact: boolean;
}

/** A YAML syntax error (or warning) at a place in the text. */
export interface YamlSyntaxProblem {
  from: number;
  to: number;
  message: string;
  severity: 'error' | 'warning';
}

type Range = [number, number, number] | null | undefined;

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/**
 * The range of the node at `path` (dotted, numbers index sequences). For a mapping entry the
 * range covers `key: value` when they share a line, else the key alone; a path that does not
 * exist falls back to its nearest existing ancestor, and to the first line when nothing of it
 * exists.
 */
export function rangeOfPath(doc: Document, text: string, path: string): PathRange {
  const segments = path === '' ? [] : path.split('.');
  const firstLineEnd = text.indexOf('\n') === -1 ? text.length : text.indexOf('\n');
  let best: { from: number; to: number } = { from: 0, to: firstLineEnd };
  let node: unknown = doc.contents;
  let walked = 0;

  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === segment);
      if (pair === undefined) break;
      const keyRange = (pair.key as { range?: Range } | null)?.range;
      const valueRange = (pair.value as { range?: Range } | null)?.range;
      if (keyRange != null) {
        const end = valueRange != null ? valueRange[1] : keyRange[1];
        best = { from: keyRange[0], to: end };
      } else if (valueRange != null) {
        best = { from: valueRange[0], to: valueRange[1] };
      }
      node = pair.value;
    } else if (isSeq(node)) {
      const index = Number(segment);
      const item: unknown = Number.isInteger(index) ? node.items[index] : undefined;
      if (item === undefined) break;
      const itemRange = (item as { range?: Range } | null)?.range;
      if (itemRange != null) best = { from: itemRange[0], to: itemRange[1] };
      node = item;
    } else {
      break;
    }
    walked += 1;
  }

  // Keep multi-line nodes (a block mapping) to their first line: the marker lands where the
  // entry starts instead of painting the whole block.
  const newline = text.indexOf('\n', best.from);
  const to = newline !== -1 && newline < best.to ? newline : best.to;
  return { from: best.from, to: Math.max(best.from, to), exact: walked === segments.length };
}

/** Parses YAML text keeping source ranges; syntax errors are in the result's `errors`. */
export function parseYaml(text: string): Document {
  return parseDocument(text, { prettyErrors: false, keepSourceTokens: false });
}

/** The syntax errors and warnings of a parsed document, with ranges clamped to the text. */
export function yamlSyntaxProblems(doc: Document, text: string): YamlSyntaxProblem[] {
  const clamp = (offset: number) => Math.max(0, Math.min(offset, text.length));
  const toProblem = (severity: 'error' | 'warning') => (error: { pos: [number, number]; message: string }) => {
    const from = clamp(error.pos[0]);
    return { from, to: Math.max(from, clamp(error.pos[1])), message: error.message.split('\n')[0] ?? error.message, severity };
  };
  return [...doc.errors.map(toProblem('error')), ...doc.warnings.map(toProblem('warning'))];
}
