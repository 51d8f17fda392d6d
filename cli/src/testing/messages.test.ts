import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, TestApi } from './e2e-helpers.js';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

// The message trigger end to end against a real `isola up`: topics on BullMQ, CloudEvents in,
// batches into `queue()`, per-message ack/retry, dead-letter topics, dead letters and redrive.

let platform: SpawnedPlatform;
let api: TestApi;

/** Logs one line per message it sees, as JSON: what the tests read back through the logs API. */
const consumerSource = `export default { async queue(batch, env, ctx) {
  console.log('batch ' + JSON.stringify({ queue: batch.queue, size: batch.messages.length }));
  for (const message of batch.messages) {
    const body = message.body instanceof Uint8Array ? { bytes: Array.from(message.body) } : message.body;
    console.log('seen ' + JSON.stringify({ id: message.id, attempts: message.attempts, body, dated: message.timestamp instanceof Date }));
    if (body && body.poison) message.retry();
    else if (body && body.flaky && message.attempts < 2) message.retry({ delaySeconds: 0 });
    else message.ack();
  }
} };`;

before(async () => {
  platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1' } });
  api = new TestApi(platform.url, platform.token);
  await api.deploy('orders', consumerSource, { queues: [{ topic: 'orders', batchSize: 5, maxBatchWaitMs: 200, maxRetries: 2, deadLetter: 'orders-dlq' }] });
  await api.deploy('orders-dlq', consumerSource.replaceAll("'seen '", "'dead '"), { queues: [{ topic: 'orders-dlq', batchSize: 1, maxBatchWaitMs: 0, maxRetries: 0 }] });
  await api.deploy(
    'thrower',
    `export default { async queue(batch) {
      for (const message of batch.messages) { console.log('got ' + JSON.stringify({ id: message.id, attempts: message.attempts })); if (message.body === 'ok') message.ack(); }
      throw new Error('the batch failed');
    } };`,
    { queues: [{ topic: 'fragile', batchSize: 10, maxBatchWaitMs: 100, maxRetries: 1 }] },
  );
});
after(async () => {
  await platform?.stop();
});

interface Seen {
  id: string;
  attempts: number;
  body: unknown;
  dated: boolean;
}

/** The JSON after `prefix` in the function's log lines. */
async function logged<T>(fn: string, prefix: string): Promise<T[]> {
  const answer = await api.call('GET', `/api/v1/functions/${fn}/logs?search=${encodeURIComponent(prefix)}&limit=1000`);
  assert.equal(answer.status, 200, answer.text);
  return (answer.json?.lines as { message: string }[]).filter((line) => line.message.startsWith(prefix)).map((line) => JSON.parse(line.message.slice(prefix.length)) as T);
}

async function publish(topic: string, body: string, contentType: string, query = ''): Promise<string[]> {
  const answer = await api.call('POST', `/api/v1/topics/${topic}/messages${query}`, body, { 'content-type': contentType });
  assert.equal(answer.status, 202, answer.text);
  return answer.json?.ids as string[];
}

describe('the message trigger', () => {
  test('a batch publish reaches queue() in batches of at most batchSize, each message once, with its body', async () => {
    const ids = await publish('orders', JSON.stringify(Array.from({ length: 12 }, (_unused, index) => ({ order: index }))), 'application/json', '?batch=true');
    assert.equal(ids.length, 12);
    const seen = await eventually('all 12 messages seen', async () => {
      const lines = (await logged<Seen>('orders', 'seen ')).filter((line) => ids.includes(line.id));
      return lines.length >= 12 ? lines : null;
    });
    assert.equal(seen.length, 12, 'acked messages are delivered once');
    assert.deepEqual(seen.map((line) => (line.body as { order: number }).order).sort((a, b) => a - b), Array.from({ length: 12 }, (_unused, index) => index));
    assert.ok(seen.every((line) => line.attempts === 1 && line.dated));
    const batches = await logged<{ queue: string; size: number }>('orders', 'batch ');
    assert.ok(batches.every((batch) => batch.queue === 'orders' && batch.size <= 5), JSON.stringify(batches));
  });

  test('CloudEvents in structured mode keep their id; binary bodies arrive as bytes', async () => {
    const event = { specversion: '1.0', id: 'evt-structured-1', source: '/shop', type: 'order.created', data: { order: 'structured' } };
    assert.deepEqual(await publish('orders', JSON.stringify(event), 'application/cloudevents+json'), ['evt-structured-1']);
    const [binaryId] = await publish('orders', '\u0001\u0002\u0003', 'application/octet-stream');
    const seen = await eventually('both seen', async () => {
      const lines = (await logged<Seen>('orders', 'seen ')).filter((line) => line.id === 'evt-structured-1' || line.id === binaryId);
      return lines.length === 2 ? lines : null;
    });
    assert.deepEqual(seen.find((line) => line.id === 'evt-structured-1')?.body, { order: 'structured' });
    assert.deepEqual(seen.find((line) => line.id === binaryId)?.body, { bytes: [1, 2, 3] });
    const invalid = await api.call('POST', '/api/v1/topics/orders/messages', JSON.stringify({ specversion: '0.3', id: '' }), { 'content-type': 'application/cloudevents+json' });
    assert.equal(invalid.status, 400);
    assert.match(invalid.text, /specversion/);
  });

  test('JSON nested too deeply to store is refused with 400 in every publish format (it used to be a 500)', async () => {
    const deep = '['.repeat(5_000) + ']'.repeat(5_000);
    for (const [query, contentType, body] of [
      ['', 'application/json', deep],
      ['?batch=true', 'application/json', `[${deep}]`],
      ['', 'application/cloudevents+json', JSON.stringify({ specversion: '1.0', id: 'deep', source: '/t', type: 't' }).replace('}', `,"data":${deep}}`)],
    ] as const) {
      const answer = await api.call('POST', `/api/v1/topics/orders/messages${query}`, body, { 'content-type': contentType });
      assert.equal(answer.status, 400, `${contentType}${query}: ${answer.text.slice(0, 200)}`);
      assert.match(answer.text, /nested more than 100 levels/);
    }
    const fine = await api.call('POST', '/api/v1/topics/orders/messages', '['.repeat(50) + ']'.repeat(50), { 'content-type': 'application/json' });
    assert.equal(fine.status, 202, fine.text);
  });

  test('retry() redelivers with attempts counted; after maxRetries a message moves to its dead-letter topic', async () => {
    const [flaky] = await publish('orders', JSON.stringify({ flaky: true }), 'application/json');
    const [poison] = await publish('orders', JSON.stringify({ poison: true }), 'application/json');
    const flakySeen = await eventually('the flaky message acked on its second delivery', async () => {
      const lines = (await logged<Seen>('orders', 'seen ')).filter((line) => line.id === flaky);
      return lines.length === 2 ? lines : null;
    });
    assert.deepEqual(flakySeen.map((line) => line.attempts), [1, 2]);
    const dead = await eventually(
      'the poison message in the dead-letter topic',
      async () => {
        const lines = (await logged<Seen>('orders-dlq', 'dead ')).filter((line) => line.id === poison);
        return lines.length > 0 ? lines : null;
      },
      20_000,
    );
    assert.deepEqual(dead[0]?.body, { poison: true });
    const deliveries = (await logged<Seen>('orders', 'seen ')).filter((line) => line.id === poison).map((line) => line.attempts);
    assert.deepEqual(deliveries, [1, 2, 3], 'maxRetries 2: three deliveries, then the dead-letter topic');
  });

  test('a handler that throws: what it acked stays acked, the rest is retried, then kept as dead letters to redrive', async () => {
    const ids = await publish('fragile', JSON.stringify(['ok', 'not ok']), 'application/json', '?batch=true');
    const got = await eventually(
      'the unacked message delivered twice',
      async () => {
        const lines = await logged<{ id: string; attempts: number }>('thrower', 'got ');
        return lines.filter((line) => line.id === ids[1]).length === 2 ? lines : null;
      },
      20_000,
    );
    assert.deepEqual(got.filter((line) => line.id === ids[0]).map((line) => line.attempts), [1], 'the acked message is not redelivered');
    const queue = await eventually('one dead letter on the topic', async () => {
      const queues = (await api.call('GET', '/api/v1/queues')).json?.queues as { id: string; deadLetters: number; consumer: string }[];
      const fragile = queues.find((entry) => entry.id === 'fragile');
      return fragile?.deadLetters === 1 ? fragile : null;
    });
    assert.equal(queue.consumer, 'thrower');
    const redriven = await api.call('POST', '/api/v1/queues/fragile/dlq/redrive');
    assert.equal(redriven.status, 200, redriven.text);
    assert.equal(redriven.json?.redriven, 1);
    await eventually('the redriven message delivered again', async () => {
      const lines = (await logged<{ id: string }>('thrower', 'got ')).filter((line) => line.id === ids[1]);
      return lines.length >= 3 ? true : null;
    });
  });
});
