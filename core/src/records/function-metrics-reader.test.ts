import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { redisKeys } from '../store/keys.js';
import { startTestRedis, type TestRedis } from '../testing/test-redis.js';
import { FunctionMetricsReader, type MetricsBucket } from './function-metrics-reader.js';
import { InvocationRecorder } from './invocation-recorder.js';
import { latencyBucketIndex } from './latency-histogram.js';
import { RecordStore } from './record-store.js';
import { finishedInvocation } from './test-invocations.js';

let server: TestRedis;
let recorder: InvocationRecorder;
before(async () => {
  server = await startTestRedis();
  recorder = new InvocationRecorder(server.redis, { ttlSeconds: 3600, maxPerFunction: 10_000, flushIntervalMs: 1_000 });
});
after(async () => {
  await recorder.close();
  await server.stop();
});

const minute = 60_000;

function counts(bucket: MetricsBucket | undefined) {
  return bucket === undefined ? undefined : { start: bucket.start, invocations: bucket.invocations, errors: bucket.errors, coldStarts: bucket.coldStarts };
}

test('per-minute counts, errors, cold starts and percentiles of a known distribution', async () => {
  const now = Date.parse('2025-03-01T12:30:20.000Z');
  const tenMinutesAgo = Date.parse('2025-03-01T12:20:00.000Z');
  // 1,000 invocations of 1..1000 ms ten minutes ago: 10 failed, 5 answered 503 by the
  // function (errors too), 3 answered 404 (not errors), 7 cold.
  for (let ms = 1; ms <= 1000; ms += 1) {
    recorder.record(
      finishedInvocation({
        name: 'measured',
        elapsedMs: ms,
        startedAt: tenMinutesAgo + (ms % 60) * 1000,
        coldStart: ms <= 7,
        ...(ms <= 10 ? { error: { code: 'FUNCTION_ERROR', message: 'threw' } } : ms <= 15 ? { status: 503 } : ms <= 18 ? { status: 404 } : {}),
      }),
    );
  }
  // Two in the current minute, one 61 minutes ago (outside the hour).
  recorder.record(finishedInvocation({ name: 'measured', elapsedMs: 3, startedAt: now - 1_000 }));
  recorder.record(finishedInvocation({ name: 'measured', elapsedMs: 3, startedAt: now - 2_000, status: 500 }));
  recorder.record(finishedInvocation({ name: 'measured', elapsedMs: 3, startedAt: now - 61 * minute }));
  await server.redis.config('RESETSTAT');
  await recorder.flush();

  // Counters were added up in memory: one HINCRBY per touched field and minute, not per invocation.
  const stats = (await server.redis.info('commandstats')).match(/cmdstat_hincrby:calls=(\d+)/);
  assert.ok(Number(stats?.[1]) < 60, `hincrby calls: ${stats?.[1]}`);

  const metrics = await new FunctionMetricsReader(server.redis).lastHour('measured', now);
  assert.equal(metrics.bucketSeconds, 60);
  assert.equal(metrics.buckets.length, 60);
  assert.equal(metrics.buckets[0]?.start, '2025-03-01T11:31:00.000Z');
  assert.equal(metrics.buckets[59]?.start, '2025-03-01T12:30:00.000Z');
  const busy = metrics.buckets.find((bucket) => bucket.start === '2025-03-01T12:20:00.000Z');
  assert.deepEqual(counts(busy), { start: '2025-03-01T12:20:00.000Z', invocations: 1000, errors: 15, coldStarts: 7 });
  for (const [p, exact] of [
    ['p50Ms', 500],
    ['p95Ms', 950],
    ['p99Ms', 990],
  ] as const) {
    const estimate = busy?.[p] ?? 0;
    assert.equal(latencyBucketIndex(estimate), latencyBucketIndex(exact), `${p}: ${estimate} is not in the bucket of ${exact}`);
    assert.ok(estimate / exact < Math.SQRT2 && exact / estimate < Math.SQRT2);
  }
  assert.deepEqual(counts(metrics.buckets[59]), { start: '2025-03-01T12:30:00.000Z', invocations: 2, errors: 1, coldStarts: 0 });
  assert.equal(latencyBucketIndex(metrics.buckets[59]?.p50Ms ?? 0), latencyBucketIndex(3));
  const empty = metrics.buckets.filter((bucket) => bucket.invocations === 0);
  assert.equal(empty.length, 58);
  assert.ok(empty.every((bucket) => bucket.errors === 0 && bucket.coldStarts === 0 && bucket.p50Ms === 0 && bucket.p99Ms === 0));

  assert.equal(metrics.total.invocations, 1002);
  assert.equal(metrics.total.errors, 16);
  assert.equal(metrics.total.coldStarts, 7);
  assert.equal(metrics.total.errorRate, 16 / 1002);
  assert.equal(latencyBucketIndex(metrics.total.p50Ms), latencyBucketIndex(500));
  const ttl = await server.redis.ttl(redisKeys.functionMetrics('measured', tenMinutesAgo / 1000));
  assert.ok(ttl > 7000 && ttl <= 7200, `ttl ${ttl}`);
});

test('deleting a function removes its indexes, log stream and metrics; records expire on their own', async () => {
  const logLine = { level: 'log' as const, time: Date.now(), message: 'bye' };
  recorder.record(finishedInvocation({ name: 'doomed', id: 'doomed-1', logs: [logLine] }));
  recorder.record(finishedInvocation({ name: 'doomed', id: 'doomed-2', error: { code: 'FUNCTION_ERROR', message: 'x' }, startedAt: Date.now() - 90 * minute }));
  recorder.record(finishedInvocation({ name: 'kept', id: 'kept-1', logs: [logLine] }));
  await recorder.flush();
  const keys = await server.redis.keys('isola:fn:doomed:*');
  assert.ok(keys.length >= 5, keys.join(', '));

  const records = new RecordStore(server.redis);
  await records.deleteFunction('doomed');
  assert.deepEqual(await server.redis.keys('isola:fn:doomed:*'), []);
  assert.equal((await records.list('doomed')).invocations.length, 0);
  assert.equal((await records.get('doomed-1'))?.id, 'doomed-1');
  assert.equal((await records.list('kept')).invocations.length, 1);
  assert.equal(await server.redis.xlen(redisKeys.functionLogs('kept')), 1);
});

test("several functions' last hour come in one pipeline, each as lastHour reads it", async () => {
  const now = Date.now();
  for (let index = 0; index < 4; index += 1) recorder.record(finishedInvocation({ name: 'many-a', elapsedMs: 10, startedAt: now - index * minute }));
  recorder.record(finishedInvocation({ name: 'many-b', elapsedMs: 3, startedAt: now - 30 * minute, error: { code: 'FUNCTION_ERROR', message: 'x' } }));
  await recorder.flush();
  const reader = new FunctionMetricsReader(server.redis);
  const before = await commandCalls('hgetall');
  const many = await reader.lastHourOfEach(['many-a', 'many-b', 'many-none'], now);
  assert.equal((await commandCalls('hgetall')) - before, 3 * 60);
  assert.deepEqual([...many.keys()], ['many-a', 'many-b', 'many-none']);
  for (const name of ['many-a', 'many-b', 'many-none']) assert.deepEqual(many.get(name), await reader.lastHour(name, now), name);
  assert.equal(many.get('many-a')?.total.invocations, 4);
  assert.deepEqual([many.get('many-b')?.total.errors, many.get('many-b')?.total.errorRate], [1, 1]);
  assert.equal(many.get('many-none')?.total.invocations, 0);
  assert.deepEqual(await reader.lastHourOfEach([], now), new Map());
});

async function commandCalls(command: string): Promise<number> {
  const stats = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await server.redis.info('commandstats'));
  return Number(stats?.[1] ?? 0);
}
