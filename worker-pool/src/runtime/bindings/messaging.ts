// env.NAME for `{ type: pubsub }` (publish to the bound topic) and `{ type: queue }` (a producer
// for a topic that queue() handlers consume). Both publish through the sidecar's pub/sub API.
import { callName, optionsArg, stringArg } from './arguments.js';
import { jsonOf } from './json-value.js';
import { callBinding, jsonArray, plainJson } from './sidecar-call.js';
import type { PubSubBinding, QueueBinding, QueueMessage } from './types.js';

const JSON_CONTENT_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

export function pubSubBinding(name: string): PubSubBinding {
  return {
    async publish(data: unknown, options?: { contentType?: string }) {
      const what = callName(name, 'publish');
      const contentType = optionsArg(options, `${what}: options`)['contentType'];
      if (contentType === undefined) {
        await callBinding(name, 'publish', jsonArray([jsonOf(data, `${what}: the data`), 'null']));
        return;
      }
      const typeJson = stringArg(contentType, `${what}: options.contentType`);
      if (JSON_CONTENT_TYPE.test(contentType as string)) {
        await callBinding(name, 'publish', jsonArray([jsonOf(data, `${what}: the data`), typeJson]));
        return;
      }
      if (typeof data !== 'string') throw new TypeError(`${what}: with content type ${contentType as string} the data must be a string (sent as it is)`);
      await callBinding(name, 'publish', jsonArray([plainJson(data), typeJson]));
    },
  };
}

export function queueBinding(name: string): QueueBinding {
  return {
    async send(body: unknown) {
      await callBinding(name, 'send', jsonArray([jsonOf(body, `${callName(name, 'send')}: the body`)]));
    },
    async sendBatch(messages: Iterable<QueueMessage<unknown>>) {
      const what = callName(name, 'sendBatch');
      if (typeof messages !== 'object' || messages === null || typeof (messages as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
        throw new TypeError(`${what}: messages must be an array (or other iterable) of { body } objects`);
      }
      const bodies: string[] = [];
      for (const message of messages as Iterable<unknown>) {
        const index = bodies.length;
        if (typeof message !== 'object' || message === null || !('body' in message)) throw new TypeError(`${what}: messages[${index}] must be an object with a body`);
        bodies[index] = jsonOf((message as QueueMessage<unknown>).body, `${what}: messages[${index}].body`);
      }
      if (bodies.length > 0) await callBinding(name, 'sendBatch', jsonArray([jsonArray(bodies)]));
    },
  };
}
