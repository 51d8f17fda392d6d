// The notes themselves: their shape and validation, apart from HTTP and storage. A plain module
// with no npm dependency; relative imports like this one are bundled with src/index.ts.

/** What is stored under `note:<id>`: an interface is fine for binding values (see JsonCompatible). */
export interface Note {
  id: string;
  text: string;
  tags: string[];
  updatedAt: string;
}

/** A problem with a request body, answered as 400 with this message. */
export class InvalidNote extends Error {
  override readonly name = 'InvalidNote';
}

const ID = /^[a-z0-9-]{1,64}$/;

/** The id of a path such as `/notes/shopping`, or null when the path is not a note's. */
export function noteIdOf(pathname: string): string | null {
  const match = /\/notes\/([^/]+)$/.exec(pathname);
  const id = match?.[1] ?? null;
  return id !== null && ID.test(id) ? id : null;
}

/** A Note from a request body, or an InvalidNote saying what is wrong. */
export function parseNote(id: string, body: unknown, maxLength: number, now: Date): Note {
  if (typeof body !== 'object' || body === null) throw new InvalidNote('send a JSON object: {"text": "...", "tags": ["..."]}');
  const { text, tags = [] } = body as { text?: unknown; tags?: unknown };
  if (typeof text !== 'string' || text.trim() === '') throw new InvalidNote('"text" must be a non-empty string');
  if (text.length > maxLength) throw new InvalidNote(`"text" is longer than ${maxLength} characters`);
  if (!Array.isArray(tags) || !tags.every((tag): tag is string => typeof tag === 'string')) throw new InvalidNote('"tags" must be an array of strings');
  return { id, text: text.trim(), tags: [...new Set(tags)].sort(), updatedAt: now.toISOString() };
}
