// todo-api: CRUD through a state binding, ETags and If-Match, validation. Runs against the
// shared platform of examples.test.ts, where `isola up --deploy-examples` deployed it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExamplePlatform } from '../../example-platform.js';

interface Todo {
  id: string;
  title: string;
  done: boolean;
  createdAt: string;
  updatedAt: string;
}

interface ErrorBody {
  error: { code: string; message: string; details?: { problems?: { path: string; message: string }[]; current?: Todo } };
}

export function exampleSpec(examples: ExamplePlatform): void {
  // Public: no token needed.
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    examples.request(method, `/fn/todo-api${path}`, { body, headers, token: false });

  describe('todo-api (JSON API with state)', () => {
    test('create, read, change with If-Match, list, delete', async () => {
      const created = await call('POST', '/todos', { title: '  Buy milk  ' });
      assert.equal(created.status, 201, created.text);
      const todo = created.json as Todo;
      assert.equal(todo.title, 'Buy milk', 'the title is trimmed');
      assert.equal(todo.done, false);
      assert.equal(created.headers.get('location'), `/fn/todo-api/todos/${todo.id}`);
      const firstTag = created.headers.get('etag');
      assert.match(firstTag ?? '', /^".+"$/);

      const read = await call('GET', `/todos/${todo.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.json, todo);
      assert.equal(read.headers.get('etag'), firstTag);

      const changed = await call('PATCH', `/todos/${todo.id}`, { done: true }, { 'if-match': firstTag as string });
      assert.equal(changed.status, 200, changed.text);
      assert.equal((changed.json as Todo).done, true);
      assert.equal((changed.json as Todo).title, 'Buy milk');
      const secondTag = changed.headers.get('etag');
      assert.notEqual(secondTag, firstTag, 'every write makes a new version');

      const listed = await call('GET', '/todos?done=true');
      assert.ok((listed.json as Todo[]).some((entry) => entry.id === todo.id && entry.done));
      const open = await call('GET', '/todos?done=false');
      assert.ok(!(open.json as Todo[]).some((entry) => entry.id === todo.id));

      const deleted = await call('DELETE', `/todos/${todo.id}`, undefined, { 'if-match': secondTag as string });
      assert.equal(deleted.status, 204, deleted.text);
      assert.equal((await call('GET', `/todos/${todo.id}`)).status, 404);
      assert.ok(!((await call('GET', '/todos')).json as Todo[]).some((entry) => entry.id === todo.id), 'gone from the list too');
    });

    test('a stale If-Match gets 409 with the current version; without If-Match the change applies to the latest', async () => {
      const created = await call('POST', '/todos', { title: 'Write report' });
      const { id } = created.json as Todo;
      const staleTag = created.headers.get('etag') as string;
      assert.equal((await call('PATCH', `/todos/${id}`, { title: 'Write the report' }, { 'if-match': staleTag })).status, 200);

      const stale = await call('PATCH', `/todos/${id}`, { done: true }, { 'if-match': staleTag });
      assert.equal(stale.status, 409, stale.text);
      const body = stale.json as ErrorBody;
      assert.equal(body.error.code, 'CONFLICT');
      assert.equal(body.error.details?.current?.title, 'Write the report');
      assert.notEqual(stale.headers.get('etag'), staleTag);
      assert.equal(((await call('GET', `/todos/${id}`)).json as Todo).done, false, 'the refused change was not written');

      const staleDelete = await call('DELETE', `/todos/${id}`, undefined, { 'if-match': staleTag });
      assert.equal(staleDelete.status, 409);
      assert.equal((await call('PATCH', `/todos/${id}`, { done: true }, { 'if-match': stale.headers.get('etag') as string })).status, 200);
      assert.equal((await call('PATCH', `/todos/${id}`, { title: 'Report sent' })).status, 200, 'no If-Match: last writer wins');
      assert.equal((await call('DELETE', `/todos/${id}`)).status, 204);
      assert.equal((await call('DELETE', `/todos/${id}`)).status, 404);
    });

    test('concurrent writers with the same If-Match: exactly one wins, the others get 409', async () => {
      const created = await call('POST', '/todos', { title: 'Contended' });
      const { id } = created.json as Todo;
      const tag = created.headers.get('etag') as string;
      const answers = await Promise.all(Array.from({ length: 5 }, (_unused, index) => call('PATCH', `/todos/${id}`, { title: `writer ${index}` }, { 'if-match': tag })));
      assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 409, 409, 409, 409], answers.map((answer) => answer.text).join('\n'));
      const winner = answers.find((answer) => answer.status === 200)?.json as Todo;
      assert.equal(((await call('GET', `/todos/${id}`)).json as Todo).title, winner.title);
    });

    test('concurrent creates all land in the list (the index is updated with etag retries)', async () => {
      const answers = await Promise.all(Array.from({ length: 8 }, (_unused, index) => call('POST', '/todos', { title: `parallel ${index}` })));
      assert.deepEqual(answers.map((answer) => answer.status), Array(8).fill(201), answers.map((answer) => answer.text).join('\n'));
      const ids = new Set(((await call('GET', '/todos')).json as Todo[]).map((todo) => todo.id));
      for (const answer of answers) assert.ok(ids.has((answer.json as Todo).id), `${(answer.json as Todo).title} is listed`);
    });

    test('bad input gets a 400 naming every problem; wrong content type 415; unknown routes 404, wrong methods 405', async () => {
      const invalid = await call('POST', '/todos', { done: 'yes', titel: 'typo' });
      assert.equal(invalid.status, 400);
      const body = invalid.json as ErrorBody;
      assert.equal(body.error.code, 'BAD_REQUEST');
      assert.deepEqual(body.error.details?.problems?.map((problem) => problem.path).sort(), ['done', 'title', 'titel'].sort());
      assert.match(body.error.message, /title: is required/);

      const tooLong = await call('POST', '/todos', { title: 'x'.repeat(201) });
      assert.equal(tooLong.status, 400);
      assert.match(tooLong.text, /at most 200 characters/);

      const notJson = await call('POST', '/todos', '{"title": ', { 'content-type': 'application/json' });
      assert.equal(notJson.status, 400);
      assert.match((notJson.json as ErrorBody).error.message, /not valid JSON/);

      const form = await call('POST', '/todos', 'title=milk', { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(form.status, 415);
      assert.match(form.text, /application\/json/);

      const { id } = (await call('POST', '/todos', { title: 'Patch me' })).json as Todo;
      const empty = await call('PATCH', `/todos/${id}`, {});
      assert.equal(empty.status, 400);
      assert.match(empty.text, /at least one of/);

      assert.equal((await call('GET', '/todos?done=maybe')).status, 400);
      assert.equal((await call('GET', '/nothing-here')).status, 404);
      assert.equal((await call('GET', '/todos/no-such-id')).status, 404);
      const wrongMethod = await call('PUT', '/todos', { title: 'x' });
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.get('allow'), 'GET, POST');
    });
  });
}
