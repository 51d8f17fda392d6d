import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, TestApi, sleeperSource } from './e2e-helpers.js';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

// Limits and overload protection against a real `isola up`: a function's platform-wide
// maxInFlight and rateLimit (429 + Retry-After, async invocations wait instead of failing), a
// saturated platform (503 + Retry-After), and sync traffic next to an async backlog.

let platform: SpawnedPlatform;
let api: TestApi;


before(async () => {
  // One worker taking at most 4 invocations at once; async invocations get 2 of those.
  platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1', ISOLA_WORKER_MAX_INFLIGHT: '4', ISOLA_ASYNC_SLOTS: '2' } });
  api = new TestApi(platform.url, platform.token);
});
after(async () => {
  await platform?.stop();
});

async function callAll(paths: string[]): Promise<{ status: number; retryAfter: string | null; code: string | null }[]> {
  return Promise.all(
    paths.map(async (path) => {
      const response = await fetch(`${platform.url}${path}`);
      const text = await response.text();
      const code = response.status >= 400 ? ((JSON.parse(text) as { error: { code: string } }).error.code ?? null) : null;
      return { status: response.status, retryAfter: response.headers.get('retry-after'), code };
    }),
  );
}

describe('limits and overload', () => {
  test('maxInFlight: beyond it sync calls get 429 RATE_LIMITED with Retry-After, and the slots come back', async () => {
    await api.deploy('two-at-once', sleeperSource, { public: true, limits: { maxInFlight: 2 } });
    const answers = await callAll(Array.from({ length: 5 }, () => '/fn/two-at-once/?ms=2000'));
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 200, 429, 429, 429]);
    for (const answer of answers.filter((entry) => entry.status === 429)) {
      assert.equal(answer.code, 'RATE_LIMITED');
      assert.ok(Number(answer.retryAfter) >= 1, `Retry-After ${answer.retryAfter}`);
    }
    const later = await callAll(['/fn/two-at-once/?ms=0', '/fn/two-at-once/?ms=0']);
    assert.deepEqual(later.map((answer) => answer.status), [200, 200], 'released slots are free again');
  });

  test('rateLimit: the burst passes, then 429 with a Retry-After of when a token is back', async () => {
    await api.deploy('rationed', sleeperSource, { public: true, limits: { rateLimit: { qps: 0.2, burst: 3 } } });
    const answers = [];
    for (let call = 0; call < 5; call += 1) answers.push(...(await callAll(['/fn/rationed/'])));
    assert.deepEqual(answers.map((answer) => answer.status), [200, 200, 200, 429, 429]);
    const retryAfter = Number(answers[3]?.retryAfter);
    assert.ok(retryAfter >= 1 && retryAfter <= 5, `one token comes back within 1/qps = 5 s; Retry-After ${retryAfter}`);
  });

  test('async invocations over maxInFlight wait for a slot instead of failing: one at a time, each run once', async () => {
    await api.deploy('one-at-a-time', sleeperSource, { limits: { maxInFlight: 1 } });
    const ids = [];
    for (let index = 0; index < 4; index += 1) ids.push(await api.submit('/fn/one-at-a-time/?ms=300', `job ${index}`));
    const records = await Promise.all(ids.map((id) => api.finalRecord(id, 20_000)));
    assert.deepEqual(records.map((record) => record.status), ['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    assert.deepEqual(records.map((record) => record.attempts.length), [1, 1, 1, 1], 'waiting for a slot is not a try');
    const runs = records
      .map((record) => record.attempts[0] as unknown as { startedAt: string; durationMs: number })
      .map((attempt) => ({ start: Date.parse(attempt.startedAt), end: Date.parse(attempt.startedAt) + attempt.durationMs }))
      .sort((a, b) => a.start - b.start);
    for (let index = 1; index < runs.length; index += 1) {
      const previous = runs[index - 1] as { end: number };
      assert.ok((runs[index] as { start: number }).start >= previous.end - 5, `runs ${index - 1} and ${index} overlap: ${JSON.stringify(runs)}`);
    }
  });

  test('a saturated platform answers 503 OVERLOADED with Retry-After', async () => {
    await api.deploy('busy', sleeperSource, { public: true });
    const answers = await callAll(Array.from({ length: 7 }, () => '/fn/busy/?ms=2000'));
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 503, 503, 503], 'the worker takes 4 at once (ISOLA_WORKER_MAX_INFLIGHT)');
    for (const answer of answers.filter((entry) => entry.status === 503)) {
      assert.equal(answer.code, 'OVERLOADED');
      assert.equal(answer.retryAfter, '1');
    }
  });

  test('sync calls are served while an async backlog waits: the backlog gets only its slots', async () => {
    await api.deploy('backlog', sleeperSource, { async: { maxQueueDepth: 1000 } });
    await api.deploy('quick', 'export default { fetch: () => new Response("quick") };', { public: true });
    const submitted = await Promise.all(Array.from({ length: 60 }, (_unused, index) => api.submit('/fn/backlog/?ms=400', `backlog ${index}`)));
    assert.equal(submitted.length, 60);
    await eventually('the backlog to start running', async () => {
      const queues = (await api.call('GET', '/api/v1/queues')).json?.queues as { id: string; active: number }[];
      return (queues.find((queue) => queue.id === 'fn:backlog')?.active ?? 0) > 0 ? true : null;
    });
    for (let round = 0; round < 10; round += 1) {
      const answers = await callAll(['/fn/quick/', '/fn/quick/']);
      assert.deepEqual(answers.map((answer) => answer.status), [200, 200], `round ${round}`);
    }
    const queues = (await api.call('GET', '/api/v1/queues')).json?.queues as { id: string; waiting: number; active: number; delayed: number }[];
    const backlog = queues.find((queue) => queue.id === 'fn:backlog');
    assert.ok(backlog !== undefined && backlog.waiting + backlog.delayed > 30, `most of the backlog still waits: ${JSON.stringify(backlog)}`);
    assert.ok(backlog.active <= 2, 'no more async invocations run than ISOLA_ASYNC_SLOTS');
  });
});
