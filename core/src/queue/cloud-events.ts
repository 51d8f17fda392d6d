import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IsolaError } from '../errors/isola-error.js';
import type { QueueMessagePayload } from '../invocation/types.js';

/**
 * A CloudEvents 1.0 event in the structured JSON format (cloudevents/spec formats/json-format.md):
 * the required context attributes, the optional ones, extensions, and the payload as `data`
 * (a JSON value) or `data_base64` (binary), never both.
 */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  datacontenttype?: string;
  dataschema?: string;
  subject?: string;
  time?: string;
  data?: unknown;
  data_base64?: string;
  [extension: string]: unknown;
}

const nonEmpty = z.string().min(1, 'must be a non-empty string');
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const extensionName = /^[a-z0-9]{1,20}$/;

const cloudEventSchema = z
  .looseObject({
    specversion: z.literal('1.0', { error: 'must be "1.0"' }),
    id: nonEmpty.max(200),
    source: nonEmpty.max(1024),
    type: nonEmpty.max(1024),
    datacontenttype: nonEmpty.optional(),
    dataschema: nonEmpty.optional(),
    subject: nonEmpty.optional(),
    time: z.string().regex(rfc3339, 'must be an RFC 3339 timestamp').optional(),
    data_base64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64').optional(),
  })
  .superRefine((event, ctx) => {
    if ('data' in event && event.data_base64 !== undefined) ctx.addIssue({ code: 'custom', path: ['data_base64'], message: 'data and data_base64 are mutually exclusive' });
    for (const key of Object.keys(event)) {
      if (['specversion', 'id', 'source', 'type', 'datacontenttype', 'dataschema', 'subject', 'time', 'data', 'data_base64'].includes(key)) continue;
      if (!extensionName.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'extension attribute names are 1-20 characters of a-z and 0-9' });
    }
  });

/** Validates a published structured-mode event; every problem is listed by path (prefixed with `where`). */
export function parseCloudEvent(value: unknown, where: (string | number)[] = []): CloudEvent {
  const parsed = cloudEventSchema.safeParse(value);
  if (parsed.success) return parsed.data as CloudEvent;
  const problems = parsed.error.issues.map((issue) => ({ path: [...where, ...issue.path].join('.'), message: issue.message }));
  throw new IsolaError('BAD_REQUEST', `not a valid CloudEvent: ${problems.map((p) => `${p.path || '(event)'}: ${p.message}`).join('; ')}`, { problems });
}

/**
 * How deeply published JSON may nest. Deeper values cannot be stored: serialising them (JSON,
 * BullMQ's msgpack) overflows the stack a few thousand levels down, and no consumer needs it.
 */
export const maxMessageJsonDepth = 100;

/** Refuses (400) a JSON value nested deeper than maxMessageJsonDepth; checked without recursion. */
export function checkJsonDepth(value: unknown, what: string): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth > maxMessageJsonDepth) {
      throw new IsolaError('BAD_REQUEST', `${what} is JSON nested more than ${maxMessageJsonDepth} levels deep; flatten it`);
    }
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
}

/** Whether a media type is JSON (`application/json`, `text/json`, `*+json`), so `data` holds the value itself. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return type === 'application/json' || type === 'text/json' || type.endsWith('+json');
}

/**
 * Wraps a plain published payload as an event: JSON bodies become `data`, text bodies a string
 * `data`, anything else `data_base64`.
 */
export function wrapInCloudEvent(body: Uint8Array, contentType: string | undefined, attributes: { source: string; type?: string; extensions?: Record<string, string> }): CloudEvent {
  const event: CloudEvent = {
    specversion: '1.0',
    id: randomUUID(),
    source: attributes.source,
    type: attributes.type ?? 'isola.message.published',
    time: new Date().toISOString(),
    ...attributes.extensions,
  };
  const mediaType = contentType ?? 'application/json';
  event.datacontenttype = mediaType;
  if (body.byteLength === 0) return event;
  if (isJsonMediaType(mediaType)) {
    let data: unknown;
    try {
      data = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      throw new IsolaError('BAD_REQUEST', `the body is not valid JSON although its Content-Type is ${mediaType}`);
    }
    checkJsonDepth(data, 'the body');
    event.data = data;
    return event;
  }
  if (/^text\//i.test(mediaType)) event.data = Buffer.from(body).toString('utf8');
  else event.data_base64 = Buffer.from(body).toString('base64');
  return event;
}

/** The message a `queue()` handler sees for an event on its `deliveries`-th delivery. */
export function messagePayloadOf(event: CloudEvent, deliveries: number, publishedAt: number): QueueMessagePayload {
  const time = event.time === undefined ? Number.NaN : Date.parse(event.time);
  const message: QueueMessagePayload = { id: event.id, timestamp: Number.isNaN(time) ? publishedAt : time, attempts: deliveries };
  if (event.data_base64 !== undefined) message.dataBase64 = event.data_base64;
  else if ('data' in event) message.data = event.data;
  return message;
}
