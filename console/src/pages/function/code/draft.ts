// A deploy draft survives leaving the Deploy tab (and reloading the page) for the rest of
// the browser tab's life: sessionStorage, one entry per function.
import { dropItem, loadJson, saveJson } from '../../../session-storage.js';

export interface Draft {
  /** The version the draft started from. */
  base: number;
  files: [path: string, text: string][];
  active: string;
  savedAt: string;
}

const key = (name: string) => `isola.draft.${name}`;

export function loadDraft(name: string): Draft | null {
  const draft = loadJson(key(name)) as Partial<Draft> | null;
  if (draft === null || typeof draft !== 'object' || typeof draft.base !== 'number' || !Array.isArray(draft.files) || draft.files.length === 0) return null;
  return draft as Draft;
}

export function saveDraft(name: string, draft: Draft): void {
  saveJson(key(name), draft);
}

export function dropDraft(name: string): void {
  dropItem(key(name));
}

/** Whether two file lists hold the same files with the same texts (order aside). */
export function sameFiles(a: [string, string][], b: [string, string][]): boolean {
  if (a.length !== b.length) return false;
  const other = new Map(b);
  return a.every(([path, text]) => other.get(path) === text);
}
