// dispatch(): runs the fetch handler, the entry point the host calls for every HTTP invocation.
// User faults (no handler, a throw, a bad return value, an unreadable body) come back as
// `ok: false` results with an error code; dispatch() rejects only when the host itself sent
// something malformed. The scheduled and queue handlers have their own entry point
// (event-dispatch.ts).
import type { DispatchError, DispatchMeta, DispatchResult, WithoutLogs } from './contract.js';
import { createExecutionContext, logWaitUntilRejections } from './execution-context.js';
import { functionError } from './function-error.js';
import { track } from './fast-path.js';
import { installedFunction } from './installed-function.js';
import { beginInvocationScope, endInvocationScope } from './invocation-scope.js';
import { beginInvocationLog, endInvocationLog, type InvocationLog } from './log-capture.js';
import { takeBodyForDispatch } from './web/body.js';
import { Headers, setHeadersGuard, sortedHeaderEntries } from './web/headers.js';
import { normalizeMethod, requestFromState, type Request } from './web/request.js';
import { isResponse, responseStateOf, type Response } from './web/response.js';
import { BodyTooLargeError, readAllBytes, type ReadableStream } from './web/streams.js';
import { parseAbsoluteUrl } from './web/url.js';
import { isPromise, jsonParse, promiseAllSettled } from './primordials.js';

const NO_FETCH_HANDLER = 'the function has no fetch handler: export default { async fetch(request, env, ctx) { ... } }';

// Captured at load: user code may replace Function.prototype.call and friends.
const reflectApply = Reflect.apply;

/** Runs the fetch handler for one request and returns a plain, copyable result. */
export async function dispatch(metaJson: string, body: Uint8Array | undefined): Promise<DispatchResult> {
  const { handlers, env } = installedFunction('dispatch');
  const meta = jsonParse(metaJson) as DispatchMeta;
  const log = beginInvocationLog();
  const scope = beginInvocationScope(meta.invocationId);
  let result: WithoutLogs<DispatchResult>;
  try {
    result = await runFetch(handlers, env, meta, body, log);
  } catch (hostFault) {
    // A bad URL or method in metaJson: stop capturing for this invocation, then reject.
    endInvocationLog(log);
    throw hostFault;
  } finally {
    endInvocationScope(scope);
  }
  return { ...result, ...endInvocationLog(log) };
}

/**
 * Runs a built-in handler through the whole dispatch path before any user code is installed,
 * so a pool isolate has compiled the runtime's lazily compiled functions (URL parsing,
 * Request, Response.json, console formatting) and a cold start pays only for the user's
 * module. Nothing it logs reaches an invocation.
 */
export async function warmup(): Promise<void> {
  // Through the globals, as user code reaches them.
  const web = globalThis as unknown as WarmupGlobals;
  const warmupHandlers = {
    async fetch(request: Request): Promise<Response> {
      const url = new web.URL(request.url);
      const text = await request.text();
      web.console.log('warmup', url.pathname, url.searchParams.get('name'), { length: text.length });
      const bytes = new web.TextEncoder().encode(text);
      return web.Response.json({ path: url.pathname, echo: new web.TextDecoder().decode(bytes) }, { headers: { 'x-warmup': '1' } });
    },
  };
  const meta: DispatchMeta = {
    invocationId: 'warmup',
    method: 'POST',
    url: 'http://warmup.invalid/fn/warmup/path?name=isola',
    headers: [['content-type', 'application/json'], ['accept', '*/*']],
  };
  const log = beginInvocationLog();
  const scope = beginInvocationScope(meta.invocationId);
  try {
    await runFetch(warmupHandlers, {}, meta, new web.TextEncoder().encode('{"warm":true}'), log);
  } finally {
    endInvocationScope(scope);
    endInvocationLog(log);
  }
}

interface WarmupGlobals {
  URL: new (url: string) => { pathname: string; searchParams: { get(name: string): string | null } };
  console: { log(...values: unknown[]): void };
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new () => { decode(bytes: Uint8Array): string };
  Response: { json(data: unknown, init?: { headers?: Record<string, string> }): Response };
}


async function runFetch(
  target: Record<string, unknown>,
  env: Readonly<Record<string, unknown>>,
  meta: DispatchMeta,
  body: Uint8Array | undefined,
  log: InvocationLog,
): Promise<WithoutLogs<DispatchResult>> {
  const request = incomingRequest(meta, body);
  const waitUntilPromises: Promise<unknown>[] = [];
  const ctx = createExecutionContext(meta.invocationId, waitUntilPromises);

  let outcome: { ok: true; response: Response } | { ok: false; error: DispatchError };
  try {
    const fetchHandler = target['fetch'];
    if (typeof fetchHandler !== 'function') {
      outcome = { ok: false, error: { code: 'FUNCTION_HANDLER_MISSING', message: NO_FETCH_HANDLER } };
    } else {
      const returned: unknown = await reflectApply(fetchHandler, target, [request, env, ctx]);
      outcome = isResponse(returned)
        ? { ok: true, response: returned }
        : { ok: false, error: { code: 'FUNCTION_INVALID_RESPONSE', message: invalidResponseMessage(returned) } };
    }
  } catch (thrown) {
    outcome = { ok: false, error: functionError(thrown) };
  }

  let result = outcome.ok ? responseResult(outcome.response, meta.maxResponseBytes ?? Infinity) : outcome;
  // Only a stream body makes this asynchronous; buffered bodies take no extra turn.
  if (isPromise(result)) result = await result;

  // Background work still belongs to this invocation: wait for it before closing the log.
  logWaitUntilRejections(await promiseAllSettled(waitUntilPromises), log);
  return result;
}

/** The Request the handler sees: headers immutable, as for incoming requests in Workers. */
function incomingRequest(meta: DispatchMeta, body: Uint8Array | undefined): Request {
  const method = normalizeMethod(meta.method);
  const headers = new Headers(meta.headers);
  setHeadersGuard(headers, 'immutable');
  const hasBody = method !== 'GET' && method !== 'HEAD' && body !== undefined;
  return requestFromState({
    url: parseAbsoluteUrl(meta.url, 'dispatch').href,
    method,
    headers,
    redirect: 'follow',
    body: hasBody ? { bytes: body, stream: null } : null,
    followedSignal: null,
  });
}

/**
 * Reads the Response through internal state, so user patches to Response.prototype do not
 * matter. Synchronous for buffered bodies; a stream body is read to its end, up to `maxBytes`.
 */
function responseResult(response: Response, maxBytes: number): WithoutLogs<DispatchResult> | Promise<WithoutLogs<DispatchResult>> {
  const state = responseStateOf(response);
  if (state.type === 'error') {
    const message = 'the fetch handler returned Response.error() (a network error); fetch must return an HTTP Response';
    return { ok: false, error: { code: 'FUNCTION_INVALID_RESPONSE', message } };
  }
  let body: ReturnType<typeof takeBodyForDispatch>;
  try {
    body = takeBodyForDispatch(response);
  } catch (thrown) {
    return { ok: false, error: functionError(thrown) };
  }
  const success = (bytes: Uint8Array | null): WithoutLogs<DispatchResult> => ({
    ok: true,
    status: state.status,
    statusText: state.statusText,
    headers: sortedHeaderEntries(state.headers).map(([name, value]): [string, string] => [name, value]),
    // No copy needed: body bytes are never exposed to user code (reads return copies), and
    // the host copies the result out of the isolate anyway.
    body: bytes,
  });
  return 'stream' in body ? readStreamBody(body.stream, maxBytes, success) : success(body.bytes);
}

async function readStreamBody(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  success: (bytes: Uint8Array) => WithoutLogs<DispatchResult>,
): Promise<WithoutLogs<DispatchResult>> {
  try {
    return success(await readAllBytes(stream, maxBytes));
  } catch (thrown) {
    if (thrown instanceof BodyTooLargeError) {
      const message = `the response body stream went past the limit of ${thrown.limit} bytes; reading stopped and the stream was canceled`;
      return { ok: false, error: { code: 'FUNCTION_RESPONSE_TOO_LARGE', message } };
    }
    return { ok: false, error: functionError(thrown) };
  }
}

function invalidResponseMessage(returned: unknown): string {
  return `the fetch handler returned ${describe(returned)}; fetch must return a Response (or a Promise of one)`;
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value !== 'object') return `a ${typeof value}`;
  const constructorName = safeConstructorName(value);
  return constructorName === undefined ? 'an object' : `an object of type ${constructorName}`;
}

function safeConstructorName(value: object): string | undefined {
  try {
    const ctor: unknown = (value as { constructor?: unknown }).constructor;
    return typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name !== '' ? ctor.name : undefined;
  } catch {
    return undefined;
  }
}

/** Starts one fetch dispatch on the synchronous fast path (see fast-path.ts); returns its ticket for collect(). */
export function start(metaJson: string, body: Uint8Array | undefined): number {
  return track(dispatch(metaJson, body));
}
