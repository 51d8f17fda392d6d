// Which invocations are running in this isolate. Timers and fetch exist only while one is:
// as in Cloudflare Workers, they are refused at the module's top level, and when the last
// running invocation ends every pending timer is cancelled, so an idle instance runs no code.
// Attribution follows the console's rule (log-capture.ts): with several concurrent invocations
// there is no way to know whose code is running, so work is counted against the most recently
// started one.
import { append } from './primordials.js';

/** One running invocation. */
export interface InvocationScope {
  readonly invocationId: string;
}

const running: InvocationScope[] = [];
const idleListeners: (() => void)[] = [];

export function beginInvocationScope(invocationId: string): InvocationScope {
  const scope: InvocationScope = { invocationId };
  append(running, scope);
  return scope;
}

export function endInvocationScope(scope: InvocationScope): void {
  const index = running.lastIndexOf(scope);
  if (index !== -1) running.splice(index, 1);
  if (running.length === 0) for (const listener of idleListeners) listener();
}

/** Runs `listener` whenever the last running invocation ends. */
export function onIdle(listener: () => void): void {
  append(idleListeners, listener);
}

/** The invocation `operation` belongs to; throws when none is running. */
export function requireInvocation(operation: string): InvocationScope {
  const scope = running[running.length - 1];
  if (scope === undefined) {
    throw new Error(
      `${operation} can only be used while the function handles a request: not at the module's top level, and not after ` +
        'the response was returned (use ctx.waitUntil(promise) for work that continues after it)',
    );
  }
  return scope;
}
