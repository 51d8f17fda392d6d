// A deploy draft survives leaving the Deploy tab (and reloading the page) for the rest of
// the browser tab's life: sessionStorage, one entry per function.

export interface Draft {
  /** The version the draft started from. */
  base: number;
  files: [path: string, text: string][];
  active: string;
  savedAt: string;
}

const key = (name: string) => `isola.draft.${name}`;

export function loadDraft(name: string): Draft | null {
  try {
    const raw = sessionStorage.getItem(key(name));
    if (raw === null) return null;
    const draft = JSON.parse(raw) as Draft;
    if (typeof draft.base !== 'number' || !Array.isArray(draft.files) || draft.files.length === 0) return null;
    return draft;
  } catch {
    return null;
  }
}

export function saveDraft(name: string, draft: Draft): void {
  try {
    sessionStorage.setItem(key(name), JSON.stringify(draft));
  } catch {
    // Storage full or disabled: the draft lives on in the open tab only.
  }
}

export function dropDraft(name: string): void {
  try {
    sessionStorage.removeItem(key(name));
  } catch {
    // nothing kept
  }
}

/** Whether two file lists hold the same files with the same texts (order aside). */
export function sameFiles(a: [string, string][], b: [string, string][]): boolean {
  if (a.length !== b.length) return false;
  const other = new Map(b);
  return a.every(([path, text]) => other.get(path) === text);
}
