// The third argument of every handler (Cloudflare's ExecutionContext) and the background work it
// collects: an invocation lasts until every ctx.waitUntil promise has settled, so the lines that
// work writes still belong to it.
import { writeLogTo, type InvocationLog } from './log-capture.js';
import { formatValue } from './web/console-format.js';
import { append, promiseResolve } from './primordials.js';

/** What handlers receive as their third argument (Cloudflare's ExecutionContext shape). */
export interface ExecutionContext {
  readonly invocationId: string;
  waitUntil(promise: unknown): void;
  passThroughOnException(): void;
}

/** A ctx whose waitUntil() appends to `waitUntilPromises` (the caller awaits them with Promise.allSettled). */
export function createExecutionContext(invocationId: string, waitUntilPromises: Promise<unknown>[]): ExecutionContext {
  return Object.freeze({
    invocationId,
    waitUntil(promise: unknown): void {
      append(waitUntilPromises, promiseResolve(promise));
    },
    passThroughOnException(): void {},
  });
}

/** Logs every rejected ctx.waitUntil promise to the invocation; they never fail it. */
export function logWaitUntilRejections(settled: readonly PromiseSettledResult<unknown>[], log: InvocationLog): void {
  for (const entry of settled) {
    if (entry.status === 'rejected') {
      writeLogTo(log, 'error', `[isola] ctx.waitUntil promise rejected: ${formatValue(entry.reason)}`);
    }
  }
}
