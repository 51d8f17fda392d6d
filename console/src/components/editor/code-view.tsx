import { EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'preact/hooks';
import { followColorScheme } from './color-scheme.js';
import { languageFor } from './languages.js';

/**
 * A read-only CodeMirror view of one file, highlighted by its name. Still focusable, so the
 * keyboard can move through it, select and search (Ctrl/Cmd+F).
 */
export function CodeView(props: { path: string; source: string; label?: string }) {
  const parent = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);

  useEffect(() => {
    if (parent.current === null) return;
    const editor = new EditorView({
      parent: parent.current,
      state: EditorState.create({
        doc: props.source,
        extensions: [
          basicSetup,
          languageFor(props.path),
          followColorScheme(),
          EditorState.readOnly.of(true),
          EditorView.contentAttributes.of({ 'aria-label': props.label ?? `${props.path} (read-only)` }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
  }, [props.path, props.source, props.label]);

  return <div class="editor code-view" ref={parent} />;
}
