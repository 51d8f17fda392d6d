import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LogLevel, LogLine } from '../invocation/types.js';
import { startTestRedis, type TestRedis } from '../testing/test-redis.js';
import { InvocationRecorder } from './invocation-recorder.js';
import { LogStore } from './log-store.js';
import type { StoredLogLine } from './log-stream.js';
import { finishedInvocation } from './test-invocations.js';

let server: TestRedis;
let recorder: InvocationRecorder;
let logs: LogStore;
before(async () => {
  server = await startTestRedis();
  recorder = new InvocationRecorder(server.redis, { ttlSeconds: 3600, maxPerFunction: 10_000, flushIntervalMs: 1_000 });
  logs = new LogStore(server.redis, { connect: server.connect });
});
after(async () => {
  await recorder.close();
  await server.stop();
});

const line = (level: LogLevel, message: string): LogLine => ({ level, time: Date.now(), message });

test('a query selects lines by stored time, minimum level, text and invocation, oldest first', async () => {
  recorder.record(finishedInvocation({ name: 'q', id: 'first', logs: [line('debug', 'starting'), line('info', 'Fetching upstream'), line('error', 'upstream TIMEOUT')] }));
  await recorder.flush();
  await sleep(5);
  const between = Date.now();
  await sleep(5);
  recorder.record(finishedInvocation({ name: 'q', id: 'second', version: 2, logs: [line('log', 'hello'), line('warn', 'slow upstream')] }));
  await recorder.flush();

  const all = await logs.query('q');
  assert.deepEqual(all.lines.map((stored) => stored.message), ['starting', 'Fetching upstream', 'upstream TIMEOUT', 'hello', 'slow upstream']);
  assert.equal(all.more, false);
  const second = all.lines[3] as StoredLogLine;
  assert.deepEqual({ ...second, id: undefined, time: undefined }, { id: undefined, time: undefined, function: 'q', invocationId: 'second', version: 2, level: 'log', message: 'hello' });
  assert.match(second.id, /^\d+-\d+$/);

  const messages = async (options: Parameters<LogStore['query']>[1]) => (await logs.query('q', options)).lines.map((stored) => stored.message);
  assert.deepEqual(await messages({ since: between }), ['hello', 'slow upstream']);
  assert.deepEqual(await messages({ until: new Date(between).toISOString() }), ['starting', 'Fetching upstream', 'upstream TIMEOUT']);
  assert.deepEqual(await messages({ level: 'warn' }), ['upstream TIMEOUT', 'slow upstream']);
  assert.deepEqual(await messages({ level: 'info', search: 'UPSTREAM' }), ['Fetching upstream', 'upstream TIMEOUT', 'slow upstream']);
  assert.deepEqual(await messages({ invocationId: 'first', search: 'timeout' }), ['upstream TIMEOUT']);

  // Without `since`, the newest lines; with a line id as `since`, the page after it.
  const newest = await logs.query('q', { limit: 2 });
  assert.deepEqual(newest.lines.map((stored) => stored.message), ['hello', 'slow upstream']);
  assert.equal(newest.more, true);
  const firstPage = await logs.query('q', { since: 0, limit: 2 });
  assert.deepEqual(firstPage.lines.map((stored) => stored.message), ['starting', 'Fetching upstream']);
  assert.deepEqual(await messages({ since: firstPage.lines[1]?.id, limit: 2 }), ['upstream TIMEOUT', 'hello']);

  await assert.rejects(logs.query('q', { since: 'yesterday' }), /since must be epoch milliseconds/);
  await assert.rejects(logs.query('q', { limit: 1001 }), /limit must be an integer from 1 to 1000/);
  assert.deepEqual((await logs.query('nobody')).lines, []);
});

test('output the runtime truncated is followed by a warn line that says so', async () => {
  recorder.record(finishedInvocation({ name: 'chatty', id: 'cut', logs: [line('log', 'one'), line('log', 'two')], logsTruncated: true }));
  recorder.record(finishedInvocation({ name: 'chatty', id: 'whole', logs: [line('log', 'three')] }));
  await recorder.flush();
  const stored = (await logs.query('chatty')).lines;
  assert.deepEqual(
    stored.map((entry) => [entry.invocationId, entry.level, entry.truncated ?? false]),
    [
      ['cut', 'log', false],
      ['cut', 'log', false],
      ['cut', 'warn', true],
      ['whole', 'log', false],
    ],
  );
  assert.match(stored[2]?.message ?? '', /truncated/);
  assert.equal((await logs.query('chatty', { level: 'warn' })).lines[0]?.truncated, true);
});

test('follow delivers a line stored after it started within a second, and ends on abort closing its connection', async () => {
  const clientsBefore = await clientCount();
  const controller = new AbortController();
  const received: { line: StoredLogLine; at: number }[] = [];
  const following = (async () => {
    for await (const stored of logs.follow('tail', { signal: controller.signal, level: 'info' })) received.push({ line: stored, at: Date.now() });
  })();
  await waitFor(async () => (await clientCount()) === clientsBefore + 1);
  await sleep(1_200); // past one whole blocking read: lines must also arrive on a later one

  recorder.record(finishedInvocation({ name: 'tail', id: 'live', logs: [line('debug', 'filtered out'), line('info', 'live line')] }));
  await recorder.flush();
  const flushed = Date.now();
  await waitFor(async () => received.length > 0);
  assert.deepEqual(received.map((entry) => [entry.line.invocationId, entry.line.message]), [['live', 'live line']]);
  assert.ok((received[0]?.at ?? Infinity) - flushed < 1_000, `took ${(received[0]?.at ?? Infinity) - flushed} ms`);

  const aborted = Date.now();
  controller.abort();
  await following;
  assert.ok(Date.now() - aborted < 500, 'the follow ends at once, not after its blocking read');
  await waitFor(async () => (await clientCount()) === clientsBefore);
});

test('follow resumes after a given line id', async () => {
  recorder.record(finishedInvocation({ name: 'resume', id: 'a', logs: [line('log', 'one'), line('log', 'two'), line('log', 'three')] }));
  await recorder.flush();
  const stored = (await logs.query('resume')).lines;
  const controller = new AbortController();
  const messages: string[] = [];
  for await (const entry of logs.follow('resume', { signal: controller.signal, after: stored[0]?.id })) {
    messages.push(entry.message);
    if (messages.length === 2) controller.abort();
  }
  assert.deepEqual(messages, ['two', 'three']);
});

async function clientCount(): Promise<number> {
  const list = (await server.redis.client('LIST')) as string;
  return list.trim().split('\n').length;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test('bounds at the ends of the id space, or past them, answer empty or BAD_REQUEST rather than a Redis error', async () => {
  recorder.record(finishedInvocation({ name: 'edges', id: 'one', logs: [line('info', 'only')] }));
  await recorder.flush();
  // Nothing is before 0-0 nor after the largest id; Redis refuses such exclusive ranges.
  assert.deepEqual(await logs.query('edges', { until: '0-0' }), { lines: [], more: false });
  assert.deepEqual(await logs.query('edges', { until: '000-00' }), { lines: [], more: false });
  assert.deepEqual(await logs.query('edges', { since: '18446744073709551615-18446744073709551615' }), { lines: [], more: false });
  assert.equal((await logs.query('edges', { since: '0-0' })).lines.length, 1);
  await assert.rejects(logs.query('edges', { until: '1-18446744073709551616' }), (error: Error & { code?: string }) => error.code === 'BAD_REQUEST');
  await assert.rejects(logs.query('edges', { since: '999999999999999-99999999999999999999' }), (error: Error & { code?: string }) => error.code === 'BAD_REQUEST');
  const follow = logs.follow('edges', { after: '1-18446744073709551616', signal: new AbortController().signal });
  await assert.rejects(follow.next(), (error: Error & { code?: string }) => error.code === 'BAD_REQUEST');
});
