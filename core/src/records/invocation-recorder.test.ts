import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { LogLine } from '../invocation/types.js';
import { redisKeys } from '../store/keys.js';
import { startTestRedis, type TestRedis } from '../testing/test-redis.js';
import { recordLimits } from './invocation-record.js';
import { InvocationRecorder } from './invocation-recorder.js';
import { RecordStore } from './record-store.js';
import { finishedInvocation } from './test-invocations.js';

let server: TestRedis;
before(async () => {
  server = await startTestRedis();
});
after(async () => {
  await server.stop();
});

const ttlSeconds = 3600;

test('recorded invocations are written by the timer and read back by id, newest first, filtered by status', async () => {
  const recorder = new InvocationRecorder(server.redis, { ttlSeconds, maxPerFunction: 1000, flushIntervalMs: 20 });
  const store = new RecordStore(server.redis);
  const start = Date.now() - 10_000;
  recorder.record(finishedInvocation({ name: 'by-status', id: 'ok-1', startedAt: start, body: 'hello' }));
  recorder.record(finishedInvocation({ name: 'by-status', id: 'failed-1', startedAt: start + 1, error: { code: 'FUNCTION_ERROR', message: 'boom' } }));
  recorder.record(finishedInvocation({ name: 'by-status', id: 'ok-2', startedAt: start + 2, status: 500 }));
  assert.equal(recorder.buffered, 3);

  // No flush() call: the timer writes them.
  const deadline = Date.now() + 2_000;
  while ((await store.get('ok-2')) === null && Date.now() < deadline) await sleep(10);
  const okRecord = await store.get('ok-1');
  assert.equal(okRecord?.result?.body, 'hello');
  assert.equal(okRecord?.function, 'by-status');
  assert.equal(okRecord?.startedAt, new Date(start).toISOString());
  assert.equal(await store.get('missing'), null);

  const all = await store.list('by-status');
  assert.deepEqual(all.invocations.map((record) => record.id), ['ok-2', 'failed-1', 'ok-1']);
  assert.equal(all.nextCursor, null);
  const failed = await store.list('by-status', { status: 'failed' });
  assert.deepEqual(failed.invocations.map((record) => [record.id, record.status, record.httpStatus]), [['failed-1', 'failed', 502]]);
  const succeeded = await store.list('by-status', { status: 'succeeded' });
  assert.deepEqual(succeeded.invocations.map((record) => [record.id, record.httpStatus]), [['ok-2', 500], ['ok-1', 200]]);
  await recorder.close();
});

test('pages continue where they left off while new records arrive, ties in start time included', async () => {
  const recorder = new InvocationRecorder(server.redis, { ttlSeconds, maxPerFunction: 1000, flushIntervalMs: 1_000 });
  const store = new RecordStore(server.redis);
  const start = Date.now() - 60_000;
  // 25 records, three at a time share a start millisecond.
  const ids = Array.from({ length: 25 }, (_, index) => `paged-${String(index).padStart(2, '0')}`);
  ids.forEach((id, index) => recorder.record(finishedInvocation({ name: 'paged', id, startedAt: start + Math.floor(index / 3) })));
  await recorder.flush();

  const seen: string[] = [];
  let page = await store.list('paged', { limit: 10 });
  seen.push(...page.invocations.map((record) => record.id));
  let arrived = 0;
  while (page.nextCursor !== null) {
    // Newer records arrive between pages.
    for (let extra = 0; extra < 4; extra += 1) recorder.record(finishedInvocation({ name: 'paged', id: `new-${arrived++}`, startedAt: Date.now() }));
    await recorder.flush();
    page = await store.list('paged', { limit: 10, cursor: page.nextCursor });
    seen.push(...page.invocations.map((record) => record.id));
  }
  assert.deepEqual(seen, [...ids].reverse());
  assert.ok(arrived > 0);
  await assert.rejects(store.list('paged', { cursor: 'not a cursor' }), /cursor is not valid/);
  await assert.rejects(store.list('paged', { cursor: 'bm9wZQ' }), /cursor is not valid/);
  await assert.rejects(store.list('paged', { limit: 201 }), /limit must be an integer from 1 to 200/);
  await recorder.close();
});

test('pages within a start-time range hold nothing outside it, ties at its bounds included; paging ends at its oldest record', async () => {
  const recorder = new InvocationRecorder(server.redis, { ttlSeconds, maxPerFunction: 1000, flushIntervalMs: 1_000 });
  const store = new RecordStore(server.redis);
  const start = Date.now() - 60_000;
  // 30 records, three at a time share a start millisecond; every other one failed.
  const ids = Array.from({ length: 30 }, (_, index) => `ranged-${String(index).padStart(2, '0')}`);
  ids.forEach((id, index) =>
    recorder.record(finishedInvocation({ name: 'ranged', id, startedAt: start + Math.floor(index / 3), ...(index % 2 === 0 ? { error: { code: 'FUNCTION_ERROR', message: 'x' } } : {}) })),
  );
  await recorder.flush();
  const since = start + 2;
  const until = start + 7;
  const inRange = ids.slice(6, 24).reverse();
  const all = async (options: Parameters<RecordStore['list']>[1]) => {
    const seen: string[] = [];
    let page = await store.list('ranged', options);
    seen.push(...page.invocations.map((record) => record.id));
    let pages = 1;
    while (page.nextCursor !== null) {
      page = await store.list('ranged', { ...options, cursor: page.nextCursor });
      seen.push(...page.invocations.map((record) => record.id));
      pages += 1;
    }
    return { seen, pages };
  };
  assert.deepEqual(await all({ since, until, limit: 4 }), { seen: inRange, pages: 5 });
  // A page that ends exactly at the range's oldest record is the last one.
  assert.deepEqual(await all({ since, until, limit: 6 }), { seen: inRange, pages: 3 });
  assert.deepEqual((await all({ since, limit: 7 })).seen, ids.slice(6).reverse());
  assert.deepEqual((await all({ until, limit: 7 })).seen, ids.slice(0, 24).reverse());
  assert.deepEqual((await all({ since, until, status: 'failed', limit: 2 })).seen, inRange.filter((id) => Number(id.slice(-2)) % 2 === 0));
  assert.deepEqual((await all({ since: start + 4, until: start + 4 })).seen, ['ranged-14', 'ranged-13', 'ranged-12']);

  // A cursor whose record left the index continues by score, still within the range.
  const first = await store.list('ranged', { since, until, limit: 4 });
  await server.redis.zrem(redisKeys.functionInvocations('ranged'), first.invocations.at(-1)?.id ?? '');
  const next = await store.list('ranged', { since, until, limit: 100, cursor: first.nextCursor ?? '' });
  assert.deepEqual(next.invocations.map((record) => record.id), inRange.slice(6));
  assert.equal(next.nextCursor, null);
  // A cursor from beyond the range (another query's) starts at the range's newest record.
  const unbounded = await store.list('ranged', { limit: 3 });
  const narrowed = await store.list('ranged', { until, limit: 3, cursor: unbounded.nextCursor ?? '' });
  assert.deepEqual(narrowed.invocations.map((record) => record.id), ['ranged-23', 'ranged-22', 'ranged-21']);

  await assert.rejects(store.list('ranged', { since: until, until: since }), /since .* is after until/);
  await assert.rejects(store.list('ranged', { since: Number.NaN }), /since must be a time/);
  await recorder.close();
});

test('records expire after the TTL; indexes are trimmed by count and by age', async () => {
  const recorder = new InvocationRecorder(server.redis, { ttlSeconds, maxPerFunction: 5, flushIntervalMs: 1_000 });
  const now = Date.now();
  recorder.record(finishedInvocation({ name: 'trimmed', id: 'too-old', startedAt: now - (ttlSeconds + 60) * 1000 }));
  for (let index = 0; index < 8; index += 1) {
    recorder.record(finishedInvocation({ name: 'trimmed', id: `t-${index}`, startedAt: now - 1000 + index, ...(index % 2 === 0 ? { error: { code: 'FUNCTION_ERROR', message: 'x' } } : {}) }));
  }
  await recorder.flush();
  const ttl = await server.redis.ttl(redisKeys.invocationRecord('t-0'));
  assert.ok(ttl > ttlSeconds - 10 && ttl <= ttlSeconds, `ttl ${ttl}`);
  assert.deepEqual(await server.redis.zrange(redisKeys.functionInvocations('trimmed'), 0, -1), ['t-3', 't-4', 't-5', 't-6', 't-7']);
  assert.deepEqual(await server.redis.zrange(redisKeys.functionInvocationsByStatus('trimmed', 'failed'), 0, -1), ['t-0', 't-2', 't-4', 't-6']);
  assert.ok((await server.redis.ttl(redisKeys.functionInvocations('trimmed'))) > 0);
  const page = await new RecordStore(server.redis).list('trimmed');
  assert.deepEqual(page.invocations.map((record) => record.id), ['t-7', 't-6', 't-5', 't-4', 't-3']);
  await recorder.close();
});

test('a stored record stays under 16 KiB with a 6 MB body and 1,000 log lines', async () => {
  const recorder = new InvocationRecorder(server.redis, { ttlSeconds, maxPerFunction: 1000 });
  const logs: LogLine[] = Array.from({ length: 1000 }, (_, index) => ({ level: 'info', time: Date.now(), message: `line ${index} ${'"'.repeat(200)}` }));
  recorder.record(finishedInvocation({ name: 'huge', id: 'huge-1', body: new Uint8Array(6 * 1024 * 1024).fill(0x22), logs }));
  await recorder.close();
  const bytes = await server.redis.strlen(redisKeys.invocationRecord('huge-1'));
  assert.ok(bytes > 4096 && bytes <= recordLimits.recordBytes, `record is ${bytes} bytes`);
  const record = await new RecordStore(server.redis).get('huge-1');
  assert.equal(record?.result?.bodyBytes, 6 * 1024 * 1024);
  assert.equal(record?.result?.bodyTruncated, true);
  assert.equal(record?.logsTruncated, true);
  // Every line still reaches the stream.
  assert.equal(await server.redis.xlen(redisKeys.functionLogs('huge')), 1000);
});

test('a malformed input or one recorded after close is counted as dropped, never thrown', async () => {
  const recorder = new InvocationRecorder(server.redis, { ttlSeconds, maxPerFunction: 1000 });
  assert.doesNotThrow(() => recorder.record({} as Parameters<InvocationRecorder['record']>[0]));
  await recorder.close();
  assert.doesNotThrow(() => recorder.record(finishedInvocation({ name: 'late' })));
  assert.equal(recorder.dropped, 2);
  assert.equal(await server.redis.exists(redisKeys.functionInvocations('late')), 0);
});

test('with Redis stopped, the buffer keeps the newest invocations, counts the dropped ones and never throws', async () => {
  const own = await startTestRedis();
  own.redis.on('error', () => undefined);
  const port = Number(new URL(own.url).port);
  const client = new Redis(own.url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (warnings.push(chunk.toString()), done()) }));
  const recorder = new InvocationRecorder(client, { ttlSeconds, maxPerFunction: 1000, flushIntervalMs: 10, maxBuffered: 10, logger });
  let replacement: ReturnType<typeof spawn> | undefined;
  const replacementDir = mkdtempSync(join(tmpdir(), 'isola-test-redis-again-'));
  try {
    await own.redis.shutdown('NOSAVE').catch(() => undefined);
    const start = Date.now();
    for (let index = 0; index < 25; index += 1) {
      assert.doesNotThrow(() => recorder.record(finishedInvocation({ name: 'offline', id: `off-${index}`, startedAt: start + index })));
    }
    await recorder.flush(); // resolves although Redis is gone
    assert.equal(recorder.dropped, 15);
    assert.equal(recorder.buffered, 10);
    assert.ok(warnings.some((line) => line.includes('"dropped":15')), warnings.join('\n'));

    // Redis comes back on the same port: the kept invocations are written.
    replacement = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', replacementDir], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (recorder.buffered > 0 && Date.now() < deadline) await sleep(50);
    const ids = (await new RecordStore(client).list('offline', { limit: 50 })).invocations.map((record) => record.id);
    assert.deepEqual(ids, Array.from({ length: 10 }, (_, index) => `off-${24 - index}`));
    await recorder.close();
  } finally {
    client.disconnect();
    replacement?.kill('SIGKILL');
    await own.stop();
    rmSync(replacementDir, { recursive: true, force: true });
  }
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
