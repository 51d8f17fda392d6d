// The todos in the state store, with optimistic concurrency: every write says which version it
// replaces (the etag read with it), so two clients never overwrite each other unknowingly.
//
// Layout: each todo under `todo:<id>`, and `todo-ids`, the list of ids. State stores have
// no "list keys" operation (neither do Dapr's or Workers KV's consistent ones), so a listing
// keeps its own index.
import type { BindingError, StateBinding } from '@isola/types';
import { entityTag, HttpError, ifMatchAccepts } from './http.js';
import type { NewTodo, TodoChanges } from './validation.js';

// A `type`, not an `interface`: values given to a binding must be JsonValues, and TypeScript
// gives interfaces no index signature.
export type Todo = {
  id: string;
  title: string;
  done: boolean;
  createdAt: string;
  updatedAt: string;
};

/** A stored value and the etag of its version. */
export interface Versioned<T> {
  value: T;
  etag: string;
}

const indexKey = 'todo-ids';
const todoKey = (id: string) => `todo:${id}`;
/** Read-modify-write rounds before giving up under heavy contention on one key. */
const maxAttempts = 10;

export class TodoStore {
  constructor(private readonly state: StateBinding) {}

  async list(): Promise<Todo[]> {
    const ids = (await this.state.get<string[]>(indexKey)) ?? [];
    if (ids.length === 0) return [];
    const entries = await this.state.getBulk<Todo>(ids.map(todoKey));
    // An id whose todo is gone (deleted, index not updated yet) is skipped.
    return entries.flatMap((entry) => (entry.value === null ? [] : [entry.value]));
  }

  async get(id: string): Promise<Versioned<Todo>> {
    const found = await this.state.getWithEtag<Todo>(todoKey(id));
    if (found === null) throw new HttpError(404, 'NOT_FOUND', `no todo with id "${id}"`);
    return found;
  }

  async create(fields: NewTodo, now: string): Promise<Versioned<Todo>> {
    const todo: Todo = { id: crypto.randomUUID(), ...fields, createdAt: now, updatedAt: now };
    // first-write without an etag: only if the key does not exist yet.
    await this.state.put(todoKey(todo.id), todo, { concurrency: 'first-write' });
    await this.updateIndex((ids) => [...ids, todo.id]);
    // put() does not return the new etag: read it back for the response's ETag.
    return this.get(todo.id);
  }

  /**
   * Applies `changes`. With `ifMatch` (the client's If-Match header) only to the version the
   * client saw, else 409; without it, to whatever version is current, retrying when another
   * write slips in between our read and our write.
   */
  async update(id: string, changes: TodoChanges, ifMatch: string | null, now: string): Promise<Versioned<Todo>> {
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      const current = await this.get(id);
      if (ifMatch !== null && !ifMatchAccepts(ifMatch, current.etag)) throw conflict(current);
      const next: Todo = { ...current.value, ...changes, updatedAt: now };
      try {
        await this.state.put(todoKey(id), next, { etag: current.etag });
        return await this.get(id);
      } catch (error) {
        if (!isEtagMismatch(error)) throw error;
        // Lost the race: read again. With If-Match the next round answers 409.
      }
    }
    throw tooBusy(id);
  }

  async delete(id: string, ifMatch: string | null): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.get(id);
      if (ifMatch !== null && !ifMatchAccepts(ifMatch, current.etag)) throw conflict(current);
      try {
        await this.state.delete(todoKey(id), { etag: current.etag });
        break;
      } catch (error) {
        if (!isEtagMismatch(error) || attempt === maxAttempts) throw error;
      }
    }
    await this.updateIndex((ids) => ids.filter((other) => other !== id));
  }

  /** Read, change, write back only if nobody wrote in between; else again. */
  private async updateIndex(change: (ids: string[]) => string[]): Promise<void> {
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      const current = await this.state.getWithEtag<string[]>(indexKey);
      const ids = change(current?.value ?? []);
      try {
        // No index yet: create it, but only if it is still absent (first-write, no etag).
        await this.state.put(indexKey, ids, current === null ? { concurrency: 'first-write' } : { etag: current.etag });
        return;
      } catch (error) {
        if (!isEtagMismatch(error)) throw error;
      }
    }
    throw tooBusy(indexKey);
  }
}

/** A binding call refused because the stored version is not the one we named. */
function isEtagMismatch(error: unknown): boolean {
  // BindingError is not a global: recognise it by name and code.
  return error instanceof Error && error.name === 'BindingError' && (error as BindingError).code === 'ETAG_MISMATCH';
}

function conflict(current: Versioned<Todo>): HttpError {
  return new HttpError(
    409,
    'CONFLICT',
    `the todo changed since you read it: it is now at ETag ${entityTag(current.etag)}; apply your change to the current version (in details.current) and send it with that If-Match`,
    { current: current.value },
    { etag: entityTag(current.etag) },
  );
}

function tooBusy(key: string): HttpError {
  return new HttpError(503, 'BUSY', `"${key}" kept changing while we tried to write it (${maxAttempts} attempts); try again`, undefined, { 'retry-after': '1' });
}
