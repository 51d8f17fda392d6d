// Runs {{name}} in the same sandbox as production, with an in-memory state store (`npm test`
// runs `isola test`).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadFunction } from '@isola/cli/local';
import type { Note } from '../src/notes.js';

/** The function's folder: the one above test/. */
const folder = new URL('..', import.meta.url);

let fn: Awaited<ReturnType<typeof loadFunction>>;

before(async () => {
  fn = await loadFunction(folder, {
    vars: { MAX_NOTE_LENGTH: '20' },
    state: { NOTES: { 'note:seeded': { id: 'seeded', text: 'from the test', tags: [], updatedAt: '2024-01-01T00:00:00.000Z' } } },
  });
});
after(() => fn.close());

test('PUT stores a note (trimmed, tags sorted and unique), GET returns it, DELETE removes it', async () => {
  const put = await fn.fetch('/notes/shopping', { method: 'PUT', body: JSON.stringify({ text: ' milk ', tags: ['b', 'a', 'b'] }) });
  assert.equal(put.status, 200);
  const stored = (await fn.state('NOTES').get('note:shopping')) as Note;
  // What the function printed with console.log, as the platform records it.
  assert.ok(fn.logs.some((line) => line.message === 'stored note shopping (4 characters)'), JSON.stringify(fn.logs));
  assert.deepEqual({ ...stored, updatedAt: 'any' }, { id: 'shopping', text: 'milk', tags: ['a', 'b'], updatedAt: 'any' });

  assert.deepEqual(await (await fn.fetch('/notes/shopping')).json(), stored);
  assert.equal((await fn.fetch('/notes/shopping', { method: 'DELETE' })).status, 204);
  assert.equal((await fn.fetch('/notes/shopping')).status, 404);
});

test('state given to loadFunction is there from the start', async () => {
  const response = await fn.fetch('/notes/seeded');
  assert.equal(((await response.json()) as Note).text, 'from the test');
});

test('invalid notes are 400s that say what is wrong', async () => {
  const cases: [body: string, message: RegExp][] = [
    ['not json', /send a JSON object/],
    [JSON.stringify({ text: '' }), /"text" must be a non-empty string/],
    [JSON.stringify({ text: 'x'.repeat(21) }), /longer than 20 characters/],
    [JSON.stringify({ text: 'ok', tags: [1] }), /"tags" must be an array of strings/],
  ];
  for (const [body, message] of cases) {
    const response = await fn.fetch('/notes/bad', { method: 'PUT', body });
    assert.equal(response.status, 400, body);
    assert.match(((await response.json()) as { error: string }).error, message);
  }
});

test('paths that are not a note are 404s', async () => {
  assert.equal((await fn.fetch('/elsewhere')).status, 404);
  assert.equal((await fn.fetch('/notes/Not_An_Id')).status, 404);
});
