// dispatchEvent(): runs the scheduled handler for a cron tick, the queue handler for a message
// batch, and an RPC method for a call (rpc-dispatch.ts). As with dispatch() for fetch, user
// faults (no handler, a throw) come back as `ok: false` results, and only malformed host input
// rejects. These invocations always take the host's asynchronous path; the fetch fast path
// (start/collect) is not involved.
//
// The success result carries the JSON of the handler's return value (the host turns it into the
// body of a 200). A return value JSON cannot express — a BigInt, a cycle, a toJSON that throws —
// does not fail the invocation: its work is done (and for a queue its decisions are made), so
// failing it would only redeliver messages or rerun the tick. The result then has no body, and
// a warning in the invocation's log says why. Values JSON.stringify skips (undefined, functions,
// symbols) give no body either, silently, as `undefined` does. (An RPC method's return value is
// its caller's answer: there, one JSON cannot express fails the call.)
import type { DispatchError, EventMeta, EventResult, MessageDecision, QueueMessageMeta, WithoutLogs } from './contract.js';
import { createExecutionContext, logWaitUntilRejections } from './execution-context.js';
import { functionError } from './function-error.js';
import { installedFunction } from './installed-function.js';
import { beginInvocationScope, endInvocationScope } from './invocation-scope.js';
import { beginInvocationLog, endInvocationLog, writeLogTo, type InvocationLog } from './log-capture.js';
import { createMessageBatch } from './message-batch.js';
import { runRpc } from './rpc-dispatch.js';
import { createScheduledController } from './scheduled-controller.js';
import { track } from './fast-path.js';
import { jsonParse, jsonStringify, promiseAllSettled } from './primordials.js';

const NO_SCHEDULED_HANDLER =
  'the function has no scheduled handler, which cron triggers call: export default { async scheduled(controller, env, ctx) { ... } }';
const NO_QUEUE_HANDLER = 'the function has no queue handler, which message triggers call: export default { async queue(batch, env, ctx) { ... } }';

// Captured at load: user code may replace Function.prototype.call and friends.
const reflectApply = Reflect.apply;
const isArray = Array.isArray;
const Uint8ArrayConstructor = Uint8Array;

type HandlerOutcome = { ok: true; resultJson: string | null } | { ok: false; error: DispatchError };

/** Runs the scheduled or queue handler for one event, or an RPC method, and returns a plain, copyable result. */
export async function dispatchEvent(eventJson: string, bodies: (Uint8Array | null)[] | undefined): Promise<EventResult> {
  const installed = installedFunction('dispatchEvent');
  const { handlers, env } = installed;
  const meta = parseEventMeta(eventJson, bodies);
  const log = beginInvocationLog();
  const scope = beginInvocationScope(meta.invocationId);
  let result: WithoutLogs<EventResult>;
  try {
    result =
      meta.trigger === 'scheduled'
        ? await runScheduled(handlers, env, meta, log)
        : meta.trigger === 'queue'
          ? await runQueue(handlers, env, meta, bodies, log)
          : await runRpc(installed, meta, log);
  } catch (fault) {
    // Not a user fault (those are results): stop capturing for this invocation, then reject.
    endInvocationLog(log);
    throw fault;
  } finally {
    endInvocationScope(scope);
  }
  return { ...result, ...endInvocationLog(log) };
}

async function runScheduled(
  target: Record<string, unknown>,
  env: Readonly<Record<string, unknown>>,
  meta: Extract<EventMeta, { trigger: 'scheduled' }>,
  log: InvocationLog,
): Promise<WithoutLogs<EventResult>> {
  const waitUntilPromises: Promise<unknown>[] = [];
  const ctx = createExecutionContext(meta.invocationId, waitUntilPromises);
  const { controller, noRetryCalled } = createScheduledController(meta.cron, meta.scheduledTime);
  const outcome = await runHandler(target, 'scheduled', [controller, env, ctx], log);
  logWaitUntilRejections(await promiseAllSettled(waitUntilPromises), log);
  return noRetryCalled() ? { ...outcome, noRetry: true } : outcome;
}

async function runQueue(
  target: Record<string, unknown>,
  env: Readonly<Record<string, unknown>>,
  meta: Extract<EventMeta, { trigger: 'queue' }>,
  bodies: (Uint8Array | null)[] | undefined,
  log: InvocationLog,
): Promise<WithoutLogs<EventResult>> {
  const waitUntilPromises: Promise<unknown>[] = [];
  const ctx = createExecutionContext(meta.invocationId, waitUntilPromises);
  const { batch, close } = createMessageBatch(meta.queue, meta.messages, bodies, log);
  const outcome = await runHandler(target, 'queue', [batch, env, ctx], log);
  // Without a queue handler nothing was decided: no decisions, so the trigger retries them all.
  if (!outcome.ok && outcome.error.code === 'FUNCTION_HANDLER_MISSING') return outcome;
  logWaitUntilRejections(await promiseAllSettled(waitUntilPromises), log);
  const decisions: MessageDecision[] = close(!outcome.ok);
  return { ...outcome, decisions };
}

/** Calls handler `name` of the default export; a throw or rejection becomes FUNCTION_ERROR. */
async function runHandler(target: Record<string, unknown>, name: 'scheduled' | 'queue', args: unknown[], log: InvocationLog): Promise<HandlerOutcome> {
  let returned: unknown;
  try {
    // Inside the try: the export may be a getter that throws.
    const handler = target[name];
    if (typeof handler !== 'function') {
      return { ok: false, error: { code: 'FUNCTION_HANDLER_MISSING', message: name === 'scheduled' ? NO_SCHEDULED_HANDLER : NO_QUEUE_HANDLER } };
    }
    returned = await reflectApply(handler, target, args);
  } catch (thrown) {
    return { ok: false, error: functionError(thrown) };
  }
  return { ok: true, resultJson: resultJsonOf(returned, name, log) };
}

/** The return value as JSON; null for no body (see the file comment). */
function resultJsonOf(returned: unknown, name: string, log: InvocationLog): string | null {
  if (returned === undefined) return null;
  try {
    return jsonStringify(returned) ?? null;
  } catch (thrown) {
    const reason = functionError(thrown).message;
    writeLogTo(log, 'warn', `[isola] the ${name} handler's return value cannot be written as JSON (${reason}); the invocation succeeds without a result`);
    return null;
  }
}

/** eventJson, checked: a malformed one is a host fault and rejects dispatchEvent(). */
function parseEventMeta(eventJson: string, bodies: (Uint8Array | null)[] | undefined): EventMeta {
  const meta = jsonParse(eventJson) as EventMeta;
  if (typeof meta !== 'object' || meta === null || typeof meta.invocationId !== 'string') throw new TypeError('dispatchEvent: eventJson needs an invocationId');
  if (meta.trigger === 'scheduled') {
    if (typeof meta.cron !== 'string' || typeof meta.scheduledTime !== 'number') throw new TypeError('dispatchEvent: a scheduled event needs cron and scheduledTime');
    return meta;
  }
  if (meta.trigger === 'rpc') {
    if (typeof meta.method !== 'string' || typeof meta.argsJson !== 'string') throw new TypeError('dispatchEvent: an RPC call needs method and argsJson');
    if (meta.metadata !== undefined && (typeof meta.metadata !== 'object' || meta.metadata === null)) throw new TypeError('dispatchEvent: RPC metadata must be an object');
    return meta;
  }
  if (meta.trigger !== 'queue') throw new TypeError(`dispatchEvent: unknown trigger ${jsonStringify((meta as { trigger?: unknown }).trigger) ?? 'undefined'}`);
  if (typeof meta.queue !== 'string' || !isArray(meta.messages)) throw new TypeError('dispatchEvent: a queue event needs queue and messages');
  for (let index = 0; index < meta.messages.length; index += 1) {
    const message = meta.messages[index] as QueueMessageMeta;
    if (typeof message.id !== 'string' || typeof message.timestamp !== 'number' || typeof message.attempts !== 'number') {
      throw new TypeError(`dispatchEvent: message ${index} needs id, timestamp and attempts`);
    }
    const bytes = bodies?.[index];
    if (bytes !== undefined && bytes !== null && !(bytes instanceof Uint8ArrayConstructor)) throw new TypeError(`dispatchEvent: the body of message ${index} must be a Uint8Array`);
  }
  return meta;
}

/** Starts one scheduled, queue or RPC dispatch on the synchronous fast path (see fast-path.ts); returns its ticket for collect(). */
export function startEvent(eventJson: string, bodies: (Uint8Array | null)[] | undefined): number {
  return track(dispatchEvent(eventJson, bodies));
}
