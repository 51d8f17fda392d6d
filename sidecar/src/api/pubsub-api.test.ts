// Publishing lands in the platform's topic queue, as the gateway's publish route does.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { queuePrefix, topicQueueName, type CloudEvent, type MessageJobData } from '@isola/core';
import { Queue } from 'bullmq';
import { defaultComponents } from '../components/component-files.js';
import { startTestSidecar, type TestSidecar } from '../testing/test-sidecar.js';

describe('publish API', () => {
  let test: TestSidecar;
  let version: number;

  before(async () => {
    test = await startTestSidecar({ components: () => defaultComponents() });
    version = await test.deploy('shop', { ORDERS: { type: 'queue', topic: 'orders' }, AUDIT: { type: 'pubsub', pubsub: 'pubsub', topic: 'audit' } });
  });
  after(() => test.stop());

  const eventsOf = async (topic: string): Promise<CloudEvent[]> => {
    const queue = new Queue(topicQueueName(topic), { connection: test.redis.connect(), prefix: queuePrefix });
    const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
    await queue.close();
    return jobs.map((job) => (job.data as MessageJobData).event).sort((a, b) => String(a.time).localeCompare(String(b.time)));
  };

  it("wraps a function's payload with its name as source and its trace context", async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const response = await test.call('/v1.0/publish/pubsub/orders', { method: 'POST', headers: { ...test.functionHeaders('shop', version, { traceparent }), 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(response.status, 204);
    const [event] = await eventsOf('orders');
    assert.equal(event?.source, 'shop');
    assert.equal(event?.data, 'hello');
    assert.equal(event?.datacontenttype, 'text/plain');
    assert.equal(event?.traceparent, traceparent);
  });

  it('takes a structured CloudEvent as the event, and refuses an invalid one', async () => {
    const event = { specversion: '1.0', id: 'evt-1', source: 'billing', type: 'invoice.paid', data: { amount: 5 } };
    const headers = { ...test.functionHeaders('shop', version), 'content-type': 'application/cloudevents+json' };
    assert.equal((await test.call('/v1.0/publish/pubsub/audit', { method: 'POST', headers, body: JSON.stringify(event) })).status, 204);
    assert.deepEqual((await eventsOf('audit')).map(({ id, source, type, data }) => ({ id, source, type, data })), [{ id: 'evt-1', source: 'billing', type: 'invoice.paid', data: { amount: 5 } }]);
    const invalid = await test.call('/v1.0/publish/pubsub/audit', { method: 'POST', headers, body: JSON.stringify({ id: 'x' }) });
    assert.equal(invalid.status, 400);
    assert.equal(((await invalid.json()) as { errorCode: string }).errorCode, 'ERR_PUBSUB_CLOUD_EVENTS_SER');
  });

  it('answers 400 ERR_PUBSUB_NOT_FOUND for an unknown component', async () => {
    const response = await test.call('/v1.0/publish/kafka/orders', { method: 'POST', headers: { 'dapr-api-token': test.adminToken }, body: '{}' });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { errorCode: string }).errorCode, 'ERR_PUBSUB_NOT_FOUND');
  });
});
