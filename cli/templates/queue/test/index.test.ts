// Runs {{name}} in the same sandbox as production, with in-memory bindings (`npm test` runs `isola test`).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadFunction } from '@isola/cli/local';

/** The function's folder: the one above test/. */
const folder = new URL('..', import.meta.url);

let fn: Awaited<ReturnType<typeof loadFunction>>;

before(async () => {
  fn = await loadFunction(folder);
});
after(() => fn.close());

test('a batch: good jobs are acked and recorded, a job that cannot be sent yet is retried, garbage is dropped', async () => {
  const result = await fn.queue('{{name}}-jobs', [
    { body: { id: 'a', email: 'ada@example.com' } },
    { body: { id: 'b', email: 'not-an-address' } },
    { body: 'garbage' },
  ]);
  assert.equal(result.acked.length, 2);
  assert.equal(result.retried.length, 1);
  assert.deepEqual(
    { ...((await fn.state('STATE').get('sent:a')) as object), sentAt: 'any' },
    { id: 'a', email: 'ada@example.com', sentAt: 'any' },
  );
  assert.equal(await fn.state('STATE').get('sent:b'), null);
  assert.equal(((await (await fn.fetch('/a')).json()) as { email: string }).email, 'ada@example.com');
  assert.equal((await fn.fetch('/b')).status, 404);
  assert.ok(fn.logs.some((line) => line.level === 'error' && /is not a job/.test(line.message)));
});

test('POST enqueues a valid job and refuses anything else', async () => {
  const queued = await fn.fetch('/', { method: 'POST', body: JSON.stringify({ id: 'c', email: 'c@example.com' }) });
  assert.equal(queued.status, 202);
  assert.deepEqual(await queued.json(), { queued: 'c' });

  const refused = await fn.fetch('/', { method: 'POST', body: JSON.stringify({ id: 'd' }) });
  assert.equal(refused.status, 400);
});
