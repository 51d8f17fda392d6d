// What the console keeps for the life of the browser tab (the session, deploy drafts, test
// requests): JSON in sessionStorage. Storage may be full or disabled; then nothing is kept
// and nothing fails.

/** The parsed value under `key`, or null when there is none or it cannot be read. */
export function loadJson(key: string): unknown {
  try {
    const raw = sessionStorage.getItem(key);
    return raw === null ? null : (JSON.parse(raw) as unknown);
  } catch {
    return null;
  }
}

export function saveJson(key: string, value: unknown): void {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: the value lives on in the open page only
  }
}

export function dropItem(key: string): void {
  try {
    sessionStorage.removeItem(key);
  } catch {
    // nothing kept
  }
}
