// One CodeMirror view editing a set of files: each file keeps its own EditorState (text,
// undo history, selection, problems), and switching files swaps the state in the view.
import { forceLinting } from '@codemirror/lint';
import { EditorState, type EditorSelection, type Extension } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { followColorScheme } from './color-scheme.js';
import { inlineProblems, problemsChanged, problemsOf, setProblems, type InlineProblem } from './inline-problems.js';
import { languageFor } from './languages.js';

export interface FileProblem extends InlineProblem {
  file: string;
  /** 1-based line of `from`. */
  line: number;
}

export interface FileSetEditorOptions {
  parent: HTMLElement;
  /** The files in display order. */
  files: [path: string, text: string][];
  active: string;
  /** Called on every edit and on every add, rename, delete or switch. */
  onChange: () => void;
  /** Called when the problems of any file change (edits, live YAML check, setProblems). */
  onProblems: (problems: FileProblem[]) => void;
  /** Ctrl/Cmd+S. */
  onSave: () => void;
  /** Files that get the live YAML syntax check. */
  isYaml?: (path: string) => boolean;
}

export class FileSetEditor {
  private readonly states = new Map<string, EditorState>();
  private current: string;
  private readonly view: EditorView;

  constructor(private readonly options: FileSetEditorOptions) {
    for (const [path, text] of options.files) this.states.set(path, this.createState(path, text));
    this.current = this.states.has(options.active) ? options.active : (options.files[0]?.[0] ?? '');
    this.view = new EditorView({ parent: options.parent, state: this.states.get(this.current) ?? this.createState('untitled', '') });
    options.onProblems(this.problems());
  }

  private createState(path: string, text: string, selection?: EditorSelection): EditorState {
    const isYaml = this.options.isYaml?.(path) ?? /\.ya?ml$/i.test(path);
    const extensions: Extension[] = [
      keymap.of([
        {
          key: 'Mod-s',
          preventDefault: true,
          run: () => {
            this.options.onSave();
            return true;
          },
        },
      ]),
      basicSetup,
      languageFor(path),
      followColorScheme(),
      inlineProblems({ yamlCheck: isYaml }),
      EditorView.contentAttributes.of({ 'aria-label': `Contents of ${path}` }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) {
          this.states.set(this.current, update.state);
          this.options.onChange();
        }
        if (update.docChanged && problemsChanged(update.startState, update.state)) this.options.onProblems(this.problems());
      }),
    ];
    return EditorState.create({ doc: text, extensions, ...(selection === undefined ? {} : { selection }) });
  }

  /** The file shown now. */
  get active(): string {
    return this.current;
  }

  paths(): string[] {
    return [...this.states.keys()];
  }

  has(path: string): boolean {
    return this.states.has(path);
  }

  text(path: string): string | undefined {
    return this.stateOf(path)?.doc.toString();
  }

  /** Every file's text, in display order. */
  texts(): [path: string, text: string][] {
    return this.paths().map((path) => [path, this.text(path) ?? '']);
  }

  private stateOf(path: string): EditorState | undefined {
    return path === this.current ? this.view.state : this.states.get(path);
  }

  /** Shows another file (keeping the one shown now as it is). */
  open(path: string): void {
    if (path === this.current || !this.states.has(path)) return;
    this.states.set(this.current, this.view.state);
    this.current = path;
    this.view.setState(this.states.get(path)!);
    this.options.onChange();
  }

  add(path: string, text = ''): void {
    if (this.states.has(path)) return this.open(path);
    this.states.set(path, this.createState(path, text));
    this.open(path);
  }

  remove(path: string): void {
    if (!this.states.has(path) || this.states.size === 1) return;
    const paths = this.paths();
    const index = paths.indexOf(path);
    if (path === this.current) this.open(paths[index + 1] ?? paths[index - 1]!);
    this.states.delete(path);
    this.options.onChange();
    this.options.onProblems(this.problems());
  }

  /** Renames a file in place (its highlighting follows the new name; undo history starts over). */
  rename(from: string, to: string): void {
    const state = this.stateOf(from);
    if (state === undefined || this.states.has(to)) return;
    const next = this.createState(to, state.doc.toString(), state.selection);
    const entries = [...this.states.entries()].map(([path, value]): [string, EditorState] => (path === from ? [to, next] : [path, value]));
    this.states.clear();
    for (const [path, value] of entries) this.states.set(path, value);
    if (this.current === from) {
      this.current = to;
      this.view.setState(next);
    }
    this.options.onChange();
    this.options.onProblems(this.problems());
  }

  /** Replaces a range of a file's text (an undoable edit). */
  replace(path: string, from: number, to: number, insert: string): void {
    const state = this.stateOf(path);
    if (state === undefined) return;
    const spec = { changes: { from, to, insert } };
    if (path === this.current) this.view.dispatch(spec);
    else {
      this.states.set(path, state.update(spec).state);
      this.options.onChange();
    }
  }

  /** Replaces the outside problems of every file (files not named get none). */
  setProblems(byFile: Map<string, InlineProblem[]>): void {
    this.states.set(this.current, this.view.state);
    for (const [path, state] of this.states) {
      const effects = setProblems.of(byFile.get(path) ?? []);
      if (path === this.current) this.view.dispatch({ effects });
      else this.states.set(path, state.update({ effects }).state);
    }
    forceLinting(this.view);
    this.options.onProblems(this.problems());
  }

  /** Every problem of every file, in file order. */
  problems(): FileProblem[] {
    return this.paths().flatMap((file) => {
      const state = this.stateOf(file)!;
      return problemsOf(state).map((problem) => ({ ...problem, file, line: state.doc.lineAt(Math.min(problem.from, state.doc.length)).number }));
    });
  }

  /**
   * Opens a file, puts the cursor at `offset` (or at the start of `line`), scrolls there and
   * focuses the editor (unless `focus` is false).
   */
  reveal(path: string, where: { offset?: number; line?: number; focus?: boolean }): void {
    this.open(path);
    const doc = this.view.state.doc;
    const offset = where.offset ?? doc.line(Math.max(1, Math.min(where.line ?? 1, doc.lines))).from;
    const position = Math.max(0, Math.min(offset, doc.length));
    this.view.dispatch({ selection: { anchor: position }, effects: EditorView.scrollIntoView(position, { y: 'center' }) });
    if (where.focus !== false) this.view.focus();
  }

  focus(): void {
    this.view.focus();
  }

  destroy(): void {
    this.view.destroy();
  }
}
