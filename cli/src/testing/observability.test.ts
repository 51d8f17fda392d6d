import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

// Secrets, invocation records, logs (with the live tail) and metrics against a real `isola up`.
let redis: TestRedis;
let platform: SpawnedPlatform;
let raw: Redis;

const secretValue = 'sk_live_5f1e0c9a7b3d';

before(async () => {
  redis = await startTestRedis();
  // Info level: when the shutdown test fails, the platform's log shows which stop step it waited on
  // (it failed twice in ~10 fresh-clone runs with nothing logged at warn).
  platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1', REDIS_URL: redis.url, ISOLA_MAX_LOG_BYTES: '2048', ISOLA_LOG_LEVEL: 'info' } });
  raw = new Redis(redis.url);
  await deploy('vault', `export default {
    fetch(request, env) {
      console.log('calling the bank with', env.API_KEY);
      return new Response(env.API_KEY === undefined ? 'no key' : 'key of ' + env.API_KEY.length + ' characters');
    },
  };`);
  await deploy('echo', `export default {
    async fetch(request) {
      const url = new URL(request.url);
      const word = url.searchParams.get('word') ?? 'none';
      if (word === 'fail') throw new Error('asked to fail');
      if (word === 'flood') for (let i = 0; i < 200; i += 1) console.log('flood line ' + i + ' ' + 'x'.repeat(40));
      console.info('info ' + word);
      console.error('error ' + word);
      return Response.json({ word });
    },
  };`);
});
after(async () => {
  raw?.disconnect();
  await platform?.stop();
  await redis?.stop();
});

async function deploy(name: string, code: string) {
  const response = await api('POST', '/api/v1/functions', { manifest: { name, main: 'index.js', public: true }, files: { 'index.js': code } });
  assert.equal(response.status, 201, JSON.stringify(response.json));
}

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, json: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

async function call(name: string, query = '') {
  const response = await fetch(`${platform.url}/fn/${name}/${query}`);
  return { status: response.status, body: await response.text(), id: response.headers.get('x-isola-invocation-id') ?? '' };
}

/** Records are written a moment after the answer (batched off the hot path): wait for one. */
async function eventually<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    assert.ok(Date.now() < deadline, `${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function recordOf(id: string): Promise<Record<string, unknown>> {
  return eventually(`the record of ${id}`, async () => {
    const answer = await api('GET', `/api/v1/invocations/${id}`);
    return answer.status === 200 ? answer.json : null;
  });
}

describe('secrets', () => {
  test('a secret reaches env after PUT, is never shown or logged in clear, is sealed in Redis and goes away on DELETE', async () => {
    assert.equal((await call('vault')).body, 'no key');
    const put = await api('PUT', '/api/v1/functions/vault/secrets/API_KEY', { value: secretValue });
    assert.equal(put.status, 204, put.text);
    const seen = await eventually('the new secret reaching the function', async () => {
      const answer = await call('vault');
      return answer.body === `key of ${secretValue.length} characters` ? answer : null;
    });

    const shown = await api('GET', '/api/v1/functions/vault');
    assert.deepEqual(shown.json?.secrets, ['API_KEY']);
    const record = await recordOf(seen.id);
    const logs = await api('GET', '/api/v1/functions/vault/logs');
    assert.match(logs.text, /calling the bank with \[secret API_KEY redacted\]/);
    for (const text of [shown.text, JSON.stringify(record), logs.text, (await api('GET', '/api/v1/functions/vault/versions')).text, platform.output()]) {
      assert.ok(!text.includes(secretValue), 'a secret value appeared in an API answer or the platform log');
    }
    // At rest: no key or value anywhere in Redis holds the plaintext.
    const stored = await raw.hgetall('isola:fn:vault:secrets');
    assert.match(stored.API_KEY ?? '', /^v1:[0-9a-f]{8}:/);
    const dump = await dumpRedis(raw);
    assert.ok(!dump.includes(secretValue), 'the plaintext is in Redis');
    assert.equal(statSync(join(platform.dataDir, 'secret.key')).mode & 0o777, 0o600);

    const removed = await api('DELETE', '/api/v1/functions/vault/secrets/API_KEY');
    assert.equal(removed.status, 204);
    await eventually('the removed secret leaving env', async () => ((await call('vault')).body === 'no key' ? true : null));
    assert.equal((await api('DELETE', '/api/v1/functions/vault/secrets/API_KEY')).status, 404);
  });

  test('bad secret requests get clear 400s and unknown functions 404', async () => {
    const badName = await api('PUT', '/api/v1/functions/vault/secrets/lower_case', { value: 'x' });
    assert.equal(badName.status, 400);
    assert.match(badName.text, /params\.key|path\.key/);
    const empty = await api('PUT', '/api/v1/functions/vault/secrets/TOKEN', { value: '' });
    assert.equal(empty.status, 400);
    assert.match(empty.text, /to remove a secret, DELETE it/);
    const huge = await api('PUT', '/api/v1/functions/vault/secrets/TOKEN', { value: 'x'.repeat(64 * 1024 + 1) });
    assert.equal(huge.status, 400);
    assert.equal((await api('PUT', '/api/v1/functions/nosuch/secrets/TOKEN', { value: 'x' })).status, 404);
  });
});

describe('invocation records', () => {
  test('a record holds status, version, cold/warm, timings, attempts, result or error and a log excerpt', async () => {
    const good = await call('echo', '?word=alpha');
    assert.equal(good.status, 200);
    const bad = await call('echo', '?word=fail');
    assert.equal(bad.status, 502);
    const ok = await recordOf(good.id);
    assert.equal(ok.function, 'echo');
    assert.equal(ok.version, 1);
    assert.equal(ok.status, 'succeeded');
    assert.equal(ok.trigger, 'http');
    assert.equal(ok.httpStatus, 200);
    assert.equal(typeof ok.coldStart, 'boolean');
    assert.equal(typeof (ok.timings as { runMs: number }).runMs, 'number');
    assert.equal((ok.attempts as unknown[]).length, 1);
    assert.deepEqual(JSON.parse((ok.result as { body: string }).body), { word: 'alpha' });
    assert.deepEqual(
      (ok.logs as { level: string; message: string }[]).map((line) => [line.level, line.message]),
      [
        ['info', 'info alpha'],
        ['error', 'error alpha'],
      ],
    );
    const failed = await recordOf(bad.id);
    assert.equal(failed.status, 'failed');
    assert.match((failed.error as { message: string }).message, /asked to fail/);
    assert.equal((await api('GET', '/api/v1/invocations/00000000-0000-0000-0000-000000000000')).status, 404);
  });

  test('the list filters by status and pages newest first without repeats', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) ids.push((await call('echo', `?word=page${index}`)).id);
    await eventually('the records', async () => ((await api('GET', `/api/v1/invocations/${ids.at(-1)}`)).status === 200 ? true : null));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await api('GET', `/api/v1/functions/echo/invocations?status=succeeded&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
      assert.equal(page.status, 200, page.text);
      const records = page.json?.invocations as { id: string; status: string }[];
      assert.ok(records.length <= 2);
      assert.ok(records.every((record) => record.status === 'succeeded'));
      seen.push(...records.map((record) => record.id));
      cursor = page.json?.nextCursor as string | null;
    } while (cursor !== null);
    assert.deepEqual(seen.slice(0, 5), [...ids].reverse());
    assert.equal(new Set(seen).size, seen.length, 'a record was listed twice');
    const failed = await api('GET', '/api/v1/functions/echo/invocations?status=failed');
    assert.ok((failed.json?.invocations as { status: string }[]).every((record) => record.status === 'failed'));
    assert.equal((await api('GET', '/api/v1/functions/echo/invocations?status=sideways')).status, 400);
    assert.equal((await api('GET', '/api/v1/functions/echo/invocations?cursor=garbage')).status, 400);
    assert.equal((await api('GET', '/api/v1/functions/nosuch/invocations')).status, 404);
  });
});

describe('logs', () => {
  test('lines are stored with level, time, invocation and version, and queried by level, text and time', async () => {
    const before = Date.now();
    const { id } = await call('echo', '?word=needle');
    const lines = await eventually('the log lines', async () => {
      const answer = await api('GET', `/api/v1/functions/echo/logs?since=${before}&search=NEEDLE`);
      const found = answer.json?.lines as { message: string }[];
      return found.length === 2 ? found : null;
    });
    assert.deepEqual(
      lines.map((line) => line.message),
      ['info needle', 'error needle'],
    );
    assert.ok(lines.every((line) => (line as unknown as { invocationId: string }).invocationId === id));
    assert.ok(lines.every((line) => (line as unknown as { version: number }).version === 1));
    const errorsOnly = await api('GET', `/api/v1/functions/echo/logs?since=${before}&level=error`);
    assert.deepEqual(
      (errorsOnly.json?.lines as { message: string }[]).map((line) => line.message),
      ['error needle'],
    );
    const future = await api('GET', `/api/v1/functions/echo/logs?since=${Date.now() + 60_000}`);
    assert.deepEqual(future.json?.lines, []);
    assert.equal((await api('GET', '/api/v1/functions/echo/logs?level=loud')).status, 400);
    assert.equal((await api('GET', '/api/v1/functions/echo/logs?since=yesterday')).status, 400);
  });

  test('a dropped tail of output is marked, never silent', async () => {
    const before = Date.now();
    await call('echo', '?word=flood');
    const marked = await eventually('the truncation mark', async () => {
      const answer = await api('GET', `/api/v1/functions/echo/logs?since=${before}&limit=1000`);
      return (answer.json?.lines as { truncated?: true; message: string }[]).find((line) => line.truncated === true);
    });
    assert.match(marked.message, /truncated/);
  });

  test('follow=true delivers a new line as a Server-Sent Event within a second, and resumes after Last-Event-ID', async () => {
    const tail = await openTail('/api/v1/functions/echo/logs?follow=true&search=live');
    try {
      const latencies: number[] = [];
      let lastId = '';
      for (let round = 0; round < 5; round += 1) {
        const sent = performance.now();
        await call('echo', `?word=live${round}`);
        const event = await tail.next((data) => data.message === `info live${round}`);
        latencies.push(performance.now() - sent);
        lastId = event.id;
      }
      console.log(`SSE delivery (request sent → event received) ms: ${latencies.map((ms) => ms.toFixed(1)).join(', ')}`);
      assert.ok(Math.max(...latencies) < 1_000, `a line took ${Math.max(...latencies)} ms`);
      tail.close();

      await call('echo', '?word=missed');
      const resumed = await openTail('/api/v1/functions/echo/logs?follow=true&search=missed', { 'last-event-id': lastId });
      try {
        const event = await resumed.next((data) => data.message === 'info missed');
        assert.ok(event.id > lastId);
      } finally {
        resumed.close();
      }
    } finally {
      tail.close();
    }
  });
});

describe('metrics', () => {
  test("GET .../metrics counts the last hour's invocations, errors and cold starts with percentiles; /metrics has isola_ series", async () => {
    const metrics = await eventually('the metrics', async () => {
      const answer = await api('GET', '/api/v1/functions/echo/metrics');
      const total = answer.json?.total as { invocations: number; errors: number } | undefined;
      return total !== undefined && total.invocations >= 9 ? answer.json : null;
    });
    const total = metrics?.total as { invocations: number; errors: number; coldStarts: number; errorRate: number; p50Ms: number; p99Ms: number };
    assert.ok(total.errors >= 1);
    assert.ok(total.coldStarts >= 1);
    assert.ok(total.p50Ms > 0 && total.p99Ms >= total.p50Ms);
    assert.equal((metrics?.buckets as unknown[]).length, 60);
    assert.equal(metrics?.bucketSeconds, 60);

    const prometheus = await (await fetch(`${platform.url}/metrics`)).text();
    assert.match(prometheus, /isola_invocations_total\{function="echo",status="200",code=""\} \d+/);
    assert.match(prometheus, /isola_invocations_total\{function="echo",status="502",code="FUNCTION_ERROR"\} \d+/);
  });
});

async function dumpRedis(client: Redis): Promise<string> {
  const parts: string[] = [];
  for (const key of await client.keys('*')) {
    const type = await client.type(key);
    parts.push(key);
    if (type === 'string') parts.push((await client.get(key)) ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await client.hgetall(key)));
    else if (type === 'stream') parts.push(JSON.stringify(await client.xrange(key, '-', '+')));
    else if (type === 'zset') parts.push(JSON.stringify(await client.zrange(key, 0, -1)));
    else if (type === 'set') parts.push(JSON.stringify(await client.smembers(key)));
  }
  return parts.join('\n');
}

interface TailEvent {
  id: string;
  data: { message: string; [key: string]: unknown };
}

/** An SSE client on fetch: `next` waits for the first event matching a predicate. */
async function openTail(path: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const response = await fetch(`${platform.url}${path}`, { headers: { authorization: `Bearer ${platform.token}`, ...headers }, signal: abort.signal });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const events: TailEvent[] = [];
  async function next(matches: (data: TailEvent['data']) => boolean, timeoutMs = 3_000): Promise<TailEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = events.findIndex((event) => matches(event.data));
      if (found >= 0) return events.splice(0, found + 1).at(-1)!;
      assert.ok(Date.now() < deadline, `no matching event within ${timeoutMs} ms`);
      const chunk = await reader.read();
      assert.ok(!chunk.done, 'the stream ended');
      buffer += chunk.value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id !== undefined && data !== undefined) events.push({ id, data: JSON.parse(data) as TailEvent['data'] });
      }
    }
  }
  return { next, close: () => abort.abort() };
}

describe('live tail over HEAD', () => {
  test('HEAD with follow=true answers the stream\'s headers at once and ends (it has no body to wait for)', async () => {
    const response = await fetch(`${platform.url}/api/v1/functions/echo/logs?follow=true`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${platform.token}` },
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  });
});

describe('shutdown', () => {
  test('SIGTERM ends open live tails and the platform exits cleanly instead of waiting on them', async () => {
    const tail = await openTail('/api/v1/functions/echo/logs?follow=true');
    const exitCode = await platform.stop({ keepDataDir: false });
    // A tail that held the server open would get the platform SIGKILLed after 15 s: no exit code.
    // What it logged while stopping says what it waited on.
    assert.equal(exitCode, 0, `the platform did not exit cleanly; the end of its log:\n${platform.stderr().slice(-4000)}`);
    await assert.rejects(tail.next(() => false), /stream ended/);
    tail.close();
  });
});
