import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { TestApi } from './e2e-helpers.js';
import { spawnRole, workerPids, type SpawnedRole } from './spawn-platform.js';

// At least once, under fire: 1,000 async invocations through a gateway while worker processes
// are SIGKILLed at random, a whole worker node is killed and replaced, and Redis (append-only
// file on) is restarted once. Every invocation must reach a final state, and succeed.

const invocations = 1_000;
const token = `test_${randomBytes(16).toString('hex')}`;
let redis: TestRedis;
const roles: SpawnedRole[] = [];

after(async () => {
  await Promise.all(roles.map((role) => role.stop(5_000)));
  await redis?.stop();
});

/** Submits with an Idempotency-Key, again and again until accepted (Redis may be restarting). */
async function submitUntilAccepted(api: TestApi, index: number): Promise<{ id: string; refusals: number }> {
  let refusals = 0;
  for (;;) {
    try {
      const answer = await api.call('POST', '/fn/chaos/', `job ${index}`, { 'content-type': 'text/plain', 'x-isola-invoke': 'async', 'idempotency-key': `chaos-${index}` }, 10_000);
      if (answer.status === 202) return { id: answer.json?.invocationId as string, refusals };
      assert.ok(answer.status === 503 || answer.status === 500, `submission ${index}: ${answer.status} ${answer.text}`);
    } catch {
      // The connection broke: as a client would, try again with the same key.
    }
    refusals += 1;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('1,000 async invocations survive SIGKILLed workers, a killed node and a Redis restart: each runs to success', { timeout: 240_000 }, async () => {
  redis = await startTestRedis();
  const env = {
    REDIS_URL: redis.url,
    ISOLA_SECRET_KEY: randomBytes(32).toString('base64'),
    ISOLA_ADMIN_TOKEN: token,
    ISOLA_WORKERS: '2',
    ISOLA_QUEUE_LOCK_MS: '2000',
    ISOLA_QUEUE_STALLED_INTERVAL_MS: '1000',
    ISOLA_LOG_LEVEL: 'error',
  };
  const nodes = await Promise.all([spawnRole('worker', env), spawnRole('worker', env)]);
  const gateway = await spawnRole('gateway', env);
  roles.push(...nodes, gateway);
  const api = new TestApi(gateway.url, token);
  await api.deploy(
    'chaos',
    `export default { async fetch(request) {
      const body = await request.text();
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
      return new Response('done ' + body);
    } };`,
    { async: { retries: 10, backoff: { baseMs: 50, maxMs: 1000 }, maxQueueDepth: 100_000 } },
  );

  const started = Date.now();
  let killed = 0;
  let chaosOn = true;
  const killer = (async () => {
    while (chaosOn) {
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 400));
      const live = roles.filter((role) => role.nodeId !== null && role.process.exitCode === null && role.process.signalCode === null);
      const pids = live.flatMap((node) => workerPids(node));
      const victim = pids[Math.floor(Math.random() * pids.length)];
      if (victim === undefined) continue;
      try {
        process.kill(victim, 'SIGKILL');
        killed += 1;
      } catch {
        // Gone already.
      }
    }
  })();

  const submitted: { id: string; refusals: number }[] = [];
  const submitting = (async () => {
    for (let batch = 0; batch < invocations; batch += 50) {
      const ids = await Promise.all(Array.from({ length: Math.min(50, invocations - batch) }, (_unused, offset) => submitUntilAccepted(api, batch + offset)));
      submitted.push(...ids);
    }
  })();

  // Midway: a whole node dies and another takes its place; then Redis restarts.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const doomed = roles.find((role) => role === nodes[0]) as SpawnedRole;
  await doomed.kill();
  roles.push(await spawnRole('worker', env));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await redis.restart(1_000);
  const restartedAt = Date.now() - started;

  await submitting;
  console.log(`chaos progress at ${Date.now() - started} ms: all ${invocations} submitted`);
  let lastProgress = Date.now();
  const ids = submitted.map((entry) => entry.id);
  assert.equal(new Set(ids).size, invocations, 'one invocation per Idempotency-Key');

  const pending = new Set(ids);
  const statuses = new Map<string, number>();
  const attempts = new Map<number, number>();
  const deadline = Date.now() + 180_000;
  while (pending.size > 0) {
    assert.ok(Date.now() < deadline, `${pending.size} invocations never reached a final state (stuck): ${[...pending].slice(0, 5).join(', ')}`);
    await Promise.all(
      [...pending].slice(0, 200).map(async (id) => {
        const answer = await api.call('GET', `/api/v1/invocations/${id}`, undefined, {}, 10_000).catch(() => null);
        const status = answer?.json?.status;
        if (answer?.status !== 200 || (status !== 'succeeded' && status !== 'failed')) return;
        pending.delete(id);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const tries = (answer.json?.attempts as unknown[]).length;
        attempts.set(tries, (attempts.get(tries) ?? 0) + 1);
      }),
    );
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    if (Date.now() - lastProgress > 5_000) {
      lastProgress = Date.now();
      const queues = (await api.call('GET', '/api/v1/queues', undefined, {}, 10_000).catch(() => null))?.json?.queues as { id: string }[] | undefined;
      console.log(`chaos progress at ${Date.now() - started} ms: ${pending.size} not final, ${killed} killed, queue ${JSON.stringify(queues?.find((queue) => queue.id === 'fn:chaos'))}`);
    }
  }
  chaosOn = false;
  await killer;
  const elapsed = Date.now() - started;
  const refusals = submitted.reduce((sum, entry) => sum + entry.refusals, 0);
  console.log(
    `chaos: ${invocations} invocations final after ${elapsed} ms; ${killed} worker processes SIGKILLed, one node killed, Redis restarted at ${restartedAt} ms; ` +
      `${refusals} submissions refused and retried; tries per invocation ${JSON.stringify(Object.fromEntries([...attempts].sort((a, b) => a[0] - b[0])))}`,
  );
  assert.deepEqual(Object.fromEntries(statuses), { succeeded: invocations });
  assert.ok(killed > 0, 'worker processes were killed');
});
