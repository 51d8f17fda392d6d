import { z } from 'zod';
import {
  componentName,
  eventsOfPublishedBody,
  inNamespace,
  IsolaError,
  queueNameOf,
  queueRefId,
  queueRefOfName,
  topicQueueName,
  type Caller,
  type FunctionStore,
  type QueueClient,
  type QueueRef,
} from '@isola/core';
import { defineRoute, type AnyRoute } from '../api/route-table.js';
import { authorize } from '../auth/bearer.js';

export interface QueuesApiDeps {
  queues: QueueClient;
  store: FunctionStore;
  /** Largest message (its data), as for async invocation bodies. */
  maxMessageBytes: number;
}

const queueSchema = z.object({
  id: z.string(),
  kind: z.enum(['topic', 'function']),
  name: z.string(),
  consumer: z.string().nullable(),
  waiting: z.number(),
  active: z.number(),
  delayed: z.number(),
  deadLetters: z.number(),
});

/**
 * Queues and topics (SPEC §4, §5): publish messages, see every queue's depth and dead letters,
 * and redrive them. A topic is reached by tokens whose namespace covers its name, as functions.
 */
export function queuesApiRoutes(deps: QueuesApiDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/queues',
      summary: 'Topics and functions with async invocations: depth (waiting, active, delayed) and dead letters',
      tag: 'queues',
      role: 'deployer',
      responses: { 200: { description: 'the queues the caller may see', schema: z.object({ queues: z.array(queueSchema) }) } },
      handler: async ({ caller }) => ({ queues: await listQueues(deps, caller) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/queues/{queue}/dlq/redrive',
      summary: 'Put the dead letters of a topic (its name) or of a function\'s async invocations (fn:<name>) back into the queue, with their tries reset',
      tag: 'queues',
      role: 'deployer',
      params: z.strictObject({ queue: z.string().min(1).max(100) }),
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100_000).default(10_000) }),
      responses: {
        200: { description: 'how many were put back', schema: z.object({ queue: z.string(), redriven: z.number() }) },
        404: { description: 'no such queue' },
      },
      handler: async ({ params, query, caller }) => {
        const ref = parseQueueId(params.queue);
        authorize(caller, 'deployer', subjectOf(ref));
        const name = queueNameOf(ref);
        if (!(await deps.queues.knownQueueNames()).includes(name)) throw new IsolaError('NOT_FOUND', `no queue "${params.queue}"; GET /api/v1/queues lists them`);
        return { queue: params.queue, redriven: await deps.queues.redrive(name, query.limit) };
      },
    }),
  ];
}

/** `POST /api/v1/topics/{topic}/messages`: takes any body, so it is registered with the raw-body routes. */
export function publishRoute(deps: QueuesApiDeps): AnyRoute {
  return defineRoute({
    method: 'POST',
    path: '/api/v1/topics/{topic}/messages',
    summary:
      'Publish to a topic: a CloudEvent (application/cloudevents+json), a batch (application/cloudevents-batch+json, or ?batch=true with a JSON array of payloads), or any other body as one message\'s data',
    tag: 'queues',
    role: 'invoker',
    params: z.strictObject({ topic: componentName }),
    query: z.strictObject({ batch: z.enum(['true', 'false']).optional() }),
    extraBodyTypes: ['*/*'],
    responses: {
      202: { description: 'stored; delivered to the topic\'s consumer (or kept until one is deployed)', schema: z.object({ topic: z.string(), ids: z.array(z.string()), consumer: z.string().nullable() }) },
      400: { description: 'not a valid CloudEvent, or a bad batch (every problem listed)' },
      413: { description: 'a message is larger than ISOLA_ASYNC_MAX_BODY_BYTES' },
    },
    handler: async ({ request, reply, params, query, caller }) => {
      authorize(caller, 'invoker', params.topic);
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const events = eventsOfPublishedBody(raw, request.headers['content-type'], { batch: query.batch === 'true', maxBytes: deps.maxMessageBytes, source: '/isola/api' });
      await deps.queues.publish(params.topic, events);
      const consumer = (await deps.store.topicConsumers()).get(params.topic)?.function ?? null;
      return reply.code(202).send({ topic: params.topic, ids: events.map((event) => event.id), consumer });
    },
  });
}

/** `fn:<name>` is a function's async queue; anything else a topic. */
function parseQueueId(id: string): QueueRef {
  if (id.startsWith('fn:')) return { kind: 'function', function: id.slice(3) };
  const topic = componentName.safeParse(id);
  if (!topic.success) throw new IsolaError('BAD_REQUEST', `"${id}" is neither a topic name nor fn:<function>`);
  return { kind: 'topic', topic: id };
}

function subjectOf(ref: QueueRef): string {
  return ref.kind === 'topic' ? ref.topic : ref.function;
}

async function listQueues(deps: QueuesApiDeps, caller: Caller): Promise<z.infer<typeof queueSchema>[]> {
  const [names, consumers] = await Promise.all([deps.queues.knownQueueNames(), deps.store.topicConsumers()]);
  const all = new Set(names);
  // A consumed topic nobody published to yet is a queue too (empty).
  for (const topic of consumers.keys()) all.add(topicQueueName(topic));
  const refs = [...all].map((name) => queueRefOfName(name)).filter((ref): ref is QueueRef => ref !== null && inNamespace(subjectOf(ref), caller.namespace));
  return Promise.all(
    refs.map(async (ref) => {
      const counts = await deps.queues.counts(queueNameOf(ref));
      return {
        id: queueRefId(ref),
        kind: ref.kind,
        name: subjectOf(ref),
        consumer: ref.kind === 'topic' ? (consumers.get(ref.topic)?.function ?? null) : ref.function,
        waiting: counts.waiting,
        active: counts.active,
        delayed: counts.delayed,
        deadLetters: counts.failed,
      };
    }),
  );
}
