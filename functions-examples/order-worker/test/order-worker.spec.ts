// order-worker: a queue consumer with retries and a dead-letter topic. The test publishes a
// good and a poison message through the API and follows both.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually, type ExamplePlatform } from '../../example-platform.js';

interface Queue {
  id: string;
  consumer: string | null;
  waiting: number;
  deadLetters: number;
}

export function exampleSpec(examples: ExamplePlatform): void {
  const publish = async (body: unknown): Promise<string> => {
    const answer = await examples.request('POST', '/api/v1/topics/orders/messages', { body });
    assert.equal(answer.status, 202, answer.text);
    assert.equal((answer.json as { consumer: string }).consumer, 'order-worker');
    return (answer.json as { ids: string[] }).ids[0] as string;
  };
  const queues = async (): Promise<Queue[]> => ((await examples.request('GET', '/api/v1/queues')).json as { queues: Queue[] }).queues;

  describe('order-worker (queue consumer with retries and a dead letter)', () => {
    test('a good order is fulfilled once; a poison one is retried maxRetries times, then moved to orders-dlq', async () => {
      const dlqBefore = (await queues()).find((queue) => queue.id === 'orders-dlq')?.waiting ?? 0;
      const orderId = `o-${Date.now()}`;
      await publish({ orderId, items: [{ sku: 'tea', quantity: 2 }] });
      const poison = await publish({ orderId: `${orderId}-bad`, items: [] });

      const fulfilled = await eventually('the good order fulfilled', async () => {
        const answer = await examples.request('GET', `/fn/order-worker/orders/${orderId}`);
        return answer.status === 200 ? answer.json : null;
      });
      assert.deepEqual((fulfilled as { items: unknown; status: string }).items, [{ sku: 'tea', quantity: 2 }]);
      assert.equal((fulfilled as { status: string }).status, 'fulfilled');

      // maxRetries 2: three deliveries (1 s and 2 s apart), then the dead-letter topic, which has
      // no consumer, so the message waits there.
      await eventually('the poison message in orders-dlq', async () => {
        const dlq = (await queues()).find((queue) => queue.id === 'orders-dlq');
        return dlq !== undefined && dlq.waiting === dlqBefore + 1 ? dlq : null;
      }, 30_000);
      const failures = await examples.logged('order-worker', `message ${poison} failed`, 3);
      assert.deepEqual(
        failures.map((line) => /on attempt (\d+)/.exec(line)?.[1]),
        ['1', '2', '3'],
        failures.join('\n'),
      );
      assert.match(failures[0] ?? '', /has no items/);
      const orders = (await queues()).find((queue) => queue.id === 'orders');
      assert.equal(orders?.deadLetters, 0, 'moved to the dead-letter topic, not kept as a dead letter of orders');
      assert.equal((await examples.request('GET', `/fn/order-worker/orders/${orderId}-bad`)).status, 404);
    });

    test('a redelivered order changes nothing (at-least-once delivery, idempotent handler)', async () => {
      const orderId = `o-${Date.now()}-twice`;
      const first = await publish({ orderId, items: [{ sku: 'cup', quantity: 1 }] });
      const record = await eventually('the order fulfilled', async () => {
        const answer = await examples.request('GET', `/fn/order-worker/orders/${orderId}`);
        return answer.status === 200 ? (answer.json as { messageId: string }) : null;
      });
      assert.equal(record.messageId, first);
      // The same order again, as a new message (a producer's retry, say).
      const second = await publish({ orderId, items: [{ sku: 'cup', quantity: 5 }] });
      assert.match((await examples.logged('order-worker', `message ${second}`))[0] ?? '', /already fulfilled/);
      const after = (await examples.request('GET', `/fn/order-worker/orders/${orderId}`)).json as { messageId: string; items: unknown };
      assert.equal(after.messageId, first, 'the first fulfilment stands');
      assert.deepEqual(after.items, [{ sku: 'cup', quantity: 1 }]);
    });
  });
}
