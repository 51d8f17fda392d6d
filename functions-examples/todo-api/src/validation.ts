// Input validation by hand: check everything, report every problem by path (not only the
// first), refuse fields we do not know so that typos ("titel") do not pass silently.
import { HttpError, type Problem } from './http.js';

export const maxTitleLength = 200;

export interface NewTodo {
  title: string;
  done: boolean;
}

export type TodoChanges = Partial<NewTodo>;

/** A POST body: `title` (required) and `done` (default false). */
export function parseNewTodo(body: unknown): NewTodo {
  const { title, done } = parseFields(body, true);
  return { title: title as string, done: done ?? false };
}

/** A PATCH body: `title` and/or `done`, at least one. */
export function parseTodoChanges(body: unknown): TodoChanges {
  const changes = parseFields(body, false);
  if (changes.title === undefined && changes.done === undefined) {
    throw invalid([{ path: '', message: 'send at least one of "title" and "done"' }]);
  }
  return changes;
}

function parseFields(body: unknown, titleRequired: boolean): TodoChanges {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid([{ path: '', message: 'the body must be a JSON object such as {"title": "Buy milk"}' }]);
  }
  const problems: Problem[] = [];
  const fields = body as Record<string, unknown>;
  const changes: TodoChanges = {};

  if (fields.title === undefined) {
    if (titleRequired) problems.push({ path: 'title', message: 'is required' });
  } else if (typeof fields.title !== 'string') {
    problems.push({ path: 'title', message: `must be a string, got ${typeName(fields.title)}` });
  } else {
    const title = fields.title.trim();
    if (title === '') problems.push({ path: 'title', message: 'must not be empty' });
    else if (title.length > maxTitleLength) problems.push({ path: 'title', message: `must be at most ${maxTitleLength} characters, got ${title.length}` });
    else changes.title = title;
  }

  if (fields.done !== undefined) {
    if (typeof fields.done === 'boolean') changes.done = fields.done;
    else problems.push({ path: 'done', message: `must be true or false, got ${typeName(fields.done)}` });
  }

  for (const key of Object.keys(fields)) {
    if (key !== 'title' && key !== 'done') problems.push({ path: key, message: 'unknown field (allowed: title, done)' });
  }
  if (problems.length > 0) throw invalid(problems);
  return changes;
}

function invalid(problems: Problem[]): HttpError {
  const summary = problems.map((problem) => (problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`)).join('; ');
  return new HttpError(400, 'BAD_REQUEST', `invalid todo: ${summary}`, { problems });
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}
