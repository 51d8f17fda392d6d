import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventsOfPublishedBody, IsolaError, type CloudEvent } from '@isola/core';
import { uniqueKeys } from '../conformance-helpers.js';
import type { PubSub } from './pubsub.js';

/** A pub/sub component under test, and how the suite sees what reached the platform's topics. */
export interface PubSubUnderTest {
  pubsub: PubSub;
  /** The events waiting on a topic for its consumers, oldest first. */
  messages(topic: string): Promise<CloudEvent[]>;
  /** The topics the message trigger knows to consume. */
  topics(): Promise<string[]>;
  /** The largest message the platform takes, as a CloudEvent in JSON (ISOLA_ASYNC_MAX_BODY_BYTES). */
  maxMessageBytes: number;
  close(): Promise<void>;
}

/**
 * The conformance suite every pub/sub component passes (each implementation's test file calls it
 * with a factory). Events are made the way every publish path makes them (eventsOfPublishedBody):
 * they must reach the topic intact whatever their content type, in order, once per source and id,
 * up to the largest size allowed, and the topic must become known to the message trigger.
 */
export function pubSubConformance(name: string, open: () => Promise<PubSubUnderTest>): void {
  describe(`pub/sub conformance: ${name}`, () => {
    let under: PubSubUnderTest;
    const topic = uniqueKeys();
    const published = (body: string | Buffer, contentType: string, source = 'conformance') =>
      eventsOfPublishedBody(Buffer.from(body), contentType, { source, maxBytes: under.maxMessageBytes, extensions: { pubsubname: 'pubsub' } });

    before(async () => {
      under = await open();
    });
    after(async () => under.close());

    it('stores events of every content type intact and in order, and makes the topic known', async () => {
      const t = topic();
      const events = [
        ...published('{"order":7,"items":["a","b"]}', 'application/json'),
        ...published('héllo', 'text/plain; charset=utf-8'),
        ...published(Buffer.from([0, 1, 2, 255]), 'application/octet-stream'),
        ...published(JSON.stringify({ specversion: '1.0', id: 'evt-1', source: 'billing', type: 'invoice.paid', subject: 'inv-9', data: { amount: 5 }, tenant: 'acme' }), 'application/cloudevents+json'),
      ];
      assert.deepEqual(
        events.map((event) => [event.datacontenttype, event.data, event.data_base64]),
        [
          ['application/json', { order: 7, items: ['a', 'b'] }, undefined],
          ['text/plain; charset=utf-8', 'héllo', undefined],
          ['application/octet-stream', undefined, 'AAEC/w=='],
          [undefined, { amount: 5 }, undefined],
        ],
      );
      await under.pubsub.publish(t, events);
      assert.deepEqual(await under.messages(t), events);
      assert.ok((await under.topics()).includes(t), `topic ${t} is not among the known topics`);
    });

    it('keeps topics apart', async () => {
      const [a, b] = [topic(), topic()];
      const [toA, toB] = [published('"a"', 'application/json'), published('"b"', 'application/json')];
      await under.pubsub.publish(a, toA);
      await under.pubsub.publish(b, toB);
      assert.deepEqual(await under.messages(a), toA);
      assert.deepEqual(await under.messages(b), toB);
    });

    it('takes each event once by source and id: one payload published twice is two messages, one event twice is one', async () => {
      const t = topic();
      const [first, second] = [published('"same"', 'application/json'), published('"same"', 'application/json')] as [CloudEvent[], CloudEvent[]];
      assert.notEqual(first[0]?.id, second[0]?.id, 'two publishes got one event id');
      const elsewhere = { ...(first[0] as CloudEvent), source: 'another-source' };
      await under.pubsub.publish(t, first);
      await under.pubsub.publish(t, second);
      await under.pubsub.publish(t, first);
      await under.pubsub.publish(t, [elsewhere]);
      assert.deepEqual(await under.messages(t), [...first, ...second, elsewhere]);
    });

    it('carries a message of the largest size allowed; the publish paths refuse one byte more', async () => {
      const t = topic();
      const overhead = Buffer.byteLength(JSON.stringify(published('x', 'text/plain')[0])) - 1;
      const largest = published('x'.repeat(under.maxMessageBytes - overhead), 'text/plain');
      assert.equal(Buffer.byteLength(JSON.stringify(largest[0])), under.maxMessageBytes);
      assert.throws(() => published('x'.repeat(under.maxMessageBytes - overhead + 1), 'text/plain'), (error) => error instanceof IsolaError && error.code === 'PAYLOAD_TOO_LARGE');
      await under.pubsub.publish(t, largest);
      assert.deepEqual(await under.messages(t), largest);
    });
  });
}
