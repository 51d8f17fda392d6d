// Runs {{name}} in the same sandbox as production (`npm test` runs `isola test`).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadFunction } from '@isola/cli/local';

/** The function's folder: the one above test/. */
const folder = new URL('..', import.meta.url);

let fn: Awaited<ReturnType<typeof loadFunction>>;

before(async () => {
  fn = await loadFunction(folder, { vars: { GREETING: 'Hi' } });
});
after(() => fn.close());

test('GET greets by the name in the query, and logs it', async () => {
  const response = await fn.fetch('/greet?name=Ada');
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { message: 'Hi, Ada!', path: '/greet' });
  assert.ok(fn.logs.some((line) => line.level === 'log' && line.message.startsWith('greeting Ada')));
});

test('POST takes the name from a JSON body', async () => {
  const response = await fn.fetch('/', { method: 'POST', body: JSON.stringify({ name: 'Grace' }), headers: { 'content-type': 'application/json' } });
  assert.equal(response.status, 201);
  assert.deepEqual(await response.json(), { message: 'Hi, Grace!' });
});

test('POST without a name is a 400 that says what to send', async () => {
  const response = await fn.fetch('/', { method: 'POST', body: 'not json' });
  assert.equal(response.status, 400);
  assert.match(((await response.json()) as { error: string }).error, /"name" string/);
});
