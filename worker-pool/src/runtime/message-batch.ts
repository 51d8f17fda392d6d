// The `batch` a queue handler receives, with Cloudflare Queues' acknowledgement rules:
//
// - message.ack() / message.retry() decide one message; the first call on a message wins and a
//   conflicting later one is ignored (with a warning in the invocation's log).
// - batch.ackAll() / batch.retryAll() decide every message that has no call of its own, whenever
//   they are called: a call on a message always takes precedence over a batch-level call. The
//   first batch-level call wins.
// - A message nobody decided is acked when the handler returns and retried when it throws.
//
// Decisions are read once the invocation ends (after ctx.waitUntil work settled, so calls made
// there count); later calls do nothing.
import type { MessageDecision, QueueMessageMeta } from './contract.js';
import { writeLogTo, type InvocationLog } from './log-capture.js';
import { formatValue } from './web/console-format.js';
import { append, jsonStringify } from './primordials.js';

/** Cloudflare's limit on a retry delay: 12 hours. */
export const MAX_RETRY_DELAY_SECONDS = 43_200;

// Captured at load, before user code could replace them.
const freeze = Object.freeze;
const isInteger = Number.isInteger;
const DateConstructor = Date;

/** One message as the handler sees it (Cloudflare's Message). */
export interface QueueMessage {
  readonly id: string;
  readonly timestamp: Date;
  readonly body: unknown;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** The handler's first argument (Cloudflare's MessageBatch). */
export interface MessageBatch {
  readonly queue: string;
  readonly messages: readonly QueueMessage[];
  ackAll(): void;
  retryAll(options?: { delaySeconds?: number }): void;
}

interface Mark {
  action: 'ack' | 'retry';
  delaySeconds?: number;
}

export interface MessageBatchHandle {
  batch: MessageBatch;
  /** The decision for every message, in batch order; ends the batch (later calls do nothing). */
  close(handlerThrew: boolean): MessageDecision[];
}

/**
 * Builds the batch. `bodies[i]`, when set, is message i's bytes (its body is that Uint8Array,
 * the isolate's own copy); otherwise its body is its JSON `data`, freshly parsed for this
 * invocation. Warnings about ignored calls go to `log`.
 */
export function createMessageBatch(
  queue: string,
  metas: readonly QueueMessageMeta[],
  bodies: readonly (Uint8Array | null)[] | undefined,
  log: InvocationLog,
): MessageBatchHandle {
  const marks: (Mark | undefined)[] = [];
  let batchMark: Mark | undefined;
  let open = true;

  const markMessage = (index: number, id: string, mark: Mark): void => {
    if (!open) return;
    const earlier = marks[index];
    if (earlier === undefined) {
      marks[index] = mark;
    } else if (earlier.action !== mark.action) {
      const message = `[isola] ${mark.action}() on message "${id}" has no effect: ${earlier.action}() was called on it first (the first call on a message wins)`;
      writeLogTo(log, 'warn', message);
    }
  };

  const messages: QueueMessage[] = [];
  for (let index = 0; index < metas.length; index += 1) {
    const meta = metas[index] as QueueMessageMeta;
    const bytes = bodies?.[index];
    const id = meta.id;
    append(
      messages,
      freeze({
        id,
        timestamp: new DateConstructor(meta.timestamp),
        body: bytes ?? meta.data,
        attempts: meta.attempts,
        ack(): void {
          markMessage(index, id, { action: 'ack' });
        },
        retry(options?: unknown): void {
          markMessage(index, id, retryMark(options, 'message.retry'));
        },
      }),
    );
  }

  const markBatch = (mark: Mark): void => {
    if (!open) return;
    if (batchMark === undefined) {
      batchMark = mark;
    } else if (batchMark.action !== mark.action) {
      const message = `[isola] ${mark.action}All() has no effect: ${batchMark.action}All() was called first (the first batch-level call wins)`;
      writeLogTo(log, 'warn', message);
    }
  };

  const batch: MessageBatch = freeze({
    queue,
    messages: freeze(messages),
    ackAll(): void {
      markBatch({ action: 'ack' });
    },
    retryAll(options?: unknown): void {
      markBatch(retryMark(options, 'batch.retryAll'));
    },
  });

  return {
    batch,
    close(handlerThrew: boolean): MessageDecision[] {
      open = false;
      const decisions: MessageDecision[] = [];
      const unmarked: Mark = batchMark ?? { action: handlerThrew ? 'retry' : 'ack' };
      for (let index = 0; index < metas.length; index += 1) {
        const mark = marks[index] ?? unmarked;
        const id = (metas[index] as QueueMessageMeta).id;
        append(decisions, mark.delaySeconds === undefined ? { id, action: mark.action } : { id, action: mark.action, delaySeconds: mark.delaySeconds });
      }
      return decisions;
    },
  };
}

/** A retry mark from retry()/retryAll() options; throws a TypeError for a bad delay. */
function retryMark(options: unknown, operation: string): Mark {
  if (options === undefined) return { action: 'retry' };
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${operation}(options): options must be an object such as { delaySeconds: 60 }, got ${shown(options)}`);
  }
  const delaySeconds: unknown = (options as { delaySeconds?: unknown }).delaySeconds;
  if (delaySeconds === undefined) return { action: 'retry' };
  if (typeof delaySeconds !== 'number' || !isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_RETRY_DELAY_SECONDS) {
    throw new TypeError(
      `${operation}(): delaySeconds must be a whole number of seconds from 0 to ${MAX_RETRY_DELAY_SECONDS} (12 hours), got ${shown(delaySeconds)}`,
    );
  }
  // + 0 turns -0 into 0.
  return { action: 'retry', delaySeconds: delaySeconds + 0 };
}

/** A value for an error message: strings quoted, so "60" and 60 read differently. */
function shown(value: unknown): string {
  return typeof value === 'string' ? (jsonStringify(value) as string) : formatValue(value);
}
