// Problems shown where they are: CodeMirror lint diagnostics (underline, gutter marker,
// tooltip, F8 navigation) plus the message itself under the offending line, so that nobody
// has to hover to read it. Two sources feed them: problems set from outside (the gateway's
// answer to a deploy) and, for YAML, the live syntax check.
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { StateEffect, StateField, type EditorState, type Extension, type Text } from '@codemirror/state';
import { Decoration, EditorView, WidgetType, type DecorationSet } from '@codemirror/view';
import { parseYaml, yamlSyntaxProblems } from './yaml-paths.js';

export interface InlineProblem {
  from: number;
  to: number;
  message: string;
  severity: 'error' | 'warning';
  /** What reported it: a manifest path (`limits.memoryMb`), `esbuild`, `YAML syntax`. */
  source: string;
}

/** Replaces the problems set from outside. */
export const setProblems = StateEffect.define<InlineProblem[]>();

/**
 * Problems set from outside, following edits; a problem goes away once its line is edited
 * (the author is fixing it: the next deploy says whether that worked).
 */
export const outsideProblems = StateField.define<InlineProblem[]>({
  create: () => [],
  update(problems, tr) {
    for (const effect of tr.effects) if (effect.is(setProblems)) return clampAll(effect.value, tr.state.doc);
    if (!tr.docChanged || problems.length === 0) return problems;
    const kept: InlineProblem[] = [];
    for (const problem of problems) {
      const line = tr.startState.doc.lineAt(Math.min(problem.from, tr.startState.doc.length));
      if (tr.changes.touchesRange(line.from, line.to)) continue;
      const from = tr.changes.mapPos(problem.from, 1);
      kept.push({ ...problem, from, to: Math.max(from, tr.changes.mapPos(problem.to, -1)) });
    }
    return kept;
  },
});

function clampAll(problems: InlineProblem[], doc: Text): InlineProblem[] {
  return problems.map((problem) => {
    const from = Math.max(0, Math.min(problem.from, doc.length));
    return { ...problem, from, to: Math.max(from, Math.min(problem.to, doc.length)) };
  });
}

/** Live YAML syntax errors of the document. */
const yamlSyntax = StateField.define<InlineProblem[]>({
  create: (state) => syntaxOf(state.doc),
  update: (problems, tr) => (tr.docChanged ? syntaxOf(tr.state.doc) : problems),
});

function syntaxOf(doc: Text): InlineProblem[] {
  const text = doc.toString();
  return yamlSyntaxProblems(parseYaml(text), text).map((problem) => ({ ...problem, source: 'YAML syntax' }));
}

/** Whether a transaction changed the problems (cheap: compares the fields' values). */
export function problemsChanged(before: EditorState, after: EditorState): boolean {
  return before.field(outsideProblems, false) !== after.field(outsideProblems, false) || before.field(yamlSyntax, false) !== after.field(yamlSyntax, false);
}

/** Every problem of a state: live syntax ones first, then those set from outside. */
export function problemsOf(state: EditorState): InlineProblem[] {
  return [...(state.field(yamlSyntax, false) ?? []), ...(state.field(outsideProblems, false) ?? [])];
}

class MessagesWidget extends WidgetType {
  constructor(readonly problems: InlineProblem[]) {
    super();
  }
  override eq(other: MessagesWidget): boolean {
    return other.problems.length === this.problems.length && other.problems.every((problem, index) => problem.message === this.problems[index]?.message && problem.source === this.problems[index]?.source);
  }
  toDOM(): HTMLElement {
    const box = document.createElement('span');
    box.className = 'cm-inline-problems';
    box.setAttribute('role', 'note');
    for (const problem of this.problems) {
      const line = document.createElement('span');
      line.className = `cm-inline-problem cm-inline-problem-${problem.severity}`;
      const source = document.createElement('span');
      source.className = 'cm-inline-problem-source';
      source.textContent = problem.source;
      line.append(source, ` ${problem.message}`);
      box.append(line);
    }
    return box;
  }
  override ignoreEvent(): boolean {
    return false;
  }
}

function decorationsOf(state: EditorState): DecorationSet {
  const byLine = new Map<number, InlineProblem[]>();
  for (const problem of problemsOf(state)) {
    const line = state.doc.lineAt(Math.min(problem.from, state.doc.length)).number;
    byLine.set(line, [...(byLine.get(line) ?? []), problem]);
  }
  const ranges = [...byLine.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([number, problems]) => {
      const line = state.doc.line(number);
      const severity = problems.some((problem) => problem.severity === 'error') ? 'error' : 'warning';
      return [
        Decoration.line({ class: `cm-problem-line cm-problem-line-${severity}` }).range(line.from),
        // Inside the line (not a block widget): text read back from the DOM (IME, Android)
        // then never mistakes the message box for a line break.
        Decoration.widget({ widget: new MessagesWidget(problems), side: 1 }).range(line.to),
      ];
    });
  return Decoration.set(ranges, true);
}

const inlineMessages = EditorView.decorations.compute([outsideProblems, 'doc'], decorationsOf);
const inlineMessagesYaml = EditorView.decorations.compute([outsideProblems, yamlSyntax, 'doc'], decorationsOf);

/** The problems machinery for one file; `yamlCheck` adds the live YAML syntax check. */
export function inlineProblems(options: { yamlCheck: boolean }): Extension {
  return [
    outsideProblems,
    options.yamlCheck ? [yamlSyntax, inlineMessagesYaml] : inlineMessages,
    linter((view): Diagnostic[] => problemsOf(view.state).map(({ from, to, message, severity, source }) => ({ from, to, message, severity, source })), {
      delay: 150,
      needsRefresh: (update) => update.startState.field(outsideProblems) !== update.state.field(outsideProblems),
    }),
    lintGutter(),
  ];
}
