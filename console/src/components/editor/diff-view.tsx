import { MergeView, unifiedMergeView } from '@codemirror/merge';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView, lineNumbers } from '@codemirror/view';
import { minimalSetup } from 'codemirror';
import { useEffect, useRef, useState } from 'preact/hooks';
import { followColorScheme } from './color-scheme.js';
import { languageFor } from './languages.js';

const wideQuery = '(min-width: 1000px)';

/** Whether the window is wide enough for side-by-side diffs (follows resizes). */
export function useWideScreen(): boolean {
  const [wide, setWide] = useState(() => window.matchMedia(wideQuery).matches);
  useEffect(() => {
    const media = window.matchMedia(wideQuery);
    const onChange = () => setWide(media.matches);
    media.addEventListener('change', onChange);
    return () => media.removeEventListener('change', onChange);
  }, []);
  return wide;
}

function readOnly(path: string, label: string): Extension {
  return [
    minimalSetup,
    lineNumbers(),
    languageFor(path),
    followColorScheme(),
    EditorState.readOnly.of(true),
    // Panes are half as wide as the page: wrap rather than hide the ends of lines.
    EditorView.lineWrapping,
    EditorView.contentAttributes.of({ 'aria-label': label }),
  ];
}

/**
 * The difference between two texts of one file: side by side when `sideBySide`, else one
 * column with the removed lines shown inline. Unchanged stretches are collapsed.
 */
export function DiffView(props: { path: string; original: string; modified: string; sideBySide: boolean; originalLabel: string; modifiedLabel: string }) {
  const parent = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = parent.current;
    if (element === null) return;
    const collapseUnchanged = { margin: 3, minSize: 6 };
    if (props.sideBySide) {
      const merge = new MergeView({
        parent: element,
        a: { doc: props.original, extensions: readOnly(props.path, `${props.path}, ${props.originalLabel}`) },
        b: { doc: props.modified, extensions: readOnly(props.path, `${props.path}, ${props.modifiedLabel}`) },
        collapseUnchanged,
        gutter: true,
      });
      return () => merge.destroy();
    }
    const view = new EditorView({
      parent: element,
      state: EditorState.create({
        doc: props.modified,
        extensions: [
          readOnly(props.path, `${props.path}, changes from ${props.originalLabel} to ${props.modifiedLabel}`),
          unifiedMergeView({ original: props.original, mergeControls: false, collapseUnchanged, gutter: true }),
        ],
      }),
    });
    return () => view.destroy();
  }, [props.path, props.original, props.modified, props.sideBySide, props.originalLabel, props.modifiedLabel]);

  return <div class={`editor diff-view ${props.sideBySide ? 'diff-split' : 'diff-unified'}`} ref={parent} />;
}
