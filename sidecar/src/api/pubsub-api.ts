import { eventsOfPublishedBody, IsolaError } from '@isola/core';
import type { FastifyInstance } from 'fastify';
import type { Components } from '../components/components.js';
import { reachTopic } from './access.js';
import { daprErrorOf } from './dapr-error.js';
import { rawBody } from './request-body.js';
import { callerOf } from './sidecar-request.js';

/**
 * Dapr's publish API, feeding the platform's topics exactly as `POST /api/v1/topics/{topic}/messages`
 * does: an application/cloudevents+json body is the event; any other body becomes the data of a
 * new event (its datacontenttype from Content-Type) with Dapr's `topic` and `pubsubname`
 * extensions and the caller's trace context. Not retried: a publish is not idempotent
 * (a new event id each time).
 */
export function registerPubSubApi(app: FastifyInstance, components: Components, maxMessageBytes: number): void {
  app.post<{ Params: { pubsub: string; topic: string } }>('/v1.0/publish/:pubsub/:topic', async (request, reply) => {
    const { pubsub, topic } = request.params;
    const caller = callerOf(request);
    const component = reachTopic(components, pubsub, topic, caller);
    const extensions: Record<string, string> = { topic, pubsubname: pubsub };
    if (caller.traceparent !== undefined) extensions.traceparent = caller.traceparent;
    let events;
    try {
      events = eventsOfPublishedBody(rawBody(request), request.headers['content-type'], {
        maxBytes: maxMessageBytes,
        source: caller.kind === 'function' ? caller.name : 'isola-sidecar',
        extensions,
      });
    } catch (error) {
      if (error instanceof IsolaError) throw daprErrorOf(error, error.code === 'PAYLOAD_TOO_LARGE' ? 'ERR_PUBSUB_PUBLISH_MESSAGE' : 'ERR_PUBSUB_CLOUD_EVENTS_SER');
      throw error;
    }
    await component.governor.run('publish', { idempotent: false, errorCode: 'ERR_PUBSUB_PUBLISH_MESSAGE' }, () => component.impl.publish(topic, events));
    return reply.code(204).send();
  });
}
