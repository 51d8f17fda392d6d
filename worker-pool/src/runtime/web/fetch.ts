// fetch(): outbound HTTP(S) through the host, which enforces the manifest's `egress` list, the
// address rules, redirects, size, count and time limits (sandbox/bridges/outbound-fetch.ts).
// Here the arguments become a Request exactly as `new Request(input, init)` would, its parts
// are copied out as plain data, and the host's answer becomes a Response with immutable
// headers, `url` and `redirected` set. Network failures reject with a TypeError, as in
// browsers; the message says what happened and what to change.
import type { OutboundRequest, OutboundResult } from '../contract.js';
import { callHost, callHostAsync } from '../host-bridge.js';
import { requireInvocation } from '../invocation-scope.js';
import { DOMException } from './dom-exception.js';
import { Headers, setHeadersGuard, sortedHeaderEntries } from './headers.js';
import { Request } from './request.js';
import { responseFromState, type Response } from './response.js';
import { promiseResolve } from '../primordials.js';

// Captured before user code runs, which may redefine Request.prototype's members.
const reflectApply = Reflect.apply;
const requestGetter = (name: string) => Object.getOwnPropertyDescriptor(Request.prototype, name)?.get as (this: Request) => unknown;
const requestUrl = requestGetter('url');
const requestMethod = requestGetter('method');
const requestHeaders = requestGetter('headers');
const requestRedirect = requestGetter('redirect');
const requestArrayBuffer = Request.prototype.arrayBuffer as (this: Request) => Promise<ArrayBuffer>;

const NULL_BODY_STATUSES = [101, 103, 204, 205, 304];

let lastFetchId = 0;

/** The subset of AbortSignal fetch uses; AbortController may come from anywhere. */
interface SignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener?(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener?(type: 'abort', listener: () => void): void;
}

export async function fetch(input: unknown, init?: unknown): Promise<Response> {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'fetch': 1 argument required, but only 0 present");
  const { invocationId } = requireInvocation('fetch()');
  const request = new Request(input, init);
  const signal = signalOf(request, init);
  if (signal?.aborted) throw abortReason(signal);

  const method = reflectApply(requestMethod, request, []) as string;
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const outbound: OutboundRequest = {
    fetchId: ++lastFetchId,
    invocationId,
    url: reflectApply(requestUrl, request, []) as string,
    method,
    headers: sortedHeaderEntries(reflectApply(requestHeaders, request, []) as Headers).map(([name, value]): [string, string] => [name, value]),
    body: hasBody ? new Uint8Array(await reflectApply(requestArrayBuffer, request, [])) : null,
    redirect: reflectApply(requestRedirect, request, []) as OutboundRequest['redirect'],
  };
  const pending = callHostAsync('fetch', [outbound]);
  const result = await (signal === null ? pending : abortable(pending, signal, outbound.fetchId));
  if (!result.ok) throw result.errorName === 'TypeError' ? new TypeError(result.message) : new DOMException(result.message, result.errorName);
  return responseOf(result);
}

function responseOf(result: Extract<OutboundResult, { ok: true }>): Response {
  const headers = new Headers();
  for (const [name, value] of result.headers) headers.append(name, value);
  setHeadersGuard(headers, 'immutable');
  return responseFromState({
    type: 'default',
    status: result.status,
    statusText: result.statusText,
    headers,
    body: NULL_BODY_STATUSES.includes(result.status) || result.body === null ? null : { bytes: result.body, stream: null },
    url: result.url,
    redirected: result.redirected,
  });
}

/** init.signal, else the input Request's (once Request carries one); null when there is none. */
function signalOf(request: Request, init: unknown): SignalLike | null {
  const fromInit = typeof init === 'object' && init !== null ? (init as { signal?: unknown }).signal : undefined;
  const signal = fromInit ?? (request as { signal?: unknown }).signal;
  return typeof signal === 'object' && signal !== null && 'aborted' in signal ? (signal as SignalLike) : null;
}

function abortReason(signal: SignalLike): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/** Settles with the host's result, or rejects with the signal's reason as soon as it aborts (and tells the host). */
function abortable(pending: Promise<OutboundResult>, signal: SignalLike, fetchId: number): Promise<OutboundResult> {
  return new Promise<OutboundResult>((resolve, reject) => {
    const onAbort = () => {
      callHost('abortFetch', [fetchId]);
      reject(abortReason(signal));
    };
    signal.addEventListener?.('abort', onAbort, { once: true });
    promiseResolve(pending).then(
      (result) => {
        signal.removeEventListener?.('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener?.('abort', onAbort);
        reject(error);
      },
    );
  });
}
