import { javascript } from '@codemirror/lang-javascript';
import { yaml } from '@codemirror/lang-yaml';
import type { Extension } from '@codemirror/state';

/** Syntax highlighting for a file, chosen by its name (none for unknown kinds). */
export function languageFor(path: string): Extension {
  const name = path.toLowerCase();
  if (/\.(ts|mts|cts)$/.test(name)) return javascript({ typescript: true });
  if (name.endsWith('.tsx')) return javascript({ typescript: true, jsx: true });
  if (name.endsWith('.jsx')) return javascript({ jsx: true });
  if (/\.(js|mjs|cjs|json)$/.test(name)) return javascript();
  if (/\.(ya?ml)$/.test(name)) return yaml();
  return [];
}
