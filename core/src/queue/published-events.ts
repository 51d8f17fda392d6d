import { IsolaError } from '../errors/isola-error.js';
import { checkJsonDepth, parseCloudEvent, wrapInCloudEvent, type CloudEvent } from './cloud-events.js';

/** Messages one publish call takes at most. */
export const maxMessagesPerPublish = 1_000;

export interface PublishedBodyOptions {
  /** `?batch=true` on the API: the body is a JSON array of payloads, one message each. */
  batch?: boolean;
  /** Largest message, as a CloudEvent in JSON (ISOLA_ASYNC_MAX_BODY_BYTES). */
  maxBytes: number;
  /** `source` of events made from plain payloads. */
  source: string;
  /** Extension attributes added to events made from plain payloads (e.g. Dapr's topic and pubsubname). */
  extensions?: Record<string, string>;
}

/**
 * The events a publish request carries, shared by every way of publishing to a topic (the
 * gateway's `POST /api/v1/topics/{topic}/messages`, the sidecar's Dapr publish API): a structured
 * CloudEvent (application/cloudevents+json) is taken as it is, a batch
 * (application/cloudevents-batch+json, or a JSON array with `batch`) gives one event per entry,
 * and any other body becomes one event's data. Checks nesting depth, count and size.
 */
export function eventsOfPublishedBody(body: Buffer, contentType: string | undefined, options: PublishedBodyOptions): CloudEvent[] {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const attributes = { source: options.source, ...(options.extensions === undefined ? {} : { extensions: options.extensions }) };
  let events: CloudEvent[];
  if (mediaType === 'application/cloudevents+json') {
    events = [parseCloudEvent(parsePublishedJson(body))];
  } else if (mediaType === 'application/cloudevents-batch+json') {
    const list = parsePublishedJson(body);
    if (!Array.isArray(list)) throw new IsolaError('BAD_REQUEST', 'an application/cloudevents-batch+json body must be a JSON array of events');
    events = list.map((event, index) => parseCloudEvent(event, [index]));
  } else if (options.batch === true) {
    const list = parsePublishedJson(body);
    if (!Array.isArray(list)) throw new IsolaError('BAD_REQUEST', 'with ?batch=true the body must be a JSON array of message payloads');
    events = list.map((data: unknown) => wrapInCloudEvent(Buffer.from(JSON.stringify(data)), 'application/json', attributes));
  } else {
    events = [wrapInCloudEvent(body, contentType, attributes)];
  }
  if (events.length === 0) throw new IsolaError('BAD_REQUEST', 'the batch is empty: publish at least one message');
  if (events.length > maxMessagesPerPublish) throw new IsolaError('PAYLOAD_TOO_LARGE', `a publish takes at most ${maxMessagesPerPublish} messages; this one has ${events.length}`);
  events.forEach((event, index) => {
    const bytes = Buffer.byteLength(JSON.stringify(event));
    if (bytes > options.maxBytes) {
      throw new IsolaError('PAYLOAD_TOO_LARGE', `message ${index} is ${bytes} bytes as a CloudEvent; a message may have at most ${options.maxBytes} (ISOLA_ASYNC_MAX_BODY_BYTES)`);
    }
  });
  return events;
}

/** A published JSON body, parsed and checked for depth (400 otherwise). */
export function parsePublishedJson(body: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new IsolaError('BAD_REQUEST', 'the body is not valid JSON');
  }
  checkJsonDepth(value, 'the body');
  return value;
}
