// CodeMirror follows the page's colour scheme (prefers-color-scheme), like styles.css does:
// CodeMirror's own light look in light mode, a dark theme of ours in dark mode. Marking the
// theme `dark` matters beyond colours: the lint, merge and search base themes pick their dark
// variants from it.
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { Compartment, type Extension } from '@codemirror/state';
import { EditorView, ViewPlugin } from '@codemirror/view';
import { tags } from '@lezer/highlight';

const darkTheme = EditorView.theme(
  {
    '&': { color: '#d5d9e6', backgroundColor: 'var(--surface)' },
    '.cm-content': { caretColor: '#e6e8f0' },
    '.cm-cursor, .cm-dropCursor': { borderLeftColor: '#e6e8f0' },
    '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection': {
      backgroundColor: '#33406a',
    },
    '.cm-gutters': { backgroundColor: 'var(--surface-2)', color: '#7d8499', borderRight: '1px solid var(--border)' },
    '.cm-activeLine': { backgroundColor: '#ffffff08' },
    '.cm-activeLineGutter': { backgroundColor: '#ffffff0f', color: '#c9cde0' },
    '.cm-matchingBracket, .cm-nonmatchingBracket': { backgroundColor: '#3a4670', outline: 'none' },
    '.cm-selectionMatch': { backgroundColor: '#2b3552' },
    '.cm-foldPlaceholder': { backgroundColor: 'var(--surface-2)', border: '1px solid var(--border)', color: '#9aa1b8' },
    '.cm-tooltip': { backgroundColor: 'var(--surface-2)', border: '1px solid var(--border)', color: '#e6e8f0' },
    '.cm-tooltip-autocomplete > ul > li[aria-selected]': { backgroundColor: '#33406a', color: '#fff' },
    '.cm-panels': { backgroundColor: 'var(--surface-2)', color: '#e6e8f0' },
    '.cm-searchMatch': { backgroundColor: '#5a4a1a', outline: '1px solid #8a6d1f' },
  },
  { dark: true },
);

const darkHighlight = HighlightStyle.define([
  { tag: [tags.keyword, tags.operatorKeyword, tags.controlKeyword, tags.moduleKeyword, tags.definitionKeyword], color: '#ff7b92' },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], color: '#a5d6ff' },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: '#79c0ff' },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: '#7d8499', fontStyle: 'italic' },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], color: '#d2a8ff' },
  { tag: [tags.definition(tags.propertyName), tags.propertyName], color: '#8fd1c7' },
  { tag: [tags.typeName, tags.className, tags.namespace], color: '#ffb86b' },
  { tag: [tags.definition(tags.variableName)], color: '#e6e8f0' },
  { tag: [tags.meta, tags.documentMeta, tags.annotation, tags.processingInstruction], color: '#9aa1b8' },
  { tag: [tags.punctuation, tags.separator, tags.bracket], color: '#aab1c6' },
  { tag: tags.invalid, color: '#ff6b7a' },
  { tag: tags.strong, fontWeight: 'bold' },
  { tag: tags.emphasis, fontStyle: 'italic' },
  { tag: tags.link, textDecoration: 'underline' },
]);

const dark: Extension = [darkTheme, syntaxHighlighting(darkHighlight)];
const query = () => window.matchMedia('(prefers-color-scheme: dark)');

/** Dark or light editor look, switching live when the system's scheme changes. */
export function followColorScheme(): Extension {
  const compartment = new Compartment();
  const media = query();
  const pick = (isDark: boolean): Extension => (isDark ? dark : []);
  return [
    compartment.of(pick(media.matches)),
    ViewPlugin.define((view) => {
      const sync = () => {
        const wantDark = media.matches;
        const isDark = compartment.get(view.state) === dark;
        if (wantDark !== isDark) view.dispatch({ effects: compartment.reconfigure(pick(wantDark)) });
      };
      media.addEventListener('change', sync);
      // A state kept aside (another file of the editor) may have missed a change meanwhile.
      const pending = setTimeout(sync, 0);
      return {
        destroy: () => {
          clearTimeout(pending);
          media.removeEventListener('change', sync);
        },
      };
    }),
  ];
}
