// A JSON API with state: CRUD on todos.
//
//   GET    /todos[?done=true|false]   list
//   POST   /todos                     create        {"title": "...", "done": false}
//   GET    /todos/{id}                read          answers with an ETag
//   PATCH  /todos/{id}                change        {"title"?, "done"?}; If-Match optional
//   DELETE /todos/{id}                delete        If-Match optional
//
// Errors are JSON like the platform's own: {"error": {"code", "message", "details"?}}.
import type { ExportedHandler, StateBinding } from '@isola/types';
import { entityTag, HttpError, readJson } from './http.js';
import { TodoStore, type Todo, type Versioned } from './todos.js';
import { parseNewTodo, parseTodoChanges } from './validation.js';

interface Env {
  TODOS: StateBinding;
}

export default {
  async fetch(request, env) {
    try {
      return await route(request, new TodoStore(env.TODOS));
    } catch (error) {
      if (error instanceof HttpError) return error.toResponse();
      throw error; // anything else is a bug: the platform answers 502 and logs it
    }
  },
} satisfies ExportedHandler<Env>;

async function route(request: Request, store: TodoStore): Promise<Response> {
  const url = new URL(request.url);
  // The HTTP trigger passes the whole path, /fn/todo-api/todos/42: routes are matched on the rest.
  const path = url.pathname.replace(/^\/fn\/[^/]+/, '').replace(/\/+$/, '') || '/';
  const now = new Date().toISOString();

  if (path === '/todos') {
    if (request.method === 'GET') return Response.json(filterByDone(await store.list(), url.searchParams.get('done')));
    if (request.method === 'POST') {
      const created = await store.create(parseNewTodo(await readJson(request)), now);
      return withTag(created, 201, { location: `${url.pathname.replace(/\/+$/, '')}/${created.value.id}` });
    }
    throw methodNotAllowed(request.method, 'GET, POST');
  }

  const match = /^\/todos\/([^/]+)$/.exec(path);
  if (match !== null) {
    const id = match[1] as string;
    const ifMatch = request.headers.get('if-match');
    switch (request.method) {
      case 'GET':
        return withTag(await store.get(id));
      case 'PATCH':
        return withTag(await store.update(id, parseTodoChanges(await readJson(request)), ifMatch, now));
      case 'DELETE':
        await store.delete(id, ifMatch);
        return new Response(null, { status: 204 });
      default:
        throw methodNotAllowed(request.method, 'GET, PATCH, DELETE');
    }
  }

  throw new HttpError(404, 'NOT_FOUND', `no route for ${request.method} ${path}; try GET /todos`);
}

function withTag(todo: Versioned<Todo>, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(todo.value, { status, headers: { etag: entityTag(todo.etag), ...headers } });
}

function filterByDone(todos: Todo[], done: string | null): Todo[] {
  if (done === null) return todos;
  if (done !== 'true' && done !== 'false') throw new HttpError(400, 'BAD_REQUEST', `?done= must be true or false, got "${done}"`);
  return todos.filter((todo) => todo.done === (done === 'true'));
}

function methodNotAllowed(method: string, allowed: string): HttpError {
  return new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allowed}`, undefined, { allow: allowed });
}
