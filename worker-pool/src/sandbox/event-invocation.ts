// The host side of scheduled, queue and RPC invocations: what goes into the runtime's
// dispatchEvent() (runtime/event-dispatch.ts) and what its result becomes in the InvocationOutcome.
import type { ErrorShape, HttpResponsePayload, InvocationRequest, LogLine, MessageDecision, QueueMessagePayload } from '@isola/core';

/** The invocations dispatchEvent() runs. */
export type EventRequest = Exclude<InvocationRequest, { trigger: 'http' }>;

/** What the runtime's dispatchEvent resolves with (copied out of the isolate; mirrors runtime/contract.ts EventResult). */
export type RuntimeEventResult = (
  | { ok: true; resultJson: string | null }
  | { ok: false; error: ErrorShape }
) & { decisions?: unknown; noRetry?: boolean; logs: LogLine[]; logsTruncated: boolean };

/** The runtime's limit on a retry delay (runtime/message-batch.ts), checked again here. */
const maxRetryDelaySeconds = 43_200;

/**
 * dispatchEvent()'s arguments: the event as JSON (the fastest way in) and, for a queue batch,
 * the bytes of its binary messages at their message's index (null for JSON messages), decoded
 * here rather than by base64 code inside the isolate.
 */
export function eventArguments(request: EventRequest): [eventJson: string, bodies: (Uint8Array | null)[]] {
  const { invocationId } = request;
  if (request.trigger === 'rpc') return [JSON.stringify({ invocationId, trigger: 'rpc', ...request.rpc }), []];
  if (request.trigger === 'scheduled') {
    const { cron, scheduledTime } = request.scheduled;
    return [JSON.stringify({ invocationId, trigger: 'scheduled', cron, scheduledTime }), []];
  }
  const bodies: (Uint8Array | null)[] = [];
  const messages = request.batch.messages.map((message) => {
    const { id, timestamp, attempts } = message;
    if (message.dataBase64 !== undefined) {
      // A copy of exactly the bytes: a Buffer may view a larger pooled ArrayBuffer.
      bodies.push(new Uint8Array(Buffer.from(message.dataBase64, 'base64')));
      return { id, timestamp, attempts };
    }
    bodies.push(null);
    return { id, timestamp, attempts, data: message.data };
  });
  return [JSON.stringify({ invocationId, trigger: 'queue', queue: request.batch.queue, messages }), bodies];
}

/** The 200 of a handler or RPC method that returned: its return value as a JSON body, if any. */
export function eventResponse(resultJson: string | null): HttpResponsePayload {
  if (resultJson === null) return { status: 200, statusText: 'OK', headers: [] };
  return { status: 200, statusText: 'OK', headers: [['content-type', 'application/json']], body: new TextEncoder().encode(resultJson) };
}

/**
 * The runtime's decisions, checked against the batch: one per message, in order, with a valid
 * action and delay. The runtime builds them from captured built-ins, so a mismatch means user
 * code got at its internals: then there are no decisions and the trigger retries every message,
 * as when the handler never finished.
 */
export function checkedDecisions(decisions: unknown, messages: readonly QueueMessagePayload[]): MessageDecision[] | undefined {
  if (!Array.isArray(decisions) || decisions.length !== messages.length) return undefined;
  const checked: MessageDecision[] = [];
  for (const [index, entry] of (decisions as unknown[]).entries()) {
    if (typeof entry !== 'object' || entry === null) return undefined;
    const { id, action, delaySeconds } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || id !== messages[index]?.id || (action !== 'ack' && action !== 'retry')) return undefined;
    if (delaySeconds === undefined) {
      checked.push({ id, action });
    } else if (action === 'retry' && Number.isInteger(delaySeconds) && (delaySeconds as number) >= 0 && (delaySeconds as number) <= maxRetryDelaySeconds) {
      checked.push({ id, action, delaySeconds: delaySeconds as number });
    } else {
      return undefined;
    }
  }
  return checked;
}
