import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { eventually, TestApi } from './e2e-helpers.js';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

// Async invocations end to end against a real `isola up` (BullMQ on its private Redis, real workers).
let platform: SpawnedPlatform;
let sink: Server;
let sinkUrl: string;
const callbacks: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[] = [];
let sinkStatus = 500;

before(async () => {
  sink = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      // The first delivery is refused, to see the callback retried.
      const status = sinkStatus;
      sinkStatus = 200;
      if (status === 200) callbacks.push({ headers: request.headers, body: JSON.parse(body) as Record<string, unknown> });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/done`;
  platform = await spawnPlatform({
    env: { ISOLA_WORKERS: '1', ISOLA_ASYNC_SLOTS: '2', ISOLA_ASYNC_MAX_BODY_BYTES: '2048', ISOLA_CALLBACK_ALLOWED_HOSTS: `127.0.0.1:${(sink.address() as AddressInfo).port}` },
  });
  const fast = { retries: 2, backoff: { baseMs: 50, maxMs: 200 } };
  // Fails its first two tries per body, then answers: module state lives in the one warm instance.
  await deploy('flaky', { async: fast }, `const tries = new Map();
    export default { async fetch(request) {
      const body = await request.text();
      const n = (tries.get(body) ?? 0) + 1;
      tries.set(body, n);
      console.log('try', n, 'of', body);
      if (n < 3) throw new Error('failure ' + n + ' of ' + body);
      return new Response('done ' + body + ' after ' + n, { headers: { 'x-tries': String(n) } });
    } };`);
  await deploy('broken', { async: { retries: 1, backoff: { baseMs: 50, maxMs: 50 } } }, `let fixed = false;
    export default { async fetch(request) {
      if (new URL(request.url).pathname.endsWith('/fix')) { fixed = true; return new Response('fixed'); }
      if (!fixed) throw new Error('still broken');
      return new Response('works now');
    } };`);
  await deploy('slow', { async: { retries: 0, backoff: { baseMs: 50, maxMs: 50 }, maxQueueDepth: 2 } }, `export default { async fetch() {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return new Response('slept');
    } };`);
  await deploy('counter', {}, `let runs = 0;
    export default { async fetch(request) {
      runs += 1;
      if (new URL(request.url).pathname.endsWith('/count')) return new Response(String(runs - 1));
      return new Response('run ' + runs);
    } };`);
});
after(async () => {
  await platform?.stop();
  await new Promise((resolve) => sink?.close(resolve));
});

async function deploy(name: string, manifest: Record<string, unknown>, code: string) {
  const response = await api('POST', '/api/v1/functions', { manifest: { name, main: 'index.js', ...manifest }, files: { 'index.js': code } });
  assert.equal(response.status, 201, response.text);
}

function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return new TestApi(platform.url, platform.token).call(method, path, body, headers);
}

async function submit(path: string, body: string, headers: Record<string, string> = {}) {
  const answer = await api('POST', path, body, { 'content-type': 'text/plain', ...headers });
  assert.equal(answer.status, 202, answer.text);
  const id = answer.json?.invocationId as string;
  assert.equal(answer.headers.get('x-isola-invocation-id'), id);
  return id;
}

type AsyncRecord = { status: string; attempts: { attempt: number; status: string; error?: { code: string; message: string } }[]; result?: { status: number; body: string }; async?: { maxAttempts: number } };

async function finalRecord(id: string): Promise<AsyncRecord> {
  return eventually(`the final record of ${id}`, async () => {
    const answer = await api('GET', `/api/v1/invocations/${id}`);
    const record = answer.json as AsyncRecord | null;
    return answer.status === 200 && (record?.status === 'succeeded' || record?.status === 'failed') ? record : null;
  });
}

async function queueOf(id: string) {
  const answer = await api('GET', '/api/v1/queues');
  return (answer.json?.queues as { id: string; waiting: number; active: number; delayed: number; deadLetters: number }[]).find((queue) => queue.id === id);
}

describe('async invocations', () => {
  test('?async=true on the HTTP trigger and X-Isola-Invoke: async on the invoke API answer 202 and run the function', async () => {
    const viaTrigger = await submit('/fn/counter/hello?async=true', 'a');
    const viaInvoke = await submit('/api/v1/functions/counter/invoke', 'b', { 'x-isola-invoke': 'async' });
    for (const id of [viaTrigger, viaInvoke]) {
      const record = await finalRecord(id);
      assert.equal(record.status, 'succeeded');
      assert.match(record.result?.body ?? '', /^run \d+$/);
      assert.equal(record.attempts.length, 1);
      assert.equal(record.async?.maxAttempts, 3, 'retries default to 2');
    }
    const bad = await api('POST', '/fn/counter/?async=maybe', 'x');
    assert.equal(bad.status, 400);
    const badHeader = await api('POST', '/fn/counter/', 'x', { 'x-isola-invoke': 'later' });
    assert.equal(badHeader.status, 400);
    assert.match(badHeader.text, /X-Isola-Invoke/);
  });

  test('a failing invocation is retried with back-off; the record lists every try with its error, then the result', async () => {
    const id = await submit('/fn/flaky/?async=true', 'job-1');
    const queued = await api('GET', `/api/v1/invocations/${id}`);
    assert.equal(queued.status, 200, 'the record exists from acceptance on');
    const record = await finalRecord(id);
    assert.equal(record.status, 'succeeded');
    assert.deepEqual(record.attempts.map((attempt) => [attempt.attempt, attempt.status, attempt.error?.code]), [
      [1, 'failed', 'FUNCTION_ERROR'],
      [2, 'failed', 'FUNCTION_ERROR'],
      [3, 'succeeded', undefined],
    ]);
    assert.match(record.attempts[0]?.error?.message ?? '', /failure 1 of job-1/);
    assert.equal(record.result?.body, 'done job-1 after 3');
  });

  test('after its last try an invocation is a dead letter; redrive runs it again with fresh tries', async () => {
    const id = await submit('/fn/broken/?async=true', 'x');
    const dead = await finalRecord(id);
    assert.equal(dead.status, 'failed');
    assert.equal(dead.attempts.length, 2, 'retries: 1 → two tries');
    assert.equal((await queueOf('fn:broken'))?.deadLetters, 1);

    assert.equal((await api('POST', '/fn/broken/fix')).status, 200);
    const redrive = await api('POST', '/api/v1/queues/fn:broken/dlq/redrive');
    assert.equal(redrive.status, 200, redrive.text);
    assert.equal(redrive.json?.redriven, 1);
    const record = await eventually('the redriven invocation to succeed', async () => {
      const answer = await api('GET', `/api/v1/invocations/${id}`);
      return (answer.json as AsyncRecord | null)?.status === 'succeeded' ? (answer.json as AsyncRecord) : null;
    });
    assert.deepEqual(record.attempts.map((attempt) => attempt.status), ['failed', 'failed', 'succeeded']);
    assert.equal((await queueOf('fn:broken'))?.deadLetters, 0);
    assert.equal((await api('POST', '/api/v1/queues/fn:nope/dlq/redrive')).status, 404);
  });

  test('the same Idempotency-Key returns the same invocation and runs the function once; another body with it is a conflict', async () => {
    const before = Number((await api('POST', '/fn/counter/count')).text);
    const first = await submit('/fn/counter/?async=true', 'pay 10', { 'idempotency-key': 'order-42' });
    const second = await submit('/fn/counter/?async=true', 'pay 10', { 'idempotency-key': 'order-42' });
    assert.equal(second, first);
    await finalRecord(first);
    const third = await submit('/fn/counter/?async=true', 'pay 10', { 'idempotency-key': 'order-42' });
    assert.equal(third, first, 'also after it finished');
    const conflict = await api('POST', '/fn/counter/?async=true', 'pay 99', { 'content-type': 'text/plain', 'idempotency-key': 'order-42' });
    assert.equal(conflict.status, 409);
    assert.match(conflict.text, new RegExp(first));
    const after = Number((await api('POST', '/fn/counter/count')).text);
    assert.equal(after - before, 1 + 1, 'one async run, plus the sync count call itself');
  });

  test('completion callback: the final record is POSTed to an allowed URL (retried when refused); other hosts are refused', async () => {
    const id = await submit('/fn/counter/?async=true', 'cb', { 'x-isola-callback-url': sinkUrl });
    const delivered = await eventually('the callback', async () => callbacks.find((callback) => callback.body.id === id));
    assert.equal(delivered.headers['x-isola-invocation-id'], id);
    assert.equal(delivered.body.status, 'succeeded');
    const refused = await api('POST', '/fn/counter/?async=true', 'cb', { 'x-isola-callback-url': 'http://example.com/hook' });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /ISOLA_CALLBACK_ALLOWED_HOSTS/);
  });

  test('limits: a body over ISOLA_ASYNC_MAX_BODY_BYTES is 413; a full queue is 429 with Retry-After, and what was accepted runs', async () => {
    const big = await api('POST', '/fn/counter/?async=true', 'x'.repeat(4096), { 'content-type': 'text/plain' });
    assert.equal(big.status, 413);
    const answers = [];
    for (let index = 0; index < 12; index += 1) {
      answers.push(await api('POST', '/fn/slow/?async=true', String(index), { 'content-type': 'text/plain' }));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    const limited = answers.filter((answer) => answer.status === 429);
    assert.ok(limited.length > 0, `no 429 among ${answers.map((answer) => answer.status).join(' ')}`);
    assert.match(limited[0]?.headers.get('retry-after') ?? '', /^\d+$/);
    assert.match(limited[0]?.text ?? '', /maxQueueDepth/);
    const accepted = answers.filter((answer) => answer.status === 202);
    for (const answer of accepted) assert.equal((await finalRecord(answer.json?.invocationId as string)).status, 'succeeded');
  });

  test('deleting a function removes its async queue', async () => {
    await deploy('doomed', {}, 'export default { fetch: () => new Response("ok") };');
    await finalRecord(await submit('/fn/doomed/?async=true', 'x'));
    assert.ok(await queueOf('fn:doomed'));
    assert.equal((await api('DELETE', '/api/v1/functions/doomed')).status, 204);
    assert.equal(await queueOf('fn:doomed'), undefined);
  });
});
