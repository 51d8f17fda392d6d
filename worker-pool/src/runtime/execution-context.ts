// The third argument of every handler (Cloudflare's ExecutionContext) and the background work it
// collects: an invocation lasts until every ctx.waitUntil promise has settled, so the lines that
// work writes still belong to it.
import { writeLogTo, type InvocationLog } from './log-capture.js';
import { formatValue } from './web/console-format.js';
import { append, promiseAllSettled, promiseResolve } from './primordials.js';

/** What handlers receive as their third argument (Cloudflare's ExecutionContext shape). */
export interface ExecutionContext {
  readonly invocationId: string;
  waitUntil(promise: unknown): void;
  passThroughOnException(): void;
}

export interface InvocationContext {
  ctx: ExecutionContext;
  /** The promises handed to ctx.waitUntil, in order. */
  waitUntilPromises: Promise<unknown>[];
}

export function createExecutionContext(invocationId: string): InvocationContext {
  const waitUntilPromises: Promise<unknown>[] = [];
  const ctx: ExecutionContext = Object.freeze({
    invocationId,
    waitUntil(promise: unknown): void {
      append(waitUntilPromises, promiseResolve(promise));
    },
    passThroughOnException(): void {},
  });
  return { ctx, waitUntilPromises };
}

/** Waits for the ctx.waitUntil work; a rejection is logged to the invocation, never thrown. */
export async function settleWaitUntil(waitUntilPromises: Promise<unknown>[], log: InvocationLog): Promise<void> {
  const settled = await promiseAllSettled(waitUntilPromises);
  for (const entry of settled) {
    if (entry.status === 'rejected') {
      writeLogTo(log, 'error', `[isola] ctx.waitUntil promise rejected: ${formatValue(entry.reason)}`);
    }
  }
}
